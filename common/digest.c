#include "ac/digest.h"

#include <openssl/evp.h>

struct ac_digest {
	EVP_MD_CTX *ctx;
};

ac_digest *ac_digest_new(ac_digest_alg alg)
{
	ac_digest *d = xmalloc(sizeof(*d));
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || !EVP_DigestInit_ex(d->ctx, alg == AC_SHA256 ? EVP_sha256() : EVP_sha512(), NULL))
		abort(); /* only fails on allocation failure */
	return d;
}

void ac_digest_update(ac_digest *d, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(d->ctx, data, len);
}

size_t ac_digest_final(ac_digest *d, unsigned char *out)
{
	unsigned int n = 0;
	EVP_DigestFinal_ex(d->ctx, out, &n);
	return n;
}

void ac_digest_free(ac_digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

void ac_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void ac_image_id_format(const unsigned char sha512[64], char out[AC_IMAGE_ID_LEN + 1])
{
	memcpy(out, "sha512-", 7);
	ac_hex(sha512, 64, out + 7);
}
