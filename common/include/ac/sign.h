/* Detached OpenPGP signatures of image files (gpgme), as appc publishes
 * them: IMAGE.aci.asc, armored, over the file's bytes. */
#ifndef AC_SIGN_H
#define AC_SIGN_H

#include "ac/error.h"

struct ac_sign_opts {
	const char *key;             /* key ID, fingerprint or user ID; NULL: gpg's default key */
	const char *passphrase_file; /* first line is the passphrase (loopback pinentry); NULL: gpg-agent */
	const char *gnupg_home;      /* NULL: $GNUPGHOME or ~/.gnupg */
};

/* Signs the file at path and writes the armored detached signature to
 * out_path atomically (an existing file is replaced).  *fingerprint
 * (optional) receives the signing key's fingerprint. */
int ac_sign_file(const char *path, const char *out_path, const struct ac_sign_opts *o, char **fingerprint,
		 ac_error **err);

#endif
