/* The safe extractor.  The root directory is opened once; every entry's
 * parent directory is resolved inside it (openat2 RESOLVE_IN_ROOT, or a
 * component walk that refuses symlinks where openat2 is missing), and the
 * last component is created with *at() calls relative to that parent, never
 * following a symlink.  So nothing the archive holds ("..", absolute names,
 * symlinks to "/" then entries through them, hard links to host files) can
 * reach outside the root. */
#include "ac/extract.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include "ac/fs.h"
#include "ac/pathset.h"

/* ------------------------------------------------------------ resolution */

static int openat2_missing; /* set once the kernel said ENOSYS */

static int have_openat2(void)
{
	const char *e = getenv("AC_EXTRACT_NO_OPENAT2"); /* tests force the fallback */
	if (e && *e && strcmp(e, "0"))
		return 0;
	return !openat2_missing;
}

/* The component walk used without openat2: every intermediate component
 * must be a real directory (a symlink is refused with ELOOP), and so must
 * the last one unless the caller asks otherwise (O_NOFOLLOW is added).
 * path is relative and clean (no "..", no "."). */
static int walk_nofollow(int rootfd, const char *path, int flags, mode_t mode)
{
	int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -1;
	_cleanup_free_ char *p = xstrdup(path);
	char *comp = p;
	for (;;) {
		char *slash = strchr(comp, '/');
		if (!slash)
			break;
		*slash = '\0';
		int next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int saved = errno;
			struct stat st;
			if (saved == ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				saved = ELOOP;
			close(cur);
			errno = saved;
			return -1;
		}
		close(cur);
		cur = next;
		comp = slash + 1;
	}
	int fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	int saved = errno;
	if (fd < 0 && saved == ENOTDIR && (flags & O_DIRECTORY)) {
		struct stat st;
		if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			saved = ELOOP;
	}
	close(cur);
	errno = saved;
	return fd;
}

/* Opens path inside rootfd; -1 with errno.  path is relative and clean.
 * With openat2, symlinks are followed but stay inside the root (absolute
 * targets and ".." are resolved against rootfd); without it they are
 * refused (ELOOP). */
static int resolve_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	if (!strcmp(path, "."))
		return openat(rootfd, ".", (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
	if (have_openat2()) {
		struct open_how how = { 0 };
		how.flags = (uint64_t)(flags | O_CLOEXEC);
		how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
		how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
		long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
		openat2_missing = 1;
	}
	return walk_nofollow(rootfd, path, flags, mode);
}

/* "/" + path, cleaned, without the leading "/": ".." can not climb above
 * the root, which is what RESOLVE_IN_ROOT does too. */
static char *clean_in_root(const char *path)
{
	_cleanup_free_ char *rooted = xasprintf("/%s", path);
	char *c = ac_path_clean(rooted);
	if (!strcmp(c, "/")) {
		free(c);
		return xstrdup(".");
	}
	memmove(c, c + 1, strlen(c));
	return c;
}

int ac_open_in_root(int rootfd, const char *path, int flags, mode_t mode, ac_error **err)
{
	_cleanup_free_ char *c = clean_in_root(path);
	int fd = resolve_in_root(rootfd, c, flags, mode);
	if (fd < 0) {
		if (errno == ELOOP && !have_openat2())
			return ac_error_set(err, ELOOP, "%s: symlinks in the path can not be resolved safely "
					    "without openat2", path);
		return ac_error_errno(err, "%s", path);
	}
	return fd;
}

/* ------------------------------------------------------------ extraction */

struct dir_meta {
	char *rel;
	mode_t mode;
	struct timespec ts[2];
};

struct ex {
	ac_aci_reader *r;
	const struct ac_extract_opts *o;
	int rootfd;
	int is_root;
	uint64_t total;
	struct dir_meta *dirs;
	size_t ndirs, dircap;
	/* rel -> index + 1 in dirs, so that a directory named again updates
	 * its record (the later entry wins) without a linear search */
	size_t *dir_index, index_cap;
	/* the current entry, for messages */
	const char *raw;
	char *qraw;
};

static int entry_err(struct ex *x, ac_error **err, int code, const char *fmt, ...) AC_PRINTF(4, 5);
static int entry_err(struct ex *x, ac_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *m = xvasprintf(fmt, ap);
	va_end(ap);
	return ac_error_set(err, code, "%s: entry %s: %s", ac_aci_reader_name(x->r), x->qraw, m);
}

static int entry_errno(struct ex *x, ac_error **err, const char *fmt, ...) AC_PRINTF(3, 4);
static int entry_errno(struct ex *x, ac_error **err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *m = xvasprintf(fmt, ap);
	va_end(ap);
	return ac_error_set(err, saved, "%s: entry %s: %s: %s", ac_aci_reader_name(x->r), x->qraw, m,
			    strerror(saved));
}

/* The entry name for messages, quoted; names longer than QUOTE_MAX bytes
 * (a hostile PAX header can hold megabytes) are cut, so that an error stays
 * one readable line. */
#define QUOTE_MAX 200
static char *quote(const char *s)
{
	size_t n = strlen(s);
	int cut = n > QUOTE_MAX;
	if (cut)
		n = QUOTE_MAX;
	char *q = xmalloc(4 * n + 48), *o = q;
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + n; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += sprintf(o, "\\x%02x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = '\0';
	if (cut)
		sprintf(o, "... (%zu bytes)", strlen(s));
	return q;
}

/* rm -r of dfd/name, never following symlinks. */
static int rm_tree_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	struct dirent *de;
	int ret = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			continue;
		if ((errno != EISDIR && errno != EPERM) || rm_tree_at(fd, de->d_name) < 0) {
			ret = -1;
			break;
		}
	}
	int saved = errno;
	closedir(d);
	if (ret < 0) {
		errno = saved;
		return -1;
	}
	return unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Removes whatever is at pfd/base (a directory recursively). */
static int remove_existing(int pfd, const char *base)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode))
		return rm_tree_at(pfd, base);
	return unlinkat(pfd, base, 0);
}

/* The directory rel (relative, clean, not ".") inside the root, created
 * (mode 0755) with any missing parent when create is set.  An fd (O_PATH)
 * or -1 with errno. */
static int open_dir(struct ex *x, const char *rel, int create)
{
	int fd = resolve_in_root(x->rootfd, rel, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	/* Create the missing components one by one, each one resolved from
	 * the root again so that symlinks stay confined. */
	_cleanup_free_ char *p = xstrdup(rel);
	int pfd = fcntl(x->rootfd, F_DUPFD_CLOEXEC, 3);
	if (pfd < 0)
		return -1;
	char *comp = p;
	for (;;) {
		char *slash = strchr(comp, '/');
		if (slash)
			*slash = '\0';
		int next = resolve_in_root(x->rootfd, p, O_PATH | O_DIRECTORY, 0);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(pfd, comp, 0755) == 0) {
				/* 0755 exactly, whatever the umask */
				int dfd = openat(pfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (dfd >= 0) {
					if (fchmod(dfd, 0755) < 0) {
						int saved = errno;
						close(dfd);
						close(pfd);
						errno = saved;
						return -1;
					}
					close(dfd);
				}
			} else if (errno != EEXIST) {
				int saved = errno;
				close(pfd);
				errno = saved;
				return -1;
			}
			next = resolve_in_root(x->rootfd, p, O_PATH | O_DIRECTORY, 0);
		}
		int saved = errno;
		close(pfd);
		if (next < 0) {
			errno = saved;
			return -1;
		}
		pfd = next;
		if (!slash)
			return pfd;
		*slash = '/';
		comp = slash + 1;
	}
}

/* Splits rel into its parent (opened, created when missing) and its last
 * component (*base points into rel). */
static int open_parent(struct ex *x, const char *rel, const char **base, int create, ac_error **err)
{
	const char *slash = strrchr(rel, '/');
	int fd;
	if (!slash) {
		*base = rel;
		fd = fcntl(x->rootfd, F_DUPFD_CLOEXEC, 3);
	} else {
		*base = slash + 1;
		_cleanup_free_ char *dir = xstrndup(rel, (size_t)(slash - rel));
		fd = open_dir(x, dir, create);
		if (fd < 0) {
			if (errno == ELOOP && !have_openat2())
				return entry_err(x, err, ELOOP, "the path goes through a symlink (refused without openat2)");
			if (errno == ELOOP)
				return entry_errno(x, err, "cannot resolve the parent directory");
			if (errno == ENOTDIR)
				return entry_err(x, err, ENOTDIR, "a parent is not a directory");
			return entry_errno(x, err, "cannot open the parent directory");
		}
	}
	if (fd < 0)
		return entry_errno(x, err, "dup");
	return fd;
}

static int set_xattrs(struct ex *x, struct archive_entry *e, int fd, ac_error **err)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (!name || !*name)
			continue;
		if (fsetxattr(fd, name, value, size, 0) == 0)
			continue;
		int privileged = ac_str_has_prefix(name, "trusted.") || ac_str_has_prefix(name, "security.");
		if (privileged && !x->is_root && (errno == EPERM || errno == ENOTSUP))
			continue;
		return entry_errno(x, err, "cannot set xattr %s", name);
	}
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	if (archive_entry_mtime_is_set(e)) {
		ts[1].tv_sec = archive_entry_mtime(e);
		ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	} else {
		ts[1].tv_sec = 0;
		ts[1].tv_nsec = UTIME_OMIT;
	}
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

static mode_t entry_perm(struct ex *x, struct archive_entry *e)
{
	mode_t perm = archive_entry_perm(e) & 07777;
	if (!x->o->same_owner)
		perm &= ~(mode_t)(S_ISUID | S_ISGID);
	return perm;
}

/* Owner, mode and times of a just-created non-regular inode pfd/base. */
static int finish_path(struct ex *x, struct archive_entry *e, int pfd, const char *base, int is_link,
		       ac_error **err)
{
	if (x->o->same_owner &&
	    fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
		return entry_errno(x, err, "cannot change the owner");
	if (!is_link && fchmodat(pfd, base, entry_perm(x, e), 0) < 0)
		return entry_errno(x, err, "cannot change the mode");
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_errno(x, err, "cannot set the times");
	return 0;
}

/* The slot of rel in the index (empty if absent). */
static size_t *dir_slot(struct ex *x, const char *rel)
{
	size_t mask = x->index_cap - 1;
	for (size_t i = (size_t)ac_str_hash(rel) & mask;; i = (i + 1) & mask)
		if (!x->dir_index[i] || !strcmp(x->dirs[x->dir_index[i] - 1].rel, rel))
			return &x->dir_index[i];
}

static void add_dir_meta(struct ex *x, const char *rel, struct archive_entry *e)
{
	if ((x->ndirs + 1) * 2 > x->index_cap) {
		size_t ncap = x->index_cap ? x->index_cap * 2 : 128;
		free(x->dir_index);
		x->dir_index = xcalloc(ncap, sizeof(*x->dir_index));
		x->index_cap = ncap;
		for (size_t i = 0; i < x->ndirs; i++)
			*dir_slot(x, x->dirs[i].rel) = i + 1;
	}
	size_t *slot = dir_slot(x, rel);
	struct dir_meta *m;
	if (*slot) {
		m = &x->dirs[*slot - 1]; /* keeps its place: before its children */
	} else {
		if (x->ndirs == x->dircap) {
			x->dircap = x->dircap ? x->dircap * 2 : 64;
			x->dirs = xrealloc(x->dirs, x->dircap * sizeof(*x->dirs));
		}
		m = &x->dirs[x->ndirs++];
		m->rel = xstrdup(rel);
		*slot = x->ndirs;
	}
	m->mode = entry_perm(x, e);
	entry_times(e, m->ts);
}

static int extract_dir(struct ex *x, struct archive_entry *e, const char *rel, ac_error **err)
{
	_cleanup_close_ int dfd = -1;
	if (!strcmp(rel, ".")) {
		dfd = fcntl(x->rootfd, F_DUPFD_CLOEXEC, 3);
	} else {
		const char *base;
		_cleanup_close_ int pfd = open_parent(x, rel, &base, 1, err);
		if (pfd < 0)
			return -1;
		if (mkdirat(pfd, base, 0700) < 0) {
			struct stat st;
			if (errno != EEXIST)
				return entry_errno(x, err, "cannot create the directory");
			if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
				return entry_errno(x, err, "stat");
			if (!S_ISDIR(st.st_mode)) {
				/* a file or a symlink: replaced, never followed */
				if (unlinkat(pfd, base, 0) < 0 || mkdirat(pfd, base, 0700) < 0)
					return entry_errno(x, err, "cannot replace with a directory");
			}
		}
		dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (dfd < 0)
		return entry_errno(x, err, "cannot open the directory");
	if (x->o->same_owner && fchown(dfd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
		return entry_errno(x, err, "cannot change the owner");
	if (set_xattrs(x, e, dfd, err) < 0)
		return -1;
	add_dir_meta(x, rel, e);
	return 0;
}

static int extract_file(struct ex *x, struct archive_entry *e, int pfd, const char *base, ac_error **err)
{
	int64_t size = archive_entry_size(e);
	uint64_t max = x->o->max_bytes;
	if (size < 0)
		size = 0;
	if (max && ((uint64_t)size > max || x->total + (uint64_t)size > max))
		return entry_err(x, err, EFBIG, "extracted data exceeds %" PRIu64 " bytes", max);
	/* create first: something in the way is rare, so look only then */
	_cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		if (remove_existing(pfd, base) < 0)
			return entry_errno(x, err, "cannot replace the existing file");
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return entry_errno(x, err, "cannot create the file");
	for (;;) {
		const void *b;
		size_t n;
		if (ac_aci_reader_data(x->r, &b, &n, err) < 0)
			return -1;
		if (n == 0)
			break;
		x->total += n;
		if (max && x->total > max)
			return entry_err(x, err, EFBIG, "extracted data exceeds %" PRIu64 " bytes", max);
		if (ac_write_all(fd, b, n) < 0)
			return entry_errno(x, err, "write");
	}
	if (x->o->same_owner && fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
		return entry_errno(x, err, "cannot change the owner");
	if (fchmod(fd, entry_perm(x, e)) < 0)
		return entry_errno(x, err, "cannot change the mode");
	if (set_xattrs(x, e, fd, err) < 0)
		return -1;
	struct timespec ts[2];
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return entry_errno(x, err, "cannot set the times");
	if (close(steal_fd(&fd)) < 0)
		return entry_errno(x, err, "close");
	return 0;
}

/* A hard link: the target is resolved inside the root too, and linked
 * without following it (a link to a symlink links the symlink). */
static int extract_hardlink(struct ex *x, struct archive_entry *e, const char *rel, int pfd, const char *base,
			    ac_error **err)
{
	const char *hl = archive_entry_hardlink(e);
	_cleanup_free_ char *qhl = quote(hl);
	if (archive_entry_size(e) > 0)
		return entry_err(x, err, EINVAL, "hard link carrying data refused");
	_cleanup_free_ char *t = ac_path_clean(hl);
	if (t[0] == '/' || !strcmp(t, "..") || ac_str_has_prefix(t, "../"))
		return entry_err(x, err, EXDEV, "hard link target %s is outside the extraction root", qhl);
	const char *trel = t;
	if (x->o->strip_prefix) {
		_cleanup_free_ char *p = ac_path_clean(x->o->strip_prefix);
		size_t pl = strlen(p);
		if (strncmp(t, p, pl) || t[pl] != '/')
			return entry_err(x, err, EXDEV, "hard link target %s is outside %s", qhl, p);
		trel = t + pl + 1;
	}
	if (!strcmp(trel, "."))
		return entry_err(x, err, EINVAL, "hard link to the extraction root refused");
	if (!strcmp(trel, rel))
		return entry_err(x, err, EINVAL, "hard link to itself");
	const char *tbase;
	_cleanup_close_ int tpfd = -1;
	const char *slash = strrchr(trel, '/');
	if (!slash) {
		tbase = trel;
		tpfd = fcntl(x->rootfd, F_DUPFD_CLOEXEC, 3);
	} else {
		tbase = slash + 1;
		_cleanup_free_ char *dir = xstrndup(trel, (size_t)(slash - trel));
		tpfd = open_dir(x, dir, 0);
	}
	struct stat st;
	if (tpfd < 0 || fstatat(tpfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return entry_err(x, err, ENOENT, "hard link target %s does not exist", qhl);
		return entry_errno(x, err, "hard link target %s", qhl);
	}
	if (S_ISDIR(st.st_mode))
		return entry_err(x, err, EPERM, "hard link to a directory refused: %s", qhl);
	if (remove_existing(pfd, base) < 0)
		return entry_errno(x, err, "cannot replace the existing file");
	if (linkat(tpfd, tbase, pfd, base, 0) < 0)
		return entry_errno(x, err, "cannot create the hard link to %s", qhl);
	return 0;
}

static int extract_entry(struct ex *x, struct archive_entry *e, const char *rel, ac_error **err)
{
	unsigned type = archive_entry_filetype(e);
	const char *hl = archive_entry_hardlink(e);
	if (!strcmp(rel, ".")) {
		if (hl || type != AE_IFDIR)
			return entry_err(x, err, EINVAL, "only a directory can stand for the extraction root");
		return extract_dir(x, e, rel, err);
	}
	if (!hl && type == AE_IFDIR)
		return extract_dir(x, e, rel, err);
	if (!hl && (type == AE_IFCHR || type == AE_IFBLK) && !x->o->allow_devices)
		return 0; /* documented: skipped */
	if (!hl && type != AE_IFREG && type != AE_IFLNK && type != AE_IFIFO && type != AE_IFCHR && type != AE_IFBLK)
		return entry_err(x, err, EINVAL, "unsupported entry type 0%o", type);
	const char *base;
	_cleanup_close_ int pfd = open_parent(x, rel, &base, 1, err);
	if (pfd < 0)
		return -1;
	if (hl)
		return extract_hardlink(x, e, rel, pfd, base, err);
	switch (type) {
	case AE_IFREG:
		return extract_file(x, e, pfd, base, err);
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);
		if (!target)
			return entry_err(x, err, EINVAL, "symlink without a target");
		if (symlinkat(target, pfd, base) < 0 &&
		    (errno != EEXIST || remove_existing(pfd, base) < 0 || symlinkat(target, pfd, base) < 0))
			return entry_errno(x, err, "cannot create the symlink");
		return finish_path(x, e, pfd, base, 1, err);
	}
	default: { /* FIFO or device */
		if (remove_existing(pfd, base) < 0)
			return entry_errno(x, err, "cannot replace the existing file");
		dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
		if (mknodat(pfd, base, (mode_t)type | 0600, dev) < 0)
			return entry_errno(x, err, type == AE_IFIFO ? "cannot create the fifo" : "cannot create the device node");
		return finish_path(x, e, pfd, base, 0, err);
	}
	}
}

/* Directory modes and times, at the end: creating entries changes a
 * directory's mtime, and a read-only directory would stop later entries. */
static int apply_dir_meta(struct ex *x, ac_error **err)
{
	for (size_t i = x->ndirs; i-- > 0;) {
		struct dir_meta *m = &x->dirs[i];
		int fd = resolve_in_root(x->rootfd, m->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
		if (fd < 0)
			continue; /* replaced by a later entry */
		int r = fchmod(fd, m->mode);
		if (r == 0)
			r = futimens(fd, m->ts);
		int saved = errno;
		close(fd);
		if (r < 0) {
			errno = saved;
			return ac_error_errno(err, "%s: directory \"%s\": cannot set mode and times",
					      ac_aci_reader_name(x->r), m->rel);
		}
	}
	return 0;
}

void ac_extract_opts_default(struct ac_extract_opts *o)
{
	memset(o, 0, sizeof(*o));
	int root = geteuid() == 0;
	o->same_owner = root;
	o->allow_devices = root;
}

int ac_extract(ac_aci_reader *r, const char *root_dir, const struct ac_extract_opts *o, ac_error **err)
{
	struct ac_extract_opts defaults;
	if (!o) {
		ac_extract_opts_default(&defaults);
		o = &defaults;
	}
	if (ac_mkdir_p(root_dir, 0755, err) < 0)
		return -1;
	struct ex x = { 0 };
	x.r = r;
	x.o = o;
	x.is_root = geteuid() == 0;
	x.rootfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.rootfd < 0)
		return ac_error_errno(err, "cannot open %s", root_dir);
	_cleanup_free_ char *prefix = o->strip_prefix ? ac_path_clean(o->strip_prefix) : NULL;
	size_t plen = prefix ? strlen(prefix) : 0;
	int ret = -1;
	for (;;) {
		struct archive_entry *e;
		int rc = ac_aci_reader_next(r, &e, err);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		x.raw = archive_entry_pathname(e);
		if (!x.raw)
			x.raw = archive_entry_pathname_utf8(e);
		if (!x.raw) {
			ac_error_set(err, EINVAL, "%s: an entry has no usable name", ac_aci_reader_name(r));
			goto out;
		}
		free(x.qraw);
		x.qraw = quote(x.raw);
		_cleanup_free_ char *c = ac_path_clean(x.raw);
		if (c[0] == '/') {
			entry_err(&x, err, EINVAL, "absolute path names are refused");
			goto out;
		}
		if (!strcmp(c, "..") || ac_str_has_prefix(c, "../")) {
			entry_err(&x, err, EINVAL, "the path leads outside the extraction root");
			goto out;
		}
		const char *rel = c;
		if (prefix) {
			if (!strcmp(c, prefix))
				rel = ".";
			else if (!strncmp(c, prefix, plen) && c[plen] == '/')
				rel = c + plen + 1;
			else
				continue;
		}
		if (strcmp(rel, ".") && o->filter && !o->filter(rel, o->filter_arg))
			continue;
		if (extract_entry(&x, e, rel, err) < 0)
			goto out;
	}
	if (apply_dir_meta(&x, err) < 0)
		goto out;
	ret = 0;
out:
	for (size_t i = 0; i < x.ndirs; i++)
		free(x.dirs[i].rel);
	free(x.dirs);
	free(x.dir_index);
	free(x.qraw);
	close(x.rootfd);
	return ret;
}
