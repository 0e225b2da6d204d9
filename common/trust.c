/* Signature trust with gpgme, in rkt's store layout.  Every operation works
 * in a throw-away GNUPGHOME holding only the keys that apply, so that the
 * user's keyring and gpg's trust database play no part: a key is trusted
 * for a name exactly when its file sits in root.d or in a prefix.d
 * directory whose path is a whole-component prefix of the name (unlike
 * rkt, "example.com/foo" does not cover "example.com/foobar"). */
#include "ac/trust.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <gpgme.h>
#include <sys/stat.h>
#include "ac/buf.h"
#include "ac/fs.h"

#define KEY_MAX (1u << 20)

struct gpg {
	gpgme_ctx_t ctx;
	char home[64];
};

static int gpg_err(ac_error **err, gpgme_error_t e, const char *what)
{
	return ac_error_set(err, EINVAL, "%s: %s", what, gpgme_strerror(e));
}

static int gpg_open(struct gpg *g, ac_error **err)
{
	g->ctx = NULL;
	const char *tmp = getenv("TMPDIR");
	snprintf(g->home, sizeof(g->home), "%s/acrun-gpg-XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(g->home))
		return ac_error_errno(err, "mkdtemp %s", g->home);
	gpgme_check_version(NULL);
	gpgme_error_t e = gpgme_new(&g->ctx);
	if (!e)
		e = gpgme_ctx_set_engine_info(g->ctx, GPGME_PROTOCOL_OpenPGP, NULL, g->home);
	if (e) {
		if (g->ctx)
			gpgme_release(g->ctx);
		g->ctx = NULL;
		ac_rm_rf(g->home, NULL);
		return gpg_err(err, e, "gpgme");
	}
	gpgme_set_armor(g->ctx, 1);
	return 0;
}

static void gpg_close(struct gpg *g)
{
	if (g->ctx)
		gpgme_release(g->ctx);
	g->ctx = NULL;
	ac_rm_rf(g->home, NULL);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Imports key data; returns the fingerprint of the single primary key it
 * holds (malloc'ed, lowercase). */
static char *import_one(struct gpg *g, const char *data, size_t len, const char *what, ac_error **err)
{
	gpgme_data_t d;
	gpgme_error_t e = gpgme_data_new_from_mem(&d, data, len, 0);
	if (e) {
		gpg_err(err, e, what);
		return NULL;
	}
	e = gpgme_op_import(g->ctx, d);
	gpgme_data_release(d);
	if (e) {
		gpg_err(err, e, what);
		return NULL;
	}
	gpgme_import_result_t r = gpgme_op_import_result(g->ctx);
	if (!r || r->considered != 1 || !r->imports || !r->imports->fpr) {
		ac_error_set(err, EINVAL, "%s: want exactly one OpenPGP public key (found %d)", what,
			     r ? r->considered : 0);
		return NULL;
	}
	if (r->imports->result) {
		gpg_err(err, r->imports->result, what);
		return NULL;
	}
	char *fp = xstrdup(r->imports->fpr);
	lower(fp);
	if (strlen(fp) != 40) {
		ac_error_set(err, EINVAL, "%s: not a v4 OpenPGP key", what);
		free(fp);
		return NULL;
	}
	return fp;
}

char *ac_trust_fingerprint(const char *keyfile, ac_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, keyfile, KEY_MAX, &data, &len, err) < 0)
		return NULL;
	struct gpg g;
	if (gpg_open(&g, err) < 0)
		return NULL;
	char *fp = import_one(&g, data, len, keyfile, err);
	gpg_close(&g);
	return fp;
}

static int is_fpr(const char *s)
{
	if (strlen(s) != 40)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

int ac_trust_add(const char *trust_dir, const char *prefix, const char *keyfile, char **fingerprint,
		  ac_error **err)
{
	if (prefix && (strstr(prefix, "..") || prefix[0] == '/' || strstr(prefix, "//")))
		return ac_error_set(err, EINVAL, "prefix %s: not allowed", prefix);
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, keyfile, KEY_MAX, &data, &len, err) < 0)
		return -1;
	struct gpg g;
	if (gpg_open(&g, err) < 0)
		return -1;
	int rc = -1;
	char *fp = import_one(&g, data, len, keyfile, err);
	gpgme_data_t out = NULL;
	_cleanup_free_ char *dir = NULL, *path = NULL;
	if (!fp)
		goto done;
	gpgme_error_t e = gpgme_data_new(&out);
	if (!e)
		e = gpgme_op_export(g.ctx, fp, 0, out);
	if (e) {
		gpg_err(err, e, "export key");
		goto done;
	}
	size_t n;
	char *armored = gpgme_data_release_and_get_mem(out, &n);
	out = NULL;
	dir = prefix ? xasprintf("%s/trustedkeys/prefix.d/%s", trust_dir, prefix)
		     : xasprintf("%s/trustedkeys/root.d", trust_dir);
	path = xasprintf("%s/%s", dir, fp);
	if (ac_mkdir_p(dir, 0755, err) == 0 && ac_write_file_atomic(path, armored, n, 0644, err) == 0)
		rc = 0;
	gpgme_free(armored);
done:
	if (out)
		gpgme_data_release(out);
	gpg_close(&g);
	if (rc == 0)
		*fingerprint = fp;
	else
		free(fp);
	return rc;
}

/* Calls fn for each key file (name a fingerprint) under dir, recursing. */
typedef void (*key_fn)(const char *prefix, const char *fp, const char *path, void *arg);

static void walk_keys(const char *dir, const char *prefix, int recurse, key_fn fn, void *arg)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISREG(st.st_mode) && is_fpr(de->d_name))
			fn(prefix, de->d_name, p, arg);
		else if (S_ISDIR(st.st_mode) && recurse) {
			_cleanup_free_ char *sub = prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
			walk_keys(p, sub, 1, fn, arg);
		}
	}
	closedir(d);
}

struct klist {
	struct ac_trusted_key *k;
	size_t n;
};

static void list_cb(const char *prefix, const char *fp, const char *path, void *arg)
{
	(void)path;
	struct klist *l = arg;
	l->k = xrealloc(l->k, (l->n + 1) * sizeof(*l->k));
	l->k[l->n].prefix = prefix ? xstrdup(prefix) : NULL;
	l->k[l->n].fingerprint = xstrdup(fp);
	l->k[l->n].uid = NULL;
	l->n++;
}

int ac_trust_list(const char *trust_dir, struct ac_trusted_key **out, size_t *n, ac_error **err)
{
	(void)err;
	struct klist l = { NULL, 0 };
	_cleanup_free_ char *root = xasprintf("%s/trustedkeys/root.d", trust_dir);
	_cleanup_free_ char *pre = xasprintf("%s/trustedkeys/prefix.d", trust_dir);
	walk_keys(root, NULL, 0, list_cb, &l);
	/* Keys directly in prefix.d have no prefix: not valid, not listed. */
	DIR *d = opendir(pre);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			_cleanup_free_ char *p = xasprintf("%s/%s", pre, de->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				walk_keys(p, de->d_name, 1, list_cb, &l);
		}
		closedir(d);
	}
	*out = l.k;
	*n = l.n;
	return 0;
}

void ac_trust_list_free(struct ac_trusted_key *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(k[i].prefix);
		free(k[i].fingerprint);
		free(k[i].uid);
	}
	free(k);
}

struct rm_arg {
	const char *fp;
	int found, failed;
};

static void rm_cb(const char *prefix, const char *fp, const char *path, void *arg)
{
	(void)prefix;
	struct rm_arg *a = arg;
	if (strcmp(fp, a->fp) != 0)
		return;
	a->found++;
	if (unlink(path) < 0)
		a->failed = errno;
}

int ac_trust_remove(const char *trust_dir, const char *fingerprint, ac_error **err)
{
	_cleanup_free_ char *fp = xstrdup(fingerprint);
	lower(fp);
	/* Accept the grouped form shown for review ("ABCD EF01 ..."). */
	char *w = fp;
	for (char *r = fp; *r; r++)
		if (*r != ' ')
			*w++ = *r;
	*w = '\0';
	if (!is_fpr(fp))
		return ac_error_set(err, EINVAL, "%s: not a key fingerprint (40 hex digits)", fingerprint);
	struct rm_arg a = { fp, 0, 0 };
	_cleanup_free_ char *root = xasprintf("%s/trustedkeys/root.d", trust_dir);
	_cleanup_free_ char *pre = xasprintf("%s/trustedkeys/prefix.d", trust_dir);
	walk_keys(root, NULL, 0, rm_cb, &a);
	walk_keys(pre, NULL, 1, rm_cb, &a);
	if (!a.found)
		return ac_error_set(err, ENOENT, "no trusted key %s", fingerprint);
	if (a.failed) {
		errno = a.failed;
		return ac_error_errno(err, "remove key %s", fingerprint);
	}
	return 0;
}

struct load_arg {
	struct gpg *g;
	size_t n;
	int bad;
	ac_error **err;
};

static void load_cb(const char *prefix, const char *fp, const char *path, void *arg)
{
	(void)prefix;
	struct load_arg *a = arg;
	if (a->bad)
		return;
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, path, KEY_MAX, &data, &len, a->err) < 0) {
		a->bad = 1;
		return;
	}
	_cleanup_free_ char *got = import_one(a->g, data, len, path, a->err);
	if (!got) {
		a->bad = 1;
		return;
	}
	if (strcmp(got, fp) != 0) {
		ac_error_set(a->err, EINVAL, "fingerprint mismatch: %s holds key %s", path, got);
		a->bad = 1;
		return;
	}
	a->n++;
}

/* Checks the signature with the keys loaded in g; for is the name in
 * messages. */
static int verify_loaded(struct gpg *g, int aci_fd, const char *sig, size_t siglen, const char *sig_path,
			 const char *what, char **signer, ac_error **err)
{
	gpgme_data_t sd = NULL, dd = NULL;
	gpgme_error_t e = gpgme_data_new_from_mem(&sd, sig, siglen, 0);
	if (!e)
		e = gpgme_data_new_from_fd(&dd, aci_fd);
	if (!e)
		e = gpgme_op_verify(g->ctx, sd, dd, NULL);
	if (sd)
		gpgme_data_release(sd);
	if (dd)
		gpgme_data_release(dd);
	if (e) {
		if (gpgme_err_code(e) == GPG_ERR_NO_DATA)
			ac_error_set(err, EINVAL, "no valid signatures found in signature file %s", sig_path);
		else
			gpg_err(err, e, "verify");
		return -1;
	}
	gpgme_verify_result_t r = gpgme_op_verify_result(g->ctx);
	gpgme_signature_t good = NULL;
	for (gpgme_signature_t s = r ? r->signatures : NULL; s; s = s->next) {
		gpgme_err_code_t c = gpgme_err_code(s->status);
		if (c == GPG_ERR_NO_ERROR && !(s->summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED)))
			good = good ? good : s;
		else if (c == GPG_ERR_BAD_SIGNATURE) {
			ac_error_set(err, EBADMSG, "bad signature: the image does not match %s", sig_path);
			return -1;
		} else if (c == GPG_ERR_NO_PUBKEY) {
			continue;
		} else {
			ac_error_set(err, EPERM, "signature: %s", gpgme_strerror(s->status));
			return -1;
		}
	}
	if (!good) {
		ac_error_set(err, EPERM,
			     r && r->signatures ? "signature made by a key not trusted for %s"
						: "no valid signatures found for %s",
			     what);
		return -1;
	}
	*signer = xstrdup(good->fpr ? good->fpr : "?");
	lower(*signer);
	return 0;
}

int ac_trust_verify(const char *trust_dir, const char *name, int aci_fd, const char *sig_path, char **signer,
		     ac_error **err)
{
	_cleanup_free_ char *sig = NULL;
	size_t siglen;
	if (ac_read_file_at(AT_FDCWD, sig_path, KEY_MAX, &sig, &siglen, err) < 0)
		return -1;
	if (siglen == 0)
		return ac_error_set(err, EINVAL, "no valid signatures found in signature file %s", sig_path);
	struct gpg g;
	if (gpg_open(&g, err) < 0)
		return -1;
	int rc = -1;
	struct load_arg la = { &g, 0, 0, err };
	_cleanup_free_ char *root = xasprintf("%s/trustedkeys/root.d", trust_dir);
	walk_keys(root, NULL, 0, load_cb, &la);
	/* One directory per whole component of the name. */
	ac_buf dir = AC_BUF_INIT;
	ac_buf_addf(&dir, "%s/trustedkeys/prefix.d", trust_dir);
	for (const char *p = name; *p && !la.bad;) {
		size_t n = strcspn(p, "/");
		ac_buf_addch(&dir, '/');
		ac_buf_add(&dir, p, n);
		if (n == 0 || (n <= 2 && strncmp(p, "..", n) == 0))
			break;
		walk_keys(dir.buf, NULL, 0, load_cb, &la);
		p += n;
		if (*p == '/')
			p++;
	}
	ac_buf_release(&dir);
	if (la.bad)
		goto done;
	if (la.n == 0) {
		ac_error_set(err, EPERM, "no keys trusted for %s", name);
		goto done;
	}
	rc = verify_loaded(&g, aci_fd, sig, siglen, sig_path, name, signer, err);
done:
	gpg_close(&g);
	return rc;
}

int ac_trust_verify_keyring(const char *keyring, int aci_fd, const char *sig_path, char **signer, ac_error **err)
{
	_cleanup_free_ char *sig = NULL, *keys = NULL;
	size_t siglen, keylen;
	if (ac_read_file_at(AT_FDCWD, sig_path, KEY_MAX, &sig, &siglen, err) < 0)
		return -1;
	if (siglen == 0)
		return ac_error_set(err, EINVAL, "no valid signatures found in signature file %s", sig_path);
	if (ac_read_file_at(AT_FDCWD, keyring, 16 * KEY_MAX, &keys, &keylen, err) < 0)
		return -1;
	struct gpg g;
	if (gpg_open(&g, err) < 0)
		return -1;
	int rc = -1;
	gpgme_data_t d;
	gpgme_error_t e = gpgme_data_new_from_mem(&d, keys, keylen, 0);
	if (!e) {
		e = gpgme_op_import(g.ctx, d);
		gpgme_data_release(d);
	}
	gpgme_import_result_t ir = e ? NULL : gpgme_op_import_result(g.ctx);
	if (e)
		gpg_err(err, e, keyring);
	else if (!ir || ir->imported + ir->unchanged == 0)
		ac_error_set(err, EINVAL, "%s: no OpenPGP public key found", keyring);
	else
		rc = verify_loaded(&g, aci_fd, sig, siglen, sig_path, keyring, signer, err);
	gpg_close(&g);
	return rc;
}
