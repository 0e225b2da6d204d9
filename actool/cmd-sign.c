/* actool sign: an armored detached signature IMAGE.aci.asc (new). */
#include "actool.h"

#include "ac/sign.h"

static const char *key, *output, *passphrase_file;

static const struct ac_opt opts[] = {
	{ "key", AC_OPT_STRING, &key, "Key to sign with (ID, fingerprint or user ID); default: gpg's default key", NULL },
	{ "output", AC_OPT_STRING, &output, "Signature file to write (default: ACI_FILE.asc)", NULL },
	{ "passphrase-file", AC_OPT_STRING, &passphrase_file, "Read the key's passphrase from this file (no gpg-agent prompt)", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static int run_sign(int argc, char **argv)
{
	ac_error *err = NULL;
	if (argc != 1) {
		actool_err("sign: Must provide one file");
		return 1;
	}
	_cleanup_free_ char *def = xasprintf("%s.asc", argv[0]);
	const char *out = output && *output ? output : def;
	struct ac_sign_opts o = { .key = key && *key ? key : NULL, .passphrase_file = passphrase_file };
	_cleanup_free_ char *fpr = NULL;
	if (ac_sign_file(argv[0], out, &o, &fpr, &err) < 0) {
		actool_err("sign: %s", err->msg);
		ac_error_free(&err);
		return 1;
	}
	if (actool_debug)
		actool_err("%s: signed by %s", out, fpr);
	return 0;
}

const struct actool_cmd cmd_sign = {
	.name = "sign",
	.summary = "Sign an ACI with OpenPGP (a detached armored signature)",
	.usage = "[--key=KEYID] [--output=FILE.asc] [--passphrase-file=FILE] ACI_FILE",
	.description = "Write an armored detached OpenPGP signature of ACI_FILE to ACI_FILE.asc,\n"
		       "as appc discovery publishes it next to the image. The key comes from\n"
		       "the user's gpg keyring ($GNUPGHOME); its passphrase from gpg-agent or,\n"
		       "for unattended use, from --passphrase-file.",
	.opts = opts,
	.run = run_sign,
};
