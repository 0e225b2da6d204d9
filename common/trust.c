/* Signature trust with gpgme, in rkt's store layout.  Every operation works
 * in a throw-away GNUPGHOME holding only the keys that apply, so that the
 * user's keyring and gpg's trust database play no part: a key is trusted
 * for a name exactly when its file sits in root.d or in a prefix.d
 * directory whose path is a whole-component prefix of the name (unlike
 * rkt, "example.com/foo" does not cover "example.com/foobar"), and no
 * later empty file of the same name masks it. */
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
	char *home; /* a throw-away GNUPGHOME */
};

static int gpg_err(ac_error **err, gpgme_error_t e, const char *what)
{
	return ac_error_set(err, EINVAL, "%s: %s", what, gpgme_strerror(e));
}

static int gpg_open(struct gpg *g, ac_error **err)
{
	g->ctx = NULL;
	/* gpg puts its agent's socket there: a long TMPDIR would not fit */
	const char *tmp = ac_tmpdir();
	if (!(g->home = ac_mkdtemp(strlen(tmp) < 32 ? tmp : "/tmp", "acrun-gpg", err)))
		return -1;
	gpgme_check_version(NULL);
	gpgme_error_t e = gpgme_new(&g->ctx);
	if (!e)
		e = gpgme_ctx_set_engine_info(g->ctx, GPGME_PROTOCOL_OpenPGP, NULL, g->home);
	if (e) {
		if (g->ctx)
			gpgme_release(g->ctx);
		g->ctx = NULL;
		ac_rm_rf(g->home, NULL);
		free(g->home);
		g->home = NULL;
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
	if (g->home)
		ac_rm_rf(g->home, NULL);
	free(g->home);
	g->home = NULL;
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

/* Imports a key file; NULL with err set when it cannot be read or holds
 * anything but one key. */
static char *import_file(struct gpg *g, const char *path, ac_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, path, KEY_MAX, &data, &len, err) < 0)
		return NULL;
	return import_one(g, data, len, path, err);
}

/* The first user ID of an imported key, or NULL. */
static char *key_uid(struct gpg *g, const char *fp)
{
	gpgme_key_t k = NULL;
	char *uid = NULL;
	if (gpgme_get_key(g->ctx, fp, &k, 0) == 0 && k) {
		if (k->uids && k->uids->uid)
			uid = xstrdup(k->uids->uid);
		gpgme_key_unref(k);
	}
	return uid;
}

char *ac_trust_key_info(const char *keyfile, char **uid, ac_error **err)
{
	struct gpg g;
	if (uid)
		*uid = NULL;
	if (gpg_open(&g, err) < 0)
		return NULL;
	char *fp = import_file(&g, keyfile, err);
	if (fp && uid)
		*uid = key_uid(&g, fp);
	gpg_close(&g);
	return fp;
}

char *ac_trust_fingerprint(const char *keyfile, ac_error **err)
{
	return ac_trust_key_info(keyfile, NULL, err);
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
	struct gpg g;
	if (gpg_open(&g, err) < 0)
		return -1;
	int rc = -1;
	char *fp = import_file(&g, keyfile, err);
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
	/* the rename replaces a mask (an empty file) of the same key */
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

/* Calls fn for each key file (name a fingerprint; empty or not) under dir,
 * recursing into subdirectories when asked (prefix grows with them). */
typedef void (*key_fn)(const char *prefix, const char *fp, const char *path, int empty, void *arg);

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
			fn(prefix, de->d_name, p, st.st_size == 0, arg);
		else if (S_ISDIR(st.st_mode) && recurse) {
			_cleanup_free_ char *sub = prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
			walk_keys(p, sub, 1, fn, arg);
		}
	}
	closedir(d);
}

/* Every key file of one store dir: root.d, then the prefix.d tree (files
 * directly in prefix.d have no prefix: not valid, skipped). */
static void walk_store(const char *base, key_fn fn, void *arg)
{
	_cleanup_free_ char *root = xasprintf("%s/trustedkeys/root.d", base);
	_cleanup_free_ char *pre = xasprintf("%s/trustedkeys/prefix.d", base);
	walk_keys(root, NULL, 0, fn, arg);
	DIR *d = opendir(pre);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", pre, de->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			walk_keys(p, de->d_name, 1, fn, arg);
	}
	closedir(d);
}

/* ---- listing ---- */

struct entry {
	char *prefix, *fp, *path;
	int empty, system;
};
struct entries {
	struct entry *v;
	size_t n;
	int system; /* what the walk in progress reads */
};

static void entry_cb(const char *prefix, const char *fp, const char *path, int empty, void *arg)
{
	struct entries *l = arg;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n] = (struct entry){ prefix ? xstrdup(prefix) : NULL, xstrdup(fp), xstrdup(path), empty, l->system };
	l->n++;
}

static void entries_free(struct entries *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].prefix);
		free(l->v[i].fp);
		free(l->v[i].path);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int same_place(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The local entry at the same place as e, or NULL. */
static struct entry *local_twin(struct entries *l, const struct entry *e)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].system && !strcmp(l->v[i].fp, e->fp) && same_place(l->v[i].prefix, e->prefix))
			return &l->v[i];
	return NULL;
}

static void read_store(const struct ac_trust_store *ts, struct entries *l)
{
	if (ts->system_dir) {
		l->system = 1;
		walk_store(ts->system_dir, entry_cb, l);
	}
	l->system = 0;
	walk_store(ts->local_dir, entry_cb, l);
}

static int cmp_key(const void *a, const void *b)
{
	const struct ac_trusted_key *x = a, *y = b;
	if (!x->prefix != !y->prefix)
		return x->prefix ? 1 : -1;
	int c = x->prefix ? strcmp(x->prefix, y->prefix) : 0;
	return c ? c : strcmp(x->fingerprint, y->fingerprint);
}

int ac_trust_store_list(const struct ac_trust_store *ts, struct ac_trusted_key **out, size_t *n, ac_error **err)
{
	(void)err;
	struct entries l = { NULL, 0, 0 };
	read_store(ts, &l);
	struct ac_trusted_key *k = NULL;
	size_t nk = 0;
	for (size_t i = 0; i < l.n; i++) {
		struct entry *e = &l.v[i];
		if (e->empty || (e->system && local_twin(&l, e)))
			continue; /* a mask, or a system key the local dir masks or replaces */
		k = xrealloc(k, (nk + 1) * sizeof(*k));
		k[nk++] = (struct ac_trusted_key){ e->prefix ? xstrdup(e->prefix) : NULL, xstrdup(e->fp), NULL, e->system };
	}
	entries_free(&l);
	if (nk)
		qsort(k, nk, sizeof(*k), cmp_key);
	*out = k;
	*n = nk;
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

/* ---- removing ---- */

static char *local_path(const char *local_dir, const char *prefix, const char *fp)
{
	return prefix ? xasprintf("%s/trustedkeys/prefix.d/%s/%s", local_dir, prefix, fp)
		      : xasprintf("%s/trustedkeys/root.d/%s", local_dir, fp);
}

int ac_trust_store_remove(const struct ac_trust_store *ts, const char *fingerprint, ac_error **err)
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
	struct entries l = { NULL, 0, 0 };
	read_store(ts, &l);
	int found = 0, rc = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		struct entry *e = &l.v[i];
		if (strcmp(e->fp, fp) || e->empty)
			continue;
		if (e->system) {
			/* read-only: masked by an empty local file at the same place */
			struct entry *twin = local_twin(&l, e);
			if (twin && twin->empty)
				continue;
			found++;
			_cleanup_free_ char *p = local_path(ts->local_dir, e->prefix, fp);
			_cleanup_free_ char *dir = xstrndup(p, (size_t)(strrchr(p, '/') - p));
			if (ac_mkdir_p(dir, 0755, err) < 0 || ac_write_file_atomic(p, "", 0, 0644, err) < 0)
				rc = -1;
		} else {
			int sys_twin = 0;
			for (size_t j = 0; j < l.n; j++)
				if (l.v[j].system && !l.v[j].empty && !strcmp(l.v[j].fp, fp) &&
				    same_place(l.v[j].prefix, e->prefix))
					sys_twin = 1;
			found++;
			if (sys_twin)
				continue; /* made a mask when its system twin came (read first) */
			if (unlink(e->path) < 0)
				rc = ac_error_errno(err, "remove key %s", e->path);
		}
	}
	entries_free(&l);
	if (rc == 0 && !found)
		return ac_error_set(err, ENOENT, "no trusted key %s", fingerprint);
	return rc;
}

/* ---- verification ---- */

/* The key files that apply to a name, in rkt's order (a later file of a
 * fingerprint replaces an earlier one, an empty one deletes it). */
struct load_arg {
	struct entries ev;
	size_t nkeys; /* fingerprints in effect, after load_keys */
};

static void load_cb(const char *prefix, const char *fp, const char *path, int empty, void *arg)
{
	struct load_arg *a = arg;
	entry_cb(prefix, fp, path, empty, &a->ev);
}

/* Walks DIR/trustedkeys/prefix.d/C1, C1/C2, ... for the components of
 * name (whole components only). */
static void load_prefixes(const char *base, const char *name, struct load_arg *la)
{
	ac_buf dir = AC_BUF_INIT;
	ac_buf_addf(&dir, "%s/trustedkeys/prefix.d", base);
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		ac_buf_addch(&dir, '/');
		ac_buf_add(&dir, p, n);
		if (n == 0 || (n <= 2 && strncmp(p, "..", n) == 0))
			break;
		walk_keys(dir.buf, NULL, 0, load_cb, la);
		p += n;
		if (*p == '/')
			p++;
	}
	ac_buf_release(&dir);
}

/* Imports into g the last file of every fingerprint unless it is empty.
 * Every non-empty file has its name checked against its key, the ones
 * replaced or masked too (in a scratch keyring, so they stay out of g). */
static int load_keys(struct gpg *g, struct load_arg *la, ac_error **err)
{
	struct gpg scratch = { NULL, NULL };
	int rc = 0;
	for (size_t i = 0; i < la->ev.n && rc == 0; i++) {
		struct entry *e = &la->ev.v[i];
		int last = 1;
		for (size_t j = i + 1; j < la->ev.n && last; j++)
			if (!strcmp(la->ev.v[j].fp, e->fp))
				last = 0;
		if (e->empty)
			continue;
		if (!last && !scratch.ctx && gpg_open(&scratch, err) < 0) {
			rc = -1;
			break;
		}
		_cleanup_free_ char *got = import_file(last ? g : &scratch, e->path, err);
		if (!got)
			rc = -1;
		else if (strcmp(got, e->fp) != 0)
			rc = ac_error_set(err, EINVAL, "fingerprint mismatch: %s holds key %s", e->path, got);
		else if (last)
			la->nkeys++;
	}
	gpg_close(&scratch);
	return rc;
}

/* Checks the signature with the keys loaded in g; what is the name in
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

int ac_trust_store_verify(const struct ac_trust_store *ts, const char *name, int aci_fd, const char *sig_path,
			  char **signer, ac_error **err)
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
	struct load_arg la = { { NULL, 0, 0 }, 0 };
	/* rkt's order: system root, local root, system prefixes, local prefixes */
	_cleanup_free_ char *sroot = ts->system_dir ? xasprintf("%s/trustedkeys/root.d", ts->system_dir) : NULL;
	_cleanup_free_ char *lroot = xasprintf("%s/trustedkeys/root.d", ts->local_dir);
	if (sroot)
		walk_keys(sroot, NULL, 0, load_cb, &la);
	walk_keys(lroot, NULL, 0, load_cb, &la);
	if (ts->system_dir)
		load_prefixes(ts->system_dir, name, &la);
	load_prefixes(ts->local_dir, name, &la);
	if (load_keys(&g, &la, err) < 0)
		goto done;
	if (la.nkeys == 0) {
		ac_error_set(err, EPERM, "no keys trusted for %s", name);
		goto done;
	}
	rc = verify_loaded(&g, aci_fd, sig, siglen, sig_path, name, signer, err);
done:
	entries_free(&la.ev);
	gpg_close(&g);
	return rc;
}

/* ---- the one-directory forms: the default system dir beside ---- */

int ac_trust_list(const char *trust_dir, struct ac_trusted_key **out, size_t *n, ac_error **err)
{
	struct ac_trust_store ts = { AC_TRUST_SYSTEM_DIR, trust_dir };
	return ac_trust_store_list(&ts, out, n, err);
}

int ac_trust_remove(const char *trust_dir, const char *fingerprint, ac_error **err)
{
	struct ac_trust_store ts = { AC_TRUST_SYSTEM_DIR, trust_dir };
	return ac_trust_store_remove(&ts, fingerprint, err);
}

int ac_trust_verify(const char *trust_dir, const char *name, int aci_fd, const char *sig_path, char **signer,
		     ac_error **err)
{
	struct ac_trust_store ts = { AC_TRUST_SYSTEM_DIR, trust_dir };
	return ac_trust_store_verify(&ts, name, aci_fd, sig_path, signer, err);
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
