/* Copies of trees, made with *at() calls that never follow the trees'
 * symlinks: the writable layer where overlayfs is unavailable, layers
 * merged over or under each other (rendering dependencies), and the
 * changes of a merged copy written back to its upper layer. */
#include "runner-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include "ac/fs.h"

/* What a copy keeps: paths (relative, no leading slash) the filter
 * accepts; rel is the path of the directory being copied. */
struct walk {
	int (*filter)(const char *path, void *arg);
	void *arg;
	const char *rel;
};

static int copy_entry(int sdir, int ddir, const char *name, const struct walk *w, ac_error **err);

static char *rel_join(const struct walk *w, const char *name)
{
	return w && w->rel && *w->rel ? xasprintf("%s/%s", w->rel, name) : xstrdup(name);
}

/* Calls fn for every entry of the directory sfd but . and .. */
static int for_each(int sfd, int (*fn)(const char *name, void *arg, ac_error **err), void *arg, ac_error **err)
{
	DIR *d = ac_opendir_at(sfd, NULL);
	if (!d)
		return ac_error_errno(err, "opendir");
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = fn(de->d_name, arg, err);
	closedir(d);
	return rc;
}

struct copy_arg {
	int sfd, dfd;
	const struct walk *w;
};

static int copy_one(const char *name, void *arg, ac_error **err)
{
	struct copy_arg *a = arg;
	return copy_entry(a->sfd, a->dfd, name, a->w, err);
}

static int copy_dir(int sfd, int dfd, const struct walk *w, ac_error **err)
{
	struct copy_arg a = { sfd, dfd, w };
	return for_each(sfd, copy_one, &a, err);
}

static int set_meta(int ddir, const char *name, const struct stat *st, ac_error **err)
{
	if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && geteuid() == 0)
		return ac_error_errno(err, "chown %s", name);
	/* After chown, which clears setuid bits. */
	if (!S_ISLNK(st->st_mode) && fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
		return ac_error_errno(err, "chmod %s", name);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_entry(int sdir, int ddir, const char *name, const struct walk *w, ac_error **err)
{
	_cleanup_free_ char *rel = NULL;
	struct walk sub = { 0 };
	if (w && w->filter) {
		rel = rel_join(w, name);
		if (!w->filter(rel, w->arg))
			return 0;
		sub = *w;
		sub.rel = rel;
	}
	struct stat st;
	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return ac_error_errno(err, "stat %s", name);
	int rc = 0;
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: {
		if (mkdirat(ddir, name, 0700) < 0)
			return ac_error_errno(err, "mkdir %s", name);
		_cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return ac_error_errno(err, "open %s", name);
		rc = copy_dir(s, d, w && w->filter ? &sub : NULL, err);
		break;
	}
	case S_IFREG: {
		_cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s < 0 || d < 0)
			return ac_error_errno(err, "copy %s", name);
		rc = ac_copy_fd(s, d, name, err);
		break;
	}
	case S_IFLNK: {
		char target[4096];
		ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return ac_error_errno(err, "readlink %s", name);
		target[n] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return ac_error_errno(err, "symlink %s", name);
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if (mknodat(ddir, name, st.st_mode & S_IFMT, st.st_rdev) < 0)
			return ac_error_errno(err, "mknod %s", name);
		break;
	default:
		return 0; /* sockets are not copied */
	}
	if (rc < 0)
		return -1;
	return set_meta(ddir, name, &st, err);
}

int acr_copy_tree(const char *src, const char *dst, ac_error **err)
{
	_cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int d = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return ac_error_errno(err, "copy %s to %s", src, dst);
	struct stat st;
	if (fstat(s, &st) < 0)
		return ac_error_errno(err, "%s", src);
	if (copy_dir(s, d, NULL, err) < 0)
		return ac_error_wrap(err, "copy %s", src);
	if (fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0)
		return ac_error_errno(err, "%s", dst);
	return 0;
}

/* ---- layers ---- */

static int rm_at(int dirfd, const char *name, ac_error **err);

static int rm_one(const char *name, void *arg, ac_error **err)
{
	return rm_at(*(int *)arg, name, err);
}

/* rm -rf of dirfd/name, never following symlinks. */
static int rm_at(int dirfd, const char *name, ac_error **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : ac_error_errno(err, "stat %s", name);
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return ac_error_errno(err, "open %s", name);
		if (for_each(fd, rm_one, &fd, err) < 0)
			return -1;
		if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
			return ac_error_errno(err, "remove %s", name);
		return 0;
	}
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return ac_error_errno(err, "remove %s", name);
	return 0;
}

static int over_dir(int sfd, int dfd, ac_error **err);

struct over_arg {
	int sfd, dfd;
};

static int over_one(const char *name, void *arg, ac_error **err)
{
	struct over_arg *a = arg;
	struct stat s, d;
	if (fstatat(a->sfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return ac_error_errno(err, "stat %s", name);
	int have = fstatat(a->dfd, name, &d, AT_SYMLINK_NOFOLLOW) == 0;
	if (have && S_ISDIR(s.st_mode) && S_ISDIR(d.st_mode)) {
		_cleanup_close_ int sf = openat(a->sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int df = openat(a->dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sf < 0 || df < 0)
			return ac_error_errno(err, "open %s", name);
		if (over_dir(sf, df, err) < 0)
			return -1;
		return set_meta(a->dfd, name, &s, err);
	}
	/* Anything else is replaced, a symlink to a directory included. */
	if (have && rm_at(a->dfd, name, err) < 0)
		return -1;
	return copy_entry(a->sfd, a->dfd, name, NULL, err);
}

static int over_dir(int sfd, int dfd, ac_error **err)
{
	struct over_arg a = { sfd, dfd };
	return for_each(sfd, over_one, &a, err);
}

int acr_copy_over(const char *src, const char *dst, ac_error **err)
{
	_cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int d = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return ac_error_errno(err, "copy %s to %s", src, dst);
	struct stat st;
	if (fstat(s, &st) < 0)
		return ac_error_errno(err, "%s", src);
	if (over_dir(s, d, err) < 0)
		return ac_error_wrap(err, "copy %s", src);
	if (fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0)
		return ac_error_errno(err, "%s", dst);
	return 0;
}

static int under_dir(int sfd, int dfd, const struct walk *w, ac_error **err);

struct under_arg {
	int sfd, dfd;
	const struct walk *w;
};

static int under_one(const char *name, void *arg, ac_error **err)
{
	struct under_arg *a = arg;
	struct stat s, d;
	if (fstatat(a->dfd, name, &d, AT_SYMLINK_NOFOLLOW) < 0)
		return copy_entry(a->sfd, a->dfd, name, a->w, err); /* filtered there */
	if (!S_ISDIR(d.st_mode) || fstatat(a->sfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(s.st_mode))
		return 0; /* the upper entry wins, and hides what is below it */
	_cleanup_free_ char *rel = rel_join(a->w, name);
	struct walk sub = *a->w;
	sub.rel = rel;
	_cleanup_close_ int sf = openat(a->sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int df = openat(a->dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sf < 0 || df < 0)
		return ac_error_errno(err, "open %s", rel);
	return under_dir(sf, df, &sub, err);
}

static int under_dir(int sfd, int dfd, const struct walk *w, ac_error **err)
{
	struct under_arg a = { sfd, dfd, w };
	return for_each(sfd, under_one, &a, err);
}

int acr_merge_under(const char *src, const char *dst, int (*filter)(const char *path, void *arg), void *arg,
		    ac_error **err)
{
	_cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int d = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return ac_error_errno(err, "merge %s into %s", src, dst);
	struct walk w = { filter, arg, "" };
	if (under_dir(s, d, &w, err) < 0)
		return ac_error_wrap(err, "merge %s", src);
	return 0;
}

/* ---- writing a merged copy's changes back to the upper layer ---- */

struct wb {
	struct wb *parent;
	const char *name; /* in parent */
	int mfd;          /* the merged tree's directory */
	int ufd;          /* the upper one, -1 while it does not exist */
	int *lfd;         /* the lowers' (-1 when absent), top-most first */
	size_t nl;
};

static int wb_upper(struct wb *w, ac_error **err)
{
	if (w->ufd >= 0)
		return 0;
	if (wb_upper(w->parent, err) < 0)
		return -1;
	struct stat st;
	if (fstat(w->mfd, &st) < 0)
		return ac_error_errno(err, "stat %s", w->name);
	if (mkdirat(w->parent->ufd, w->name, 0700) < 0 && errno != EEXIST)
		return ac_error_errno(err, "mkdir %s", w->name);
	w->ufd = openat(w->parent->ufd, w->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w->ufd < 0)
		return ac_error_errno(err, "open %s", w->name);
	return set_meta(w->parent->ufd, w->name, &st, err);
}

/* Unchanged by the step: what a copy keeps (times to the nanosecond). */
static int same_entry(int afd, const char *name, const struct stat *a, int bfd, const struct stat *b)
{
	if ((a->st_mode & S_IFMT) != (b->st_mode & S_IFMT) || (a->st_mode & 07777) != (b->st_mode & 07777) ||
	    a->st_uid != b->st_uid || a->st_gid != b->st_gid)
		return 0;
	if (S_ISDIR(a->st_mode))
		return 1;
	if (a->st_size != b->st_size || a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec || a->st_rdev != b->st_rdev)
		return 0;
	if (S_ISLNK(a->st_mode)) {
		char x[4096], y[4096];
		ssize_t n = readlinkat(afd, name, x, sizeof(x)), m = readlinkat(bfd, name, y, sizeof(y));
		return n >= 0 && n == m && memcmp(x, y, (size_t)n) == 0;
	}
	return 1;
}

static int wb_dir(struct wb *w, ac_error **err);

static int wb_one(const char *name, void *arg, ac_error **err)
{
	struct wb *w = arg;
	struct stat m, u, l;
	if (fstatat(w->mfd, name, &m, AT_SYMLINK_NOFOLLOW) < 0)
		return ac_error_errno(err, "stat %s", name);
	int in_upper = w->ufd >= 0 && fstatat(w->ufd, name, &u, AT_SYMLINK_NOFOLLOW) == 0;
	size_t top = w->nl;
	for (size_t i = 0; i < w->nl && top == w->nl; i++)
		if (w->lfd[i] >= 0 && fstatat(w->lfd[i], name, &l, AT_SYMLINK_NOFOLLOW) == 0)
			top = i;
	const struct stat *before = in_upper ? &u : top < w->nl ? &l : NULL;
	if (before && S_ISDIR(m.st_mode) && S_ISDIR(before->st_mode)) {
		struct wb sub = { w, name, -1, -1, xcalloc(w->nl + 1, sizeof(int)), w->nl };
		int rc = -1;
		sub.mfd = openat(w->mfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (in_upper)
			sub.ufd = openat(w->ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		for (size_t i = 0; i < w->nl; i++)
			sub.lfd[i] = w->lfd[i] < 0 ? -1
						   : openat(w->lfd[i], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub.mfd < 0 || (in_upper && sub.ufd < 0))
			ac_error_errno(err, "open %s", name);
		else if (!same_entry(w->mfd, name, &m, -1, before) && wb_upper(&sub, err) < 0)
			;
		else if (wb_dir(&sub, err) == 0)
			rc = sub.ufd >= 0 ? set_meta(w->ufd, name, &m, err) : 0;
		if (sub.mfd >= 0)
			close(sub.mfd);
		if (sub.ufd >= 0)
			close(sub.ufd);
		for (size_t i = 0; i < w->nl; i++)
			if (sub.lfd[i] >= 0)
				close(sub.lfd[i]);
		free(sub.lfd);
		return rc;
	}
	if (before && same_entry(w->mfd, name, &m, in_upper ? w->ufd : w->lfd[top], before))
		return 0;
	if (wb_upper(w, err) < 0 || rm_at(w->ufd, name, err) < 0)
		return -1;
	return copy_entry(w->mfd, w->ufd, name, NULL, err);
}

static int wb_gone(const char *name, void *arg, ac_error **err)
{
	struct wb *w = arg;
	struct stat st;
	if (fstatat(w->mfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return 0;
	return rm_at(w->ufd, name, err);
}

static int wb_dir(struct wb *w, ac_error **err)
{
	if (for_each(w->mfd, wb_one, w, err) < 0)
		return -1;
	/* Removed by the step (files of the lowers cannot be removed). */
	return w->ufd >= 0 ? for_each(w->ufd, wb_gone, w, err) : 0;
}

int acr_write_back(const char *merged, const char *upper, const char *const *lowers, ac_error **err)
{
	size_t nl = 0;
	while (lowers && lowers[nl])
		nl++;
	struct wb w = { NULL, NULL, -1, -1, xcalloc(nl + 1, sizeof(int)), nl };
	int rc = -1;
	w.mfd = open(merged, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	w.ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (size_t i = 0; i < nl; i++)
		w.lfd[i] = open(lowers[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w.mfd < 0 || w.ufd < 0)
		ac_error_errno(err, "write back %s to %s", merged, upper);
	else if (wb_dir(&w, err) < 0)
		ac_error_wrap(err, "write back to %s", upper);
	else
		rc = 0;
	if (w.mfd >= 0)
		close(w.mfd);
	if (w.ufd >= 0)
		close(w.ufd);
	for (size_t i = 0; i < nl; i++)
		if (w.lfd[i] >= 0)
			close(w.lfd[i]);
	free(w.lfd);
	return rc;
}

/* ---- overlayfs leftovers in an upper layer ---- */

static void drop_overlay_xattrs(int dirfd, const char *name)
{
	char path[64], list[4096];
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = llistxattr(path, list, sizeof(list));
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(list + i) + 1)
		if (ac_str_has_prefix(list + i, "trusted.overlay.") || ac_str_has_prefix(list + i, "user.overlay."))
			lremovexattr(path, list + i);
	close(fd);
}

struct wo_arg {
	int fd;
	size_t *n;
};

static int wo_dir(int fd, size_t *n, ac_error **err);

static int wo_one(const char *name, void *arg, ac_error **err)
{
	struct wo_arg *a = arg;
	struct stat st;
	if (fstatat(a->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return ac_error_errno(err, "stat %s", name);
	if (S_ISCHR(st.st_mode) && st.st_rdev == 0) {
		if (unlinkat(a->fd, name, 0) < 0)
			return ac_error_errno(err, "remove %s", name);
		(*a->n)++;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	drop_overlay_xattrs(a->fd, name);
	_cleanup_close_ int d = openat(a->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return ac_error_errno(err, "open %s", name);
	return wo_dir(d, a->n, err);
}

static int wo_dir(int fd, size_t *n, ac_error **err)
{
	struct wo_arg a = { fd, n };
	return for_each(fd, wo_one, &a, err);
}

int acr_drop_whiteouts(const char *upper, size_t *n, ac_error **err)
{
	*n = 0;
	_cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "%s", upper);
	drop_overlay_xattrs(AT_FDCWD, upper);
	return wo_dir(fd, n, err);
}
