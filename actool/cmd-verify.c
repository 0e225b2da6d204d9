/* actool verify: checks an image's detached signature against the keys
 * trusted for its name (the trust store acrun uses) or a keyring (new). */
#include "actool.h"

#include <fcntl.h>
#include "ac/trust.h"

static const char *keyring, *trust_dir = AC_TRUST_LOCAL_DIR, *system_trust_dir = AC_TRUST_SYSTEM_DIR;

static const struct ac_opt opts[] = {
	{ "keyring", AC_OPT_STRING, &keyring, "Check against the keys in this file instead of the trust store", NULL },
	{ "trust-dir", AC_OPT_STRING, &trust_dir, "Trust store: keys under DIR/trustedkeys/{root.d,prefix.d/PREFIX}", AC_TRUST_LOCAL_DIR },
	{ "system-trust-dir", AC_OPT_STRING, &system_trust_dir,
	  "System trust store, laid out the same, read before --trust-dir (\"\": none)", AC_TRUST_SYSTEM_DIR },
	{ NULL, 0, NULL, NULL, NULL },
};

static int run_verify(int argc, char **argv)
{
	ac_error *err = NULL;
	if (argc < 1 || argc > 2) {
		actool_err("verify: Must provide an image and optionally its signature");
		return 1;
	}
	const char *aci = argv[0];
	_cleanup_free_ char *def = xasprintf("%s.asc", aci);
	const char *asc = argc == 2 ? argv[1] : def;
	_cleanup_close_ int fd = open(aci, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		actool_err("verify: Cannot open %s: open %s: %s", aci, aci, strerror(errno));
		return 1;
	}
	_cleanup_free_ char *signer = NULL, *name = NULL; /* before any goto */
	if (keyring && *keyring) {
		if (ac_trust_verify_keyring(keyring, fd, asc, &signer, &err) < 0)
			goto fail;
		printf("%s\n", signer);
		return 0;
	}
	/* the keys are chosen by the name inside the image */
	json_t *m = NULL;
	if (ac_aci_validate(fd, aci, &m, &err) < 0)
		goto fail;
	const char *n = json_string_value(json_object_get(m, "name"));
	name = xstrdup(n ? n : "");
	json_decref(m);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		actool_err("verify: %s: %s", aci, strerror(errno));
		return 1;
	}
	struct ac_trust_store ts = { system_trust_dir && *system_trust_dir ? system_trust_dir : NULL, trust_dir };
	if (ac_trust_store_verify(&ts, name, fd, asc, &signer, &err) < 0) {
		if (err->code == EPERM)
			ac_error_set(&err, EPERM, "%s (trust the signer's key with: acrun trust --prefix %s KEYFILE)",
				     err->msg, name);
		goto fail;
	}
	printf("%s\n", signer);
	return 0;
fail:
	actool_err("verify: %s: %s", aci, err->msg);
	ac_error_free(&err);
	return 1;
}

const struct actool_cmd cmd_verify = {
	.name = "verify",
	.summary = "Verify the signature of an ACI against trusted keys",
	.usage = "[--keyring=FILE | [--system-trust-dir=DIR] --trust-dir=DIR] ACI_FILE [SIGNATURE]",
	.description = "Check the detached OpenPGP signature of ACI_FILE (ACI_FILE.asc unless\n"
		       "SIGNATURE is given; armored or binary). The keys are those trusted for\n"
		       "the image's name in the trust store that acrun uses (root keys and keys\n"
		       "of every prefix of the name on whole path components), or the keys of\n"
		       "--keyring. As in rkt, the system store is read first and an empty file\n"
		       "named by a fingerprint in the --trust-dir store masks that system key.\n"
		       "Prints the signer's fingerprint and exits 0 when the signature is good.",
	.opts = opts,
	.run = run_verify,
};
