/* The trust store of signing keys, as rkt keeps it, and verification of
 * detached image signatures against it (gpgme, in a private temporary
 * GNUPGHOME: the user's own keyring is never read or changed).
 *
 * Two directories, each laid out as
 *   DIR/trustedkeys/root.d/<fingerprint>
 *   DIR/trustedkeys/prefix.d/<prefix>/<fingerprint>
 * the system one (keys shipped with the distribution, default
 * /usr/lib/acrun) and the local one (the administrator's, default
 * /etc/acrun).  For an image name they are read in rkt's order: system
 * root.d, local root.d, the system prefix.d directories of the name, the
 * local ones; a later file replaces an earlier one of the same fingerprint
 * and an empty file deletes it, so an empty local file named by a
 * fingerprint masks that system key.  A file's name must be the
 * fingerprint of the key it holds ("fingerprint mismatch" otherwise). */
#ifndef AC_TRUST_H
#define AC_TRUST_H

#include "ac/error.h"

#define AC_TRUST_SYSTEM_DIR "/usr/lib/acrun"
#define AC_TRUST_LOCAL_DIR "/etc/acrun"

struct ac_trust_store {
	const char *system_dir; /* NULL: no system keys */
	const char *local_dir;  /* where keys are added */
};

/* Reads the key file and returns its primary key's fingerprint (40 hex
 * digits, lowercase, malloc'ed) without storing anything; *uid (when uid
 * is not NULL) gets its first user ID or NULL. */
char *ac_trust_key_info(const char *keyfile, char **uid, ac_error **err);
char *ac_trust_fingerprint(const char *keyfile, ac_error **err);
/* Stores the key in the local dir for prefix (NULL: root key); a mask
 * left there for the same key is replaced. */
int ac_trust_add(const char *trust_dir, const char *prefix, const char *keyfile, char **fingerprint,
		  ac_error **err);
struct ac_trusted_key {
	char *prefix; /* NULL for root keys */
	char *fingerprint;
	char *uid;    /* the key's first user ID: not read yet, NULL */
	int system;   /* found in the system dir */
};
/* The keys in effect: for each place (root.d or one prefix), the system
 * keys not masked by an empty local file of the same place, and the local
 * keys; sorted by prefix (root keys first) and fingerprint. */
int ac_trust_store_list(const struct ac_trust_store *ts, struct ac_trusted_key **out, size_t *n, ac_error **err);
void ac_trust_list_free(struct ac_trusted_key *k, size_t n);
/* Stops trusting a key: every local copy is removed and every system copy
 * masked by an empty local file; error when no copy is in effect. */
int ac_trust_store_remove(const struct ac_trust_store *ts, const char *fingerprint, ac_error **err);
/* Verifies the detached signature (armored or binary) over the data of
 * aci_fd with the keys trusted for name (root keys and every prefix that
 * matches name on whole path components, system and local, masks
 * applied).  On success *signer is the fingerprint of the key that signed
 * (malloc'ed). */
int ac_trust_store_verify(const struct ac_trust_store *ts, const char *name, int aci_fd, const char *sig_path,
			  char **signer, ac_error **err);

/* The same with the local dir trust_dir and the system dir
 * AC_TRUST_SYSTEM_DIR. */
int ac_trust_list(const char *trust_dir, struct ac_trusted_key **out, size_t *n, ac_error **err);
int ac_trust_remove(const char *trust_dir, const char *fingerprint, ac_error **err);
int ac_trust_verify(const char *trust_dir, const char *name, int aci_fd, const char *sig_path, char **signer,
		     ac_error **err);

/* The same check with the keys of one keyring file (armored or binary,
 * any number of keys), whatever the image's name. */
int ac_trust_verify_keyring(const char *keyring, int aci_fd, const char *sig_path, char **signer, ac_error **err);

#endif
