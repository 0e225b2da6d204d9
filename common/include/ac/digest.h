/* Streaming SHA-256 / SHA-512 (OpenSSL libcrypto). */
#ifndef AC_DIGEST_H
#define AC_DIGEST_H

#include "ac/error.h"

typedef enum { AC_SHA256, AC_SHA512 } ac_digest_alg;

typedef struct ac_digest ac_digest;

ac_digest *ac_digest_new(ac_digest_alg alg);
void ac_digest_update(ac_digest *d, const void *data, size_t len);
/* Writes the raw digest (32 or 64 bytes) and returns its length. The context
 * can not be updated afterwards. */
size_t ac_digest_final(ac_digest *d, unsigned char *out);
void ac_digest_free(ac_digest *d);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void ac_hex(const unsigned char *in, size_t n, char *out);

/* "sha512-" + 128 hex digits: the appc image ID (AC_IMAGE_ID_LEN chars). */
#define AC_IMAGE_ID_LEN (7 + 128)
void ac_image_id_format(const unsigned char sha512[64], char out[AC_IMAGE_ID_LEN + 1]);

#endif
