/* The trust store of signing keys, as rkt keeps it, and verification of
 * detached image signatures against it (gpgme, in a private temporary
 * GNUPGHOME: the user's own keyring is never read or changed).  Layout:
 *   TRUST/trustedkeys/root.d/<fingerprint>
 *   TRUST/trustedkeys/prefix.d/<prefix>/<fingerprint> */
#ifndef AC_TRUST_H
#define AC_TRUST_H

#include "ac/error.h"

/* Reads the key file and returns its primary key's fingerprint (40 hex
 * digits, lowercase, malloc'ed) without storing anything. */
char *ac_trust_fingerprint(const char *keyfile, ac_error **err);
/* Stores the key for prefix (NULL: root key). */
int ac_trust_add(const char *trust_dir, const char *prefix, const char *keyfile, char **fingerprint,
		  ac_error **err);
struct ac_trusted_key {
	char *prefix; /* NULL for root keys */
	char *fingerprint;
	char *uid;    /* the key's first user ID, or NULL */
};
int ac_trust_list(const char *trust_dir, struct ac_trusted_key **out, size_t *n, ac_error **err);
void ac_trust_list_free(struct ac_trusted_key *k, size_t n);
/* Removes every stored copy of the key; error when there is none. */
int ac_trust_remove(const char *trust_dir, const char *fingerprint, ac_error **err);
/* Verifies the detached signature (armored or binary) over the data of
 * aci_fd with the keys trusted for name (root keys and every prefix that
 * matches name on whole path components).  On success *signer is the
 * fingerprint of the key that signed (malloc'ed). */
int ac_trust_verify(const char *trust_dir, const char *name, int aci_fd, const char *sig_path, char **signer,
		     ac_error **err);

/* The same check with the keys of one keyring file (armored or binary,
 * any number of keys), whatever the image's name. */
int ac_trust_verify_keyring(const char *keyring, int aci_fd, const char *sig_path, char **signer, ac_error **err);

#endif
