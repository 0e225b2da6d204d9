/* The image store: archives by image ID, rendered trees beside them.
 * Everything is built under tmp/ and renamed into place, so a killed
 * command leaves only tmp/ leftovers, which gc removes under the exclusive
 * store lock (importers hold it shared). */
#include "runner-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include "ac/aci.h"
#include "ac/buf.h"
#include "ac/extract.h"
#include "ac/fetch.h"
#include "ac/fs.h"
#include "ac/manifest.h"

static const char *const subdirs[] = { "images", "files", "pods", "tmp" };

int acr_store_open(struct acr_store *s, const char *dir, ac_error **err)
{
	s->dir = NULL;
	s->dirfd = s->lockfd = -1;
	if (strpbrk(dir, ",:\\\n"))
		return ac_error_set(err, EINVAL, "store directory %s: ',', ':', '\\' and newlines are not allowed", dir);
	if (ac_mkdir_p(dir, 0700, err) < 0)
		return ac_error_wrap(err, "store %s", dir);
	char real[4096];
	if (!realpath(dir, real))
		return ac_error_errno(err, "store %s", dir);
	s->dirfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return ac_error_errno(err, "store %s", dir);
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++)
		if (mkdirat(s->dirfd, subdirs[i], 0700) < 0 && errno != EEXIST) {
			ac_error_errno(err, "store %s/%s", real, subdirs[i]);
			acr_store_close(s);
			return -1;
		}
	s->dir = xstrdup(real);
	return 0;
}

void acr_store_close(struct acr_store *s)
{
	acr_store_unlock(s);
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
	free(s->dir);
	s->dir = NULL;
}

int acr_store_lock(struct acr_store *s, int exclusive, ac_error **err)
{
	if (s->lockfd < 0) {
		s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (s->lockfd < 0)
			return ac_error_errno(err, "store lock");
	}
	while (flock(s->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR)
			return ac_error_errno(err, "store lock");
	return 0;
}

void acr_store_unlock(struct acr_store *s)
{
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
}

static int is_image_id(const char *s)
{
	if (strlen(s) != AC_IMAGE_ID_LEN || strncmp(s, "sha512-", 7) != 0)
		return 0;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

/* Copies fd to a new file in tmp/ and hashes the bytes (sha256). */
static int copy_in(struct acr_store *s, int fd, char **tmp, char hex[65], ac_error **err)
{
	char *t = xasprintf("%s/tmp/import-XXXXXX", s->dir);
	int out = mkostemp(t, O_CLOEXEC);
	if (out < 0) {
		free(t);
		return ac_error_errno(err, "create a file in %s/tmp", s->dir);
	}
	ac_digest *d = ac_digest_new(AC_SHA256);
	size_t cap = 1 << 20;
	char *buf = xmalloc(cap);
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ac_error_errno(err, "read");
			break;
		}
		if (n == 0)
			break;
		ac_digest_update(d, buf, (size_t)n);
		if (ac_write_all(out, buf, (size_t)n) < 0) {
			rc = ac_error_errno(err, "write %s", t);
			break;
		}
	}
	unsigned char raw[32];
	ac_digest_final(d, raw);
	ac_digest_free(d);
	ac_hex(raw, 32, hex);
	free(buf);
	if (rc < 0) {
		close(out);
		unlink(t);
		free(t);
		return -1;
	}
	*tmp = t;
	return out;
}

struct whitelist {
	json_t *list;
};

/* pathWhitelist: keep listed paths and the directories leading to them. */
static int whitelist_filter(const char *path, void *arg)
{
	struct whitelist *w = arg;
	size_t i, n = strlen(path);
	json_t *v;
	json_array_foreach(w->list, i, v) {
		const char *p = json_string_value(v);
		if (!p)
			continue;
		while (*p == '/')
			p++;
		if (strcmp(p, path) == 0 || (strncmp(p, path, n) == 0 && p[n] == '/'))
			return 1;
	}
	return 0;
}

/* Extracts the image's rootfs into dir/rootfs; returns the image ID. */
static int render_into(int fd, const char *name, json_t *manifest, const char *dir, char id[AC_IMAGE_ID_LEN + 1],
		       ac_error **err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return ac_error_errno(err, "seek");
	ac_aci_reader *r = ac_aci_reader_open(fd, name, err);
	if (!r)
		return -1;
	struct ac_extract_opts o;
	ac_extract_opts_default(&o);
	o.strip_prefix = "rootfs";
	struct whitelist w = { json_object_get(manifest, "pathWhitelist") };
	if (json_array_size(w.list)) {
		o.filter = whitelist_filter;
		o.filter_arg = &w;
	}
	_cleanup_free_ char *root = xasprintf("%s/rootfs", dir);
	int rc = ac_extract(r, root, &o, err);
	if (rc == 0)
		rc = ac_aci_reader_finish(r, id, err);
	ac_aci_reader_free(r);
	return rc;
}

static int image_id_of(int fd, const char *name, char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return ac_error_errno(err, "seek");
	ac_aci_reader *r = ac_aci_reader_open(fd, name, err);
	if (!r)
		return -1;
	int rc = ac_aci_reader_finish(r, id, err);
	ac_aci_reader_free(r);
	return rc;
}

static int write_small(int dirfd, const char *name, const char *text, ac_error **err)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return ac_error_errno(err, "create %s", name);
	int r = ac_write_all(fd, text, strlen(text));
	if (r == 0)
		r = fsync(fd);
	close(fd);
	return r < 0 ? ac_error_errno(err, "write %s", name) : 0;
}

static int image_present(struct acr_store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("images/%s/image.aci", id);
	return faccessat(s->dirfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- files seen before, by identity ----
 * files/stat-<dev>-<ino> holds "<size> <mtime> <ctime> <image ID>" of a
 * file whose bytes were hashed to that ID, so that running it again reads
 * nothing.  Sound when the identity changes with the bytes: on filesystems
 * whose timestamps the kernel keeps (not FUSE or network ones, where the
 * server says what it likes), any write moves ctime forward, and ctime
 * cannot be set from user space.  A file changed again within the
 * timestamps' granularity after it was read would keep its ctime, so an
 * identity is recorded only when its ctime is a second older than the
 * read (as git does with "racily clean" entries). */

#define STAT_MARGIN_NS 1000000000LL

static int fs_keeps_ctime(int fd)
{
	static const long local[] = {
		0xEF53,     /* ext2/3/4 */
		0x58465342, /* xfs */
		0x9123683E, /* btrfs */
		0x01021994, /* tmpfs */
		0xF2F52010, /* f2fs */
		0x794c7630, /* overlayfs */
		0x2fc12fc1, /* zfs */
		0xca451a4e, /* bcachefs */
	};
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(local); i++)
		if ((long)sf.f_type == local[i])
			return 1;
	return 0;
}

static long long ns_of(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static char *stat_key(const struct stat *st)
{
	return xasprintf("files/stat-%llx-%llx", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino);
}

static char *stat_line(const struct stat *st, const char *id)
{
	return xasprintf("%lld %lld %lld %s\n", (long long)st->st_size, ns_of(st->st_mtim), ns_of(st->st_ctim),
			 id ? id : "");
}

static int same_identity(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       ns_of(a->st_mtim) == ns_of(b->st_mtim) && ns_of(a->st_ctim) == ns_of(b->st_ctim);
}

/* The image ID recorded for this identity, if any. */
static int stat_lookup(struct acr_store *s, int fd, const struct stat *st, char id[AC_IMAGE_ID_LEN + 1])
{
	_cleanup_free_ char *key = stat_key(st), *text = NULL, *want = stat_line(st, NULL);
	if (ac_read_file_at(s->dirfd, key, 512, &text, NULL, NULL) < 0)
		return 0;
	want[strcspn(want, "\n")] = '\0';
	size_t n = strlen(want);
	text[strcspn(text, "\n")] = '\0';
	if (strncmp(text, want, n) != 0 || !is_image_id(text + n) || !image_present(s, text + n) ||
	    !fs_keeps_ctime(fd))
		return 0;
	memcpy(id, text + n, AC_IMAGE_ID_LEN + 1);
	return 1;
}

/* Records the identity the file had before it was read, if it still has
 * it and is old enough; best effort, never synced (a lost entry costs one
 * more import). */
static void stat_record(struct acr_store *s, int fd, const struct stat *before, const char *id)
{
	struct stat now;
	struct timespec t;
	if (fstat(fd, &now) < 0 || !same_identity(before, &now) || !fs_keeps_ctime(fd) ||
	    clock_gettime(CLOCK_REALTIME, &t) < 0 || ns_of(before->st_ctim) > ns_of(t) - STAT_MARGIN_NS)
		return;
	_cleanup_free_ char *key = stat_key(before), *line = stat_line(before, id);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp%ld", key, (long)getpid());
	int f = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f < 0)
		return;
	int r = ac_write_all(f, line, strlen(line));
	close(f);
	if (r < 0 || renameat(s->dirfd, tmp, s->dirfd, key) < 0)
		unlinkat(s->dirfd, tmp, 0);
}

/* A file seen before and unchanged: its signature is still checked (the
 * trust store may have changed since: a key removed, a key expired, another
 * --trust-dir), on the file itself, whose identity is checked again after
 * the check read it.  1: done; 0: import it; -1: refused. */
static int import_known(struct acr_store *s, int src, const char *path, const struct stat *st, acr_verify_fn verify,
			void *varg, char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	if (!stat_lookup(s, src, st, id))
		return 0;
	if (!verify)
		return 1;
	json_t *m = acr_store_manifest(s, id, NULL);
	if (!m)
		return 0;
	int r = lseek(src, 0, SEEK_SET) < 0 ? ac_error_errno(err, "seek %s", path) : verify(src, path, m, varg, err);
	json_decref(m);
	if (r < 0)
		return -1;
	struct stat after;
	return fstat(src, &after) == 0 && same_identity(st, &after);
}

int acr_store_import(struct acr_store *s, const char *path, acr_verify_fn verify, void *varg,
		     char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	_cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (src < 0)
		return ac_error_errno(err, "%s", path);
	struct stat st;
	if (fstat(src, &st) < 0)
		return ac_error_errno(err, "%s", path);
	if (!S_ISREG(st.st_mode))
		return ac_error_set(err, EINVAL, "%s: not a regular file", path);
	int seen = import_known(s, src, path, &st, verify, varg, id, err);
	if (seen != 0)
		return seen < 0 ? -1 : 0;
	if (acr_store_lock(s, 0, err) < 0)
		return -1;
	_cleanup_free_ char *tmp = NULL, *work = NULL, *known = NULL, *text = NULL, *rdir = NULL, *aci = NULL,
			    *mtext = NULL, *final = NULL, *tmpdir = NULL;
	_cleanup_close_ int wfd = -1;
	char hex[65];
	_cleanup_close_ int fd = copy_in(s, src, &tmp, hex, err);
	int rc = -1;
	json_t *m = NULL;
	if (fd < 0)
		goto out;
	/* the whole archive, not just its manifest: entries the extractor
	 * would skip or refuse later (rootfsX/, a second manifest, links out)
	 * keep the image out of the store now, with the validator's message */
	if (lseek(fd, 0, SEEK_SET) < 0) {
		ac_error_errno(err, "seek");
		goto out;
	}
	if (ac_aci_validate(fd, path, &m, err) < 0) {
		if (err && *err && (*err)->code == 0)
			ac_error_wrap(err, "%s: invalid image", path);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		ac_error_errno(err, "seek");
		goto out;
	}
	if (verify) {
		if (lseek(fd, 0, SEEK_SET) < 0) {
			ac_error_errno(err, "seek");
			goto out;
		}
		if (verify(fd, path, m, varg, err) < 0)
			goto out;
	}
	/* A file seen before: its ID is known, the store has it. */
	known = xasprintf("files/%s", hex);
	if (ac_read_file_at(s->dirfd, known, 256, &text, NULL, NULL) == 0) {
		text[strcspn(text, "\n")] = '\0';
		if (is_image_id(text) && image_present(s, text)) {
			memcpy(id, text, AC_IMAGE_ID_LEN + 1);
			stat_record(s, src, &st, id);
			rc = 0;
			goto out;
		}
	}
	tmpdir = xasprintf("%s/tmp", s->dir);
	work = ac_mkdtemp(tmpdir, "img", err);
	if (!work)
		goto out;
	rdir = xasprintf("%s/rendered", work);
	/* An image with dependencies is rendered with them, on first use. */
	if (json_array_size(json_object_get(m, "dependencies")) ? image_id_of(fd, path, id, err) < 0
								: render_into(fd, path, m, rdir, id, err) < 0)
		goto out;
	aci = xasprintf("%s/image.aci", work);
	mtext = ac_manifest_serialize(m, 0, err);
	if (!mtext)
		goto out;
	wfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wfd < 0 || fchmod(wfd, 0755) < 0) {
		ac_error_errno(err, "%s", work);
		goto out;
	}
	if (write_small(wfd, "manifest", mtext, err) < 0 || fsync(fd) < 0 || rename(tmp, aci) < 0) {
		if (!*err)
			ac_error_errno(err, "store %s", path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	final = xasprintf("%s/images/%s", s->dir, id);
	if (rename(work, final) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			ac_error_errno(err, "store %s", final);
			goto out;
		}
		/* Someone stored the same image meanwhile: theirs is as good. */
	}
	{
		_cleanup_free_ char *line = xasprintf("%s\n", id);
		_cleanup_free_ char *kp = xasprintf("%s/files/%s", s->dir, hex);
		if (ac_write_file_atomic(kp, line, strlen(line), 0644, err) < 0)
			goto out;
	}
	stat_record(s, src, &st, id);
	rc = 0;
out:
	if (tmp)
		unlink(tmp);
	if (work)
		ac_rm_rf(work, NULL);
	json_decref(m);
	acr_store_unlock(s);
	return rc;
}

char **acr_store_images(struct acr_store *s, ac_error **err)
{
	DIR *d = ac_opendir_at(s->dirfd, "images");
	if (!d) {
		ac_error_errno(err, "%s/images", s->dir);
		return NULL;
	}
	size_t n = 0;
	char **v = xcalloc(1, sizeof(char *));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!is_image_id(de->d_name))
			continue;
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n++] = xstrdup(de->d_name);
		v[n] = NULL;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v;
}

int acr_store_resolve(struct acr_store *s, const char *ref, char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	if (strncmp(ref, "sha512-", 7) != 0 || strlen(ref) > AC_IMAGE_ID_LEN)
		return ac_error_set(err, EINVAL, "%s: not an image ID (sha512-...)", ref);
	if (strlen(ref) < 7 + 4)
		return ac_error_set(err, EINVAL, "%s: image ID prefix too short (at least 4 hex digits)", ref);
	_cleanup_strv_ char **all = acr_store_images(s, err);
	if (!all)
		return -1;
	const char *found = NULL;
	for (char **p = all; *p; p++) {
		if (strncmp(*p, ref, strlen(ref)) != 0)
			continue;
		if (found)
			return ac_error_set(err, EINVAL, "image ID prefix %s is ambiguous", ref);
		found = *p;
	}
	if (!found)
		return ac_error_set(err, ENOENT, "no image %s in the store", ref);
	memcpy(id, found, AC_IMAGE_ID_LEN + 1);
	return 0;
}

json_t *acr_store_manifest(struct acr_store *s, const char *id, ac_error **err)
{
	_cleanup_free_ char *p = xasprintf("images/%s/manifest", id), *text = NULL;
	size_t len;
	if (ac_read_file_at(s->dirfd, p, AC_MANIFEST_MAX_SIZE, &text, &len, err) < 0)
		return NULL;
	return ac_manifest_parse(text, len, err);
}

/* DIR/scaffold: the mount points and /etc placeholders every pod needs,
 * a lower layer under each image's tree, made once. */
char *acr_store_scaffold(struct acr_store *s, ac_error **err)
{
	char *path = xasprintf("%s/scaffold", s->dir);
	if (faccessat(s->dirfd, "scaffold", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return path;
	static const char *const dirs[] = { "proc", "sys", "dev", "tmp", "etc" };
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->dir);
	_cleanup_free_ char *work = ac_mkdtemp(tmpdir, "scaffold", err);
	int rc = -1;
	if (!work) {
		free(path);
		return NULL;
	}
	_cleanup_close_ int w = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w < 0 || fchmod(w, 0755) < 0)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdirat(w, dirs[i], 0755) < 0)
			goto out;
	for (size_t i = 0; i < 2; i++) {
		int f = openat(w, i ? "etc/hosts" : "etc/resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (f < 0)
			goto out;
		close(f);
	}
	if (rename(work, path) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		ac_error_errno(err, "%s", path);
		free(path);
		path = NULL;
	}
	ac_rm_rf(work, NULL);
	return path;
}

/* Drops files/ entries whose image is gone (store lock held exclusive). */
void acr_store_prune_files(struct acr_store *s)
{
	DIR *d = ac_opendir_at(s->dirfd, "files");
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *text = NULL;
		int keep = 0;
		if (!strstr(de->d_name, ".tmp") && ac_read_file_at(dirfd(d), de->d_name, 512, &text, NULL, NULL) == 0) {
			text[strcspn(text, "\n")] = '\0';
			const char *id = strrchr(text, ' ') ? strrchr(text, ' ') + 1 : text;
			keep = is_image_id(id) && image_present(s, id);
		}
		if (!keep)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* ---- dependencies ---- */

#define MAX_DEP_DEPTH 32

struct dep_node {
	char id[AC_IMAGE_ID_LEN + 1];
	struct dep_node **deps;
	size_t n;
};

static void dep_free(struct dep_node *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		dep_free(d->deps[i]);
	free(d->deps);
	free(d);
}

struct resolver {
	struct acr_store *s;
	const struct acr_deps_opts *o;
	const char *ids[MAX_DEP_DEPTH + 1];   /* the chain being resolved */
	const char *names[MAX_DEP_DEPTH + 1];
	size_t depth;
};

static void rdebug(const struct resolver *r, const char *fmt, ...) AC_PRINTF(2, 3);
static void rdebug(const struct resolver *r, const char *fmt, ...)
{
	if (!r->o->debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *m = NULL;
	if (vasprintf(&m, fmt, ap) < 0)
		m = NULL;
	va_end(ap);
	if (m)
		r->o->debug(m);
}

static long long mtime_of(struct acr_store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("images/%s", id);
	struct stat st;
	return fstatat(s->dirfd, p, &st, 0) == 0 ? (long long)st.st_mtime : 0;
}

/* An image of the store matching the request: by ID when one is given,
 * else by name and labels (the newest of several).  1 when found. */
static int find_in_store(struct acr_store *s, const char *want_id, const struct ac_app *req,
			 char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	if (want_id) {
		ac_error *e = NULL;
		if (acr_store_resolve(s, want_id, id, &e) < 0) {
			int missing = e->code == ENOENT;
			if (missing)
				ac_error_free(&e);
			else if (err)
				*err = e;
			else
				ac_error_free(&e);
			return missing ? 0 : -1;
		}
		return 1;
	}
	_cleanup_strv_ char **all = acr_store_images(s, err);
	if (!all)
		return -1;
	long long best = -1;
	for (char **p = all; *p; p++) {
		json_t *m = acr_store_manifest(s, *p, NULL);
		int ok = m && ac_fetch_check_manifest(m, req, NULL) == 0;
		json_decref(m);
		long long t = ok ? mtime_of(s, *p) : -1;
		if (ok && t > best) {
			best = t;
			memcpy(id, *p, AC_IMAGE_ID_LEN + 1);
		}
	}
	return best >= 0;
}

/* Discovery and download into the store; the size limit holds while
 * downloading. */
static int fetch_dep(struct resolver *r, const char *name, json_t *labels, uint64_t size,
		     char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	struct acr_store *s = r->s;
	ac_buf app = AC_BUF_INIT;
	ac_buf_addf(&app, "%s", name);
	json_t *l;
	size_t i;
	json_array_foreach(labels, i, l) {
		const char *k = json_string_value(json_object_get(l, "name"));
		const char *v = json_string_value(json_object_get(l, "value"));
		if (!k || !v || strchr(v, ',') || strchr(v, '=')) {
			ac_buf_release(&app);
			return ac_error_set(err, EINVAL, "label %s=%s cannot be used for discovery", k ? k : "",
					    v ? v : "");
		}
		ac_buf_addf(&app, ",%s=%s", k, v);
	}
	struct ac_fetch_opts fo = { 0 };
	if (r->o->fetch)
		fo = *r->o->fetch;
	if (size)
		fo.max_size = size;
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->dir);
	_cleanup_free_ char *dir = ac_mkdtemp(tmpdir, "fetch", err);
	if (!dir) {
		ac_buf_release(&app);
		return -1;
	}
	rdebug(r, "fetching dependency %s", app.buf);
	struct ac_fetched f;
	int rc = -1;
	if (ac_fetch_by_name(app.buf, dir, &fo, &f, err) < 0) {
		ac_error_wrap(err, "dependency %s", app.buf);
	} else {
		struct stat st;
		if (stat(f.aci_path, &st) < 0)
			ac_error_errno(err, "%s", f.aci_path);
		else if (size && (uint64_t)st.st_size != size)
			ac_error_set(err, EBADMSG, "dependency %s has incorrect size: expected %llu bytes, got %lld", name,
				     (unsigned long long)size, (long long)st.st_size);
		else
			rc = acr_store_import(s, f.aci_path, r->o->verify, r->o->varg, id, err);
		ac_fetched_free(&f);
	}
	ac_rm_rf(dir, NULL);
	ac_buf_release(&app);
	return rc;
}

static struct dep_node *resolve_node(struct resolver *r, const char *id, json_t *manifest, ac_error **err);

static struct dep_node *resolve_dep(struct resolver *r, json_t *dep, ac_error **err)
{
	const char *name = json_string_value(json_object_get(dep, "imageName"));
	const char *want_id = json_string_value(json_object_get(dep, "imageID"));
	json_t *labels = json_object_get(dep, "labels"), *l, *jsize = json_object_get(dep, "size");
	size_t i;
	if (!name || !*name) {
		ac_error_set(err, EINVAL, "a dependency without imageName");
		return NULL;
	}
	if (jsize && (!json_is_integer(jsize) || json_integer_value(jsize) < 0)) {
		ac_error_set(err, EINVAL, "dependency %s: bad size", name);
		return NULL;
	}
	uint64_t size = (uint64_t)json_integer_value(jsize);
	struct ac_app req = { xstrdup(name), NULL, 0 };
	json_array_foreach(labels, i, l) {
		const char *k = json_string_value(json_object_get(l, "name"));
		const char *v = json_string_value(json_object_get(l, "value"));
		if (k && v)
			ac_app_set_label(&req, k, v);
	}
	char id[AC_IMAGE_ID_LEN + 1];
	struct dep_node *node = NULL;
	json_t *m = NULL;
	int found = find_in_store(r->s, want_id, &req, id, err);
	if (found == 0 && r->o->also) {
		char other[AC_IMAGE_ID_LEN + 1];
		found = find_in_store(r->o->also, want_id, &req, other, err);
		if (found == 1) {
			rdebug(r, "dependency %s: %s from %s", name, other, r->o->also->dir);
			_cleanup_free_ char *p = xasprintf("%s/images/%s/image.aci", r->o->also->dir, other);
			if (acr_store_import(r->s, p, NULL, NULL, id, err) < 0)
				found = -1;
		}
	}
	if (found == 0 && !r->o->no_fetch)
		found = fetch_dep(r, name, labels, size, id, err) < 0 ? -1 : 1;
	if (found == 0)
		ac_error_set(err, ENOENT, "dependency %s%s%s is not in the store", name, want_id ? " " : "",
			     want_id ? want_id : "");
	if (found <= 0)
		goto fail;
	rdebug(r, "dependency %s: %s", name, id);
	if (want_id && strncmp(id, want_id, strlen(want_id)) != 0) {
		ac_error_set(err, EBADMSG, "dependency %s doesn't match hash %s (got %s)", name, want_id, id);
		goto fail;
	}
	long long have = acr_store_image_size(r->s, id);
	if (size && have != (long long)size) {
		ac_error_set(err, EBADMSG, "dependency %s has incorrect size: expected %llu bytes, got %lld", name,
			     (unsigned long long)size, have);
		goto fail;
	}
	m = acr_store_manifest(r->s, id, err);
	if (!m)
		goto fail;
	if (ac_fetch_check_manifest(m, &req, err) < 0) {
		ac_error_wrap(err, "dependency %s (%s)", name, id);
		goto fail;
	}
	node = resolve_node(r, id, m, err);
fail:
	json_decref(m);
	ac_app_free(&req);
	return node;
}

static struct dep_node *resolve_node(struct resolver *r, const char *id, json_t *manifest, ac_error **err)
{
	const char *name = json_string_value(json_object_get(manifest, "name"));
	for (size_t i = 0; i < r->depth; i++) {
		if (!id || !r->ids[i] || strcmp(r->ids[i], id))
			continue;
		ac_buf chain = AC_BUF_INIT;
		for (size_t k = i; k < r->depth; k++)
			ac_buf_addf(&chain, "%s -> ", r->names[k]);
		ac_buf_addf(&chain, "%s", name);
		ac_error_set(err, ELOOP, "dependency cycle: %s", chain.buf);
		ac_buf_release(&chain);
		return NULL;
	}
	if (r->depth >= MAX_DEP_DEPTH) {
		ac_error_set(err, ELOOP, "dependencies nested deeper than %d images", MAX_DEP_DEPTH);
		return NULL;
	}
	struct dep_node *node = xcalloc(1, sizeof(*node));
	if (id)
		memcpy(node->id, id, AC_IMAGE_ID_LEN + 1);
	r->ids[r->depth] = id;
	r->names[r->depth] = name;
	r->depth++;
	json_t *deps = json_object_get(manifest, "dependencies"), *d;
	size_t i;
	node->deps = xcalloc(json_array_size(deps) + 1, sizeof(*node->deps));
	json_array_foreach(deps, i, d) {
		struct dep_node *c = resolve_dep(r, d, err);
		if (!c) {
			dep_free(node);
			node = NULL;
			break;
		}
		node->deps[node->n++] = c;
	}
	r->depth--;
	return node;
}

static const struct acr_deps_opts default_deps_opts;

int acr_deps_resolve(struct acr_store *s, json_t *manifest, const struct acr_deps_opts *o, char ***ids,
		     ac_error **err)
{
	struct resolver r = { .s = s, .o = o ? o : &default_deps_opts };
	struct dep_node *root = resolve_node(&r, NULL, manifest, err);
	if (!root)
		return ac_error_wrap(err, "dependencies of %s",
				     json_string_value(json_object_get(manifest, "name")));
	*ids = xcalloc(root->n + 1, sizeof(char *));
	for (size_t i = 0; i < root->n; i++)
		(*ids)[i] = xstrdup(root->deps[i]->id);
	dep_free(root);
	return 0;
}

/* ---- rendering ---- */

static int rendered_present(struct acr_store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("images/%s/rendered", id);
	return faccessat(s->dirfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The image's own rootfs, then its dependencies' trees under it in reverse
 * order, all through its whitelist; built in tmp/, renamed into place.
 * The store lock is held. */
static int render_node(struct acr_store *s, const struct dep_node *n, ac_error **err)
{
	if (rendered_present(s, n->id))
		return 0;
	for (size_t i = 0; i < n->n; i++)
		if (render_node(s, n->deps[i], err) < 0)
			return -1;
	json_t *m = acr_store_manifest(s, n->id, err);
	if (!m)
		return -1;
	_cleanup_free_ char *r = xasprintf("%s/images/%s/rendered", s->dir, n->id);
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->dir);
	_cleanup_free_ char *work = NULL;
	_cleanup_free_ char *aci = xasprintf("%s/images/%s/image.aci", s->dir, n->id);
	_cleanup_free_ char *wroot = NULL;
	_cleanup_close_ int fd = open(aci, O_RDONLY | O_CLOEXEC);
	char got[AC_IMAGE_ID_LEN + 1];
	int rc = -1;
	struct whitelist w = { json_object_get(m, "pathWhitelist") };
	if (fd < 0) {
		ac_error_errno(err, "%s", aci);
		goto out;
	}
	if (!(work = ac_mkdtemp(tmpdir, "render", err)))
		goto out;
	if (render_into(fd, aci, m, work, got, err) < 0)
		goto out;
	if (strcmp(got, n->id) != 0) {
		ac_error_set(err, EBADMSG, "%s: stored image does not match its ID", aci);
		goto out;
	}
	wroot = xasprintf("%s/rootfs", work);
	for (size_t i = n->n; i-- > 0;) {
		_cleanup_free_ char *dep = xasprintf("%s/images/%s/rendered/rootfs", s->dir, n->deps[i]->id);
		if (acr_merge_under(dep, wroot, json_array_size(w.list) ? whitelist_filter : NULL, &w, err) < 0)
			goto out;
	}
	if (chmod(work, 0755) < 0 || (rename(work, r) < 0 && errno != EEXIST && errno != ENOTEMPTY)) {
		ac_error_errno(err, "%s", r);
		goto out;
	}
	rc = 0;
out:
	if (work)
		ac_rm_rf(work, NULL);
	json_decref(m);
	return rc;
}

int acr_store_render_deps(struct acr_store *s, const char *id, const struct acr_deps_opts *o, char **rootfs,
			  ac_error **err)
{
	if (!rendered_present(s, id)) {
		json_t *m = acr_store_manifest(s, id, err);
		if (!m)
			return -1;
		/* Dependencies are found (and fetched) before the lock is taken:
		 * storing takes it too. */
		struct resolver r = { .s = s, .o = o ? o : &default_deps_opts };
		struct dep_node *root = resolve_node(&r, id, m, err);
		if (!root) {
			ac_error_wrap(err, "dependencies of %s", json_string_value(json_object_get(m, "name")));
			json_decref(m);
			return -1;
		}
		json_decref(m);
		int rc = acr_store_lock(s, 0, err);
		if (rc == 0) {
			rc = render_node(s, root, err);
			acr_store_unlock(s);
		}
		dep_free(root);
		if (rc < 0)
			return -1;
	}
	*rootfs = xasprintf("%s/images/%s/rendered/rootfs", s->dir, id);
	return 0;
}

int acr_store_render(struct acr_store *s, const char *id, char **rootfs, ac_error **err)
{
	return acr_store_render_deps(s, id, NULL, rootfs, err);
}

long long acr_store_image_size(struct acr_store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("images/%s/image.aci", id);
	struct stat st;
	if (fstatat(s->dirfd, p, &st, 0) < 0)
		return -1;
	return (long long)st.st_size;
}

/* Moves path into tmp/ (atomic disappearance), then deletes it there. */
static int remove_via_tmp(struct acr_store *s, const char *rel, ac_error **err)
{
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->dir);
	_cleanup_free_ char *dst = ac_mkdtemp(tmpdir, "rm", err);
	if (!dst)
		return -1;
	_cleanup_free_ char *to = xasprintf("%s/x", dst), *from = xasprintf("%s/%s", s->dir, rel);
	if (rename(from, to) < 0) {
		int e = errno;
		rmdir(dst);
		errno = e;
		return errno == ENOENT ? 0 : ac_error_errno(err, "remove %s", from);
	}
	return ac_rm_rf(dst, err);
}

static int image_in_use(struct acr_store *s, const char *id)
{
	struct acr_pod_info *p;
	size_t n;
	int used = 0;
	if (acr_pods_list(s, &p, &n, NULL) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].running && strcmp(p[i].image_id, id) == 0)
			used = 1;
	acr_pods_free(p, n);
	return used;
}

int acr_store_remove(struct acr_store *s, const char *id, ac_error **err)
{
	if (acr_store_lock(s, 1, err) < 0)
		return -1;
	int rc;
	if (image_in_use(s, id)) {
		rc = ac_error_set(err, EBUSY, "image %s is used by a running pod", id);
	} else {
		_cleanup_free_ char *rel = xasprintf("images/%s", id);
		rc = remove_via_tmp(s, rel, err);
	}
	acr_store_unlock(s);
	return rc;
}

int acr_image_gc(struct acr_store *s, size_t *removed, ac_error **err)
{
	*removed = 0;
	_cleanup_strv_ char **all = acr_store_images(s, err);
	if (!all)
		return -1;
	if (acr_store_lock(s, 1, err) < 0)
		return -1;
	int rc = 0;
	for (char **p = all; *p && rc == 0; p++) {
		if (image_in_use(s, *p))
			continue;
		_cleanup_free_ char *rel = xasprintf("images/%s/rendered", *p);
		if (faccessat(s->dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		rc = remove_via_tmp(s, rel, err);
		if (rc == 0)
			(*removed)++;
	}
	acr_store_unlock(s);
	return rc;
}

int acr_store_export(struct acr_store *s, const char *id, const char *path, ac_error **err)
{
	_cleanup_free_ char *p = xasprintf("%s/images/%s/image.aci", s->dir, id);
	_cleanup_close_ int in = open(p, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ac_error_errno(err, "%s", p);
	ac_outfile o;
	if (ac_outfile_open(&o, path, 0644, 0, err) < 0)
		return -1;
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				ac_error_errno(err, "read %s", p);
				ac_outfile_abort(&o);
				return -1;
			}
			break;
		}
		if (ac_write_all(o.fd, buf, (size_t)n) < 0) {
			ac_error_errno(err, "write %s", path);
			ac_outfile_abort(&o);
			return -1;
		}
	}
	return ac_outfile_commit(&o, err);
}
