/* Signing with gpgme (see ac/sign.h). */
#include "ac/sign.h"

#include <fcntl.h>
#include <gpgme.h>
#include <locale.h>
#include "ac/buf.h"
#include "ac/fs.h"

static int gpg_fail(ac_error **err, gpgme_error_t e, const char *what)
{
	return ac_error_set(err, EIO, "%s: %s", what, gpgme_strerror(e));
}

/* Loopback pinentry: the first line of the passphrase file. */
static gpgme_error_t passphrase_cb(void *hook, const char *uid_hint, const char *info, int prev_bad, int fd)
{
	const char *pass = hook;
	(void)uid_hint;
	(void)info;
	if (prev_bad)
		return gpgme_error(GPG_ERR_BAD_PASSPHRASE);
	if (ac_write_all(fd, pass, strlen(pass)) < 0 || ac_write_all(fd, "\n", 1) < 0)
		return gpgme_error_from_errno(errno);
	return 0;
}

int ac_sign_file(const char *path, const char *out_path, const struct ac_sign_opts *o, char **fingerprint,
		 ac_error **err)
{
	static const struct ac_sign_opts defaults;
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t e;
	_cleanup_free_ char *pass = NULL;
	_cleanup_close_ int fd = -1;
	int ret = -1;

	if (!o)
		o = &defaults;
	gpgme_check_version(NULL);
	if (o->passphrase_file) {
		size_t len;
		if (ac_read_file_at(AT_FDCWD, o->passphrase_file, 64 * 1024, &pass, &len, err) < 0)
			return ac_error_wrap(err, "passphrase file %s", o->passphrase_file);
		pass[strcspn(pass, "\r\n")] = '\0';
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open %s", path);

	if ((e = gpgme_new(&ctx)))
		return gpg_fail(err, e, "gpgme");
	if (o->gnupg_home && (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, o->gnupg_home))) {
		gpg_fail(err, e, "gpg home");
		goto out;
	}
	gpgme_set_armor(ctx, 1);
	if (pass) {
		gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
		gpgme_set_passphrase_cb(ctx, passphrase_cb, pass);
	}
	if (o->key) {
		if ((e = gpgme_get_key(ctx, o->key, &key, 1))) {
			if (gpgme_err_code(e) == GPG_ERR_EOF)
				ac_error_set(err, ENOENT, "no secret key \"%s\" in the keyring", o->key);
			else
				gpg_fail(err, e, o->key);
			goto out;
		}
		if ((e = gpgme_signers_add(ctx, key))) {
			gpg_fail(err, e, o->key);
			goto out;
		}
	}
	if ((e = gpgme_data_new_from_fd(&in, fd)) || (e = gpgme_data_new(&out))) {
		gpg_fail(err, e, "gpgme data");
		goto out;
	}
	if ((e = gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_DETACH))) {
		if (gpgme_err_code(e) == GPG_ERR_BAD_PASSPHRASE)
			ac_error_set(err, EACCES, "signing %s: bad passphrase", path);
		else if (gpgme_err_code(e) == GPG_ERR_UNUSABLE_SECKEY || gpgme_err_code(e) == GPG_ERR_NO_SECKEY)
			ac_error_set(err, ENOENT, "signing %s: no usable secret key%s%s", path, o->key ? " " : "",
				     o->key ? o->key : " (gpg has no default key)");
		else
			gpg_fail(err, e, "signing");
		goto out;
	}
	gpgme_sign_result_t res = gpgme_op_sign_result(ctx);
	if (!res || !res->signatures) {
		ac_error_set(err, EIO, "signing %s: gpg made no signature", path);
		goto out;
	}
	size_t len;
	char *sig = gpgme_data_release_and_get_mem(out, &len);
	out = NULL;
	ret = ac_write_file_atomic(out_path, sig, len, 0644, err);
	gpgme_free(sig);
	if (ret == 0 && fingerprint)
		*fingerprint = xstrdup(res->signatures->fpr);
out:
	if (key)
		gpgme_key_unref(key);
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_release(ctx);
	return ret;
}
