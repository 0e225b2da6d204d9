/* copy and copy-to-dir: host trees into the rootfs.
 *
 * The destination is resolved inside the rootfs as a chroot would resolve
 * it: ".." stops at the rootfs, and symlinks of the image (absolute or
 * relative) are followed inside it (ac_open_in_root).  Everything below is
 * then created with *at() calls relative to directory fds obtained that way,
 * never following a symlink of the image, so nothing is ever written outside
 * the rootfs.  Modes, owners (when permitted), times, symlinks, FIFOs,
 * devices and hard links within one copy are preserved. */
#include "acbuild.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "ac/extract.h"
#include "ac/fs.h"

struct copier {
	/* hard links: source inode -> (dir fd, name) of the first copy */
	struct hl {
		dev_t dev;
		ino_t ino;
		int dirfd;
		char *name;
	} *hl;
	size_t nhl;
};

static void copier_free(struct copier *c)
{
	for (size_t i = 0; i < c->nhl; i++) {
		close(c->hl[i].dirfd);
		free(c->hl[i].name);
	}
	free(c->hl);
}

static int set_owner_mode_times(int dirfd, const char *name, const struct stat *st, ac_error **err)
{
	if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
	    !((errno == EPERM || errno == EINVAL) && geteuid() != 0))
		return ac_error_errno(err, "chown %s", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
		return ac_error_errno(err, "chmod %s", name);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return ac_error_errno(err, "set times of %s", name);
	return 0;
}

/* Makes room for a new entry name in dirfd: removes a non-directory, or a
 * directory when keep_dir is 0.  Returns 1 if a directory was kept. */
static int clear_slot(int dirfd, const char *name, int keep_dir, ac_error **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return ac_error_errno(err, "stat %s", name);
	}
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 1;
		return ac_error_set(err, EISDIR, "cannot overwrite directory %s with a non-directory", name);
	}
	if (unlinkat(dirfd, name, 0) < 0)
		return ac_error_errno(err, "remove %s", name);
	return 0;
}

static int copy_tree(struct copier *c, const char *src, int dirfd, const char *name, ac_error **err);

static int copy_dir_entries(struct copier *c, const char *src, int dstfd, ac_error **err)
{
	DIR *d = opendir(src);
	if (!d)
		return ac_error_errno(err, "open %s", src);
	/* sorted, so that errors and inode order do not depend on readdir */
	struct dirent **names = NULL;
	int n = scandir(src, &names, NULL, alphasort);
	closedir(d);
	if (n < 0)
		return ac_error_errno(err, "read %s", src);
	int ret = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (ret == 0 && strcmp(nm, ".") && strcmp(nm, "..")) {
			_cleanup_free_ char *s = xasprintf("%s/%s", src, nm);
			ret = copy_tree(c, s, dstfd, nm, err);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

/* Copies src (not followed if a symlink) to dirfd/name. */
static int copy_tree(struct copier *c, const char *src, int dirfd, const char *name, ac_error **err)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return ac_error_errno(err, "%s", src);
	int kept;
	if ((kept = clear_slot(dirfd, name, S_ISDIR(st.st_mode), err)) < 0)
		return -1;
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: {
		if (!kept && mkdirat(dirfd, name, 0700) < 0)
			return ac_error_errno(err, "mkdir %s", name);
		_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return ac_error_errno(err, "open %s", name);
		if (copy_dir_entries(c, src, fd, err) < 0)
			return -1;
		break;
	}
	case S_IFREG: {
		if (st.st_nlink > 1) {
			for (size_t i = 0; i < c->nhl; i++)
				if (c->hl[i].dev == st.st_dev && c->hl[i].ino == st.st_ino) {
					if (linkat(c->hl[i].dirfd, c->hl[i].name, dirfd, name, 0) < 0)
						return ac_error_errno(err, "link %s", name);
					return 0;
				}
		}
		_cleanup_close_ int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return ac_error_errno(err, "open %s", src);
		_cleanup_close_ int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			return ac_error_errno(err, "create %s", name);
		if (ac_copy_fd(in, out, src, err) < 0)
			return -1;
		if (st.st_nlink > 1) {
			c->hl = xrealloc(c->hl, (c->nhl + 1) * sizeof(*c->hl));
			c->hl[c->nhl++] = (struct hl){ st.st_dev, st.st_ino, fcntl(dirfd, F_DUPFD_CLOEXEC, 3), xstrdup(name) };
		}
		break;
	}
	case S_IFLNK: {
		_cleanup_free_ char *target = xmalloc(st.st_size + 1);
		ssize_t n = readlink(src, target, st.st_size + 1);
		if (n < 0 || n > st.st_size)
			return ac_error_errno(err, "readlink %s", src);
		target[n] = 0;
		if (symlinkat(target, dirfd, name) < 0)
			return ac_error_errno(err, "symlink %s", name);
		break;
	}
	case S_IFIFO:
	case S_IFCHR:
	case S_IFBLK:
		if (mknodat(dirfd, name, st.st_mode, st.st_rdev) < 0)
			return ac_error_errno(err, "mknod %s", name);
		break;
	default: /* sockets are not part of an image */
		return 0;
	}
	return set_owner_mode_times(dirfd, name, &st, err);
}

/* Splits a rootfs path into its cleaned relative form ("usr/local/f"; "."
 * for the root itself). */
static char *clean_in_root(const char *dst)
{
	_cleanup_free_ char *abs = xasprintf("/%s", dst);
	char *c = ac_path_clean(abs); /* "/../x" cleans to "/x" */
	char *rel = xstrdup(c[1] ? c + 1 : ".");
	free(c);
	return rel;
}

/* mkdir -p of rel inside the root, each component resolved inside it;
 * returns an fd of the directory. */
static int mkdir_in_root(int rootfd, const char *rel, ac_error **err)
{
	if (!strcmp(rel, "."))
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	_cleanup_free_ char *p = xstrdup(rel);
	int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	for (char *s = p;;) {
		char *slash = strchr(s, '/');
		if (slash)
			*slash = 0;
		ac_error *e = NULL;
		int nfd = ac_open_in_root(rootfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, &e);
		if (nfd < 0 && e->code == ENOENT) {
			ac_error_free(&e);
			if (mkdirat(fd, s, 0755) < 0 && errno != EEXIST) {
				close(fd);
				return ac_error_errno(err, "mkdir /%s", p);
			}
			nfd = ac_open_in_root(rootfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, &e);
		}
		close(fd);
		if (nfd < 0) {
			int code = e->code;
			ac_error_free(&e);
			errno = code;
			return ac_error_errno(err, "/%s", p);
		}
		fd = nfd;
		if (!slash)
			return fd;
		*slash = '/';
		s = slash + 1;
	}
}

int acb_copy_dir_contents(const char *src, int dstfd, ac_error **err)
{
	struct copier c = { NULL, 0 };
	int r = copy_dir_entries(&c, src, dstfd, err);
	copier_free(&c);
	return r;
}

int acb_copy_into_root(int rootfd, const char *src, const char *dst, ac_error **err)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return ac_error_errno(err, "%s", src);
	_cleanup_free_ char *rel = clean_in_root(dst);
	struct copier c = { NULL, 0 };
	int ret;
	if (!strcmp(rel, ".")) {
		/* onto the rootfs itself: only a directory's contents fit */
		if (!S_ISDIR(st.st_mode))
			return ac_error_set(err, EISDIR, "%s: cannot replace the root directory with a non-directory", dst);
		ret = copy_dir_entries(&c, src, rootfd, err);
		copier_free(&c);
		return ret;
	}
	/* An existing directory DEST (symlinks resolved in the root) takes a
	 * directory SRC's content. */
	if (S_ISDIR(st.st_mode)) {
		ac_error *e = NULL;
		_cleanup_close_ int dfd = ac_open_in_root(rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, &e);
		ac_error_free(&e);
		if (dfd >= 0) {
			ret = copy_dir_entries(&c, src, dfd, err);
			copier_free(&c);
			if (ret == 0) {
				struct timespec ts[2] = { st.st_atim, st.st_mtim };
				fchmod(dfd, st.st_mode & 07777);
				futimens(dfd, ts);
			}
			return ret;
		}
	}
	_cleanup_free_ char *dircopy = xstrdup(rel), *basecopy = xstrdup(rel);
	const char *parent = dirname(dircopy), *base = basename(basecopy);
	int pfd = mkdir_in_root(rootfd, parent, err);
	if (pfd < 0)
		return -1;
	ret = copy_tree(&c, src, pfd, base, err);
	/* a new directory's contents changed its mtime: restore it */
	copier_free(&c);
	close(pfd);
	return ret;
}

static int open_rootfs(struct acb *b, ac_error **err)
{
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", b->aci);
	int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open %s", rootfs);
	return fd;
}

static int link_over(int sfd, int dfd, int depth, ac_error **err)
{
	if (depth > 4096)
		return ac_error_set(err, ELOOP, "directory tree too deep");
	DIR *d = ac_opendir_at(sfd, NULL);
	if (!d)
		return ac_error_errno(err, "cannot read a directory of changes");
	int ret = 0;
	struct dirent *de;
	while (ret == 0 && (de = readdir(d))) {
		const char *nm = de->d_name;
		if (!strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		struct stat s, t;
		if (fstatat(sfd, nm, &s, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = ac_error_errno(err, "stat %s", nm);
			break;
		}
		int have = fstatat(dfd, nm, &t, AT_SYMLINK_NOFOLLOW) == 0;
		if (have && S_ISDIR(t.st_mode) && !S_ISDIR(s.st_mode)) {
			ret = ac_error_set(err, EISDIR, "cannot overwrite directory %s with a non-directory", nm);
			break;
		}
		if (have && !S_ISDIR(t.st_mode) && unlinkat(dfd, nm, 0) < 0) {
			ret = ac_error_errno(err, "remove %s", nm);
			break;
		}
		if (!S_ISDIR(s.st_mode)) {
			if (linkat(sfd, nm, dfd, nm, 0) < 0)
				ret = ac_error_errno(err, "link %s", nm);
			continue;
		}
		int merge = have && S_ISDIR(t.st_mode);
		if (!merge && mkdirat(dfd, nm, 0700) < 0) {
			ret = ac_error_errno(err, "mkdir %s", nm);
			break;
		}
		_cleanup_close_ int sub_s = openat(sfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int sub_d = openat(dfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub_s < 0 || sub_d < 0) {
			ret = ac_error_errno(err, "open %s", nm);
			break;
		}
		ret = link_over(sub_s, sub_d, depth + 1, err);
		if (ret == 0 && merge) {
			struct timespec ts[2] = { t.st_atim, t.st_mtim }; /* unchanged by the merge */
			futimens(sub_d, ts);
		} else if (ret == 0) {
			ret = set_owner_mode_times(dfd, nm, &s, err);
		}
	}
	closedir(d);
	return ret;
}

int acb_link_tree_over(int srcfd, int dstfd, ac_error **err)
{
	return link_over(srcfd, dstfd, 0, err);
}

/* The directory a copy writes to: the rootfs, or the changes of a packed
 * base when every target (dir/names[i], names[i] a directory when
 * isdir[i]) can go there; otherwise (and always when n < 0) the base is
 * unpacked first. */
static int open_copy_root(struct acb *b, const char *dir, char **names, const int *isdir, int n, ac_error **err)
{
	if (b->packed && n >= 0) {
		int cfd = acb_base_open_changes(b, err);
		if (cfd < 0)
			return -1;
		int place = 1;
		for (int i = 0; i < n && place == 1; i++)
			place = acb_base_can_place(b, cfd, dir, names[i], isdir[i], err);
		if (place == 1)
			return cfd;
		close(cfd);
		if (place < 0)
			return -1;
	}
	if (acb_base_unpack(b, err) < 0)
		return -1;
	return open_rootfs(b, err);
}

int cmd_copy(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Copying host:%s to aci:%s", argv[0], argv[1]);
	size_t n = strlen(argv[1]);
	if (n > 0 && argv[1][n - 1] == '/')
		return ac_error_set(err, EINVAL, "there is a trailing path separator in the second operand; "
				    "to copy into a directory use copy-to-dir");
	struct stat st;
	if (lstat(argv[0], &st) < 0)
		return ac_error_errno(err, "%s", argv[0]);
	_cleanup_free_ char *rel = clean_in_root(argv[1]);
	_cleanup_free_ char *dircopy = xstrdup(rel), *basecopy = xstrdup(rel);
	char *name = basename(basecopy);
	int isdir = S_ISDIR(st.st_mode);
	_cleanup_close_ int rootfd = open_copy_root(b, dirname(dircopy), &name, &isdir, strcmp(rel, ".") ? 1 : -1, err);
	if (rootfd < 0)
		return -1;
	return acb_copy_into_root(rootfd, argv[0], argv[1], err);
}

int cmd_copy_to_dir(struct acb *b, int argc, char **argv, ac_error **err)
{
	if (b->o->debug) {
		fprintf(stderr, "Copying ");
		for (int i = 0; i < argc - 1; i++)
			fprintf(stderr, "%s ", argv[i]);
		fprintf(stderr, "to %s\n", argv[argc - 1]);
	}
	const char *to = argv[argc - 1];
	_cleanup_free_ char *rel = clean_in_root(to);
	/* the names the sources take in the target */
	int nsrc = argc - 1;
	char **names = xcalloc((size_t)nsrc + 1, sizeof(char *));
	int *src_isdir = xcalloc((size_t)nsrc + 1, sizeof(int));
	for (int i = 0; i < nsrc; i++) {
		names[i] = xstrdup(argv[i]);
		size_t n = strlen(names[i]);
		while (n > 1 && names[i][n - 1] == '/')
			names[i][--n] = 0;
		struct stat st;
		src_isdir[i] = lstat(argv[i], &st) == 0 && S_ISDIR(st.st_mode);
		char *base = basename(names[i]);
		if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
			nsrc = -1; /* contents copied into the target: not worth checking */
		memmove(names[i], base, strlen(base) + 1);
		if (nsrc < 0)
			break;
	}
	_cleanup_close_ int rootfd = open_copy_root(b, rel, names, src_isdir, nsrc, err);
	ac_strv_free(names);
	free(src_isdir);
	if (rootfd < 0)
		return -1;
	/* an existing non-directory target is an error, a missing one is made */
	ac_error *e = NULL;
	int fd = ac_open_in_root(rootfd, rel, O_PATH | O_CLOEXEC, 0, &e);
	if (fd >= 0) {
		struct stat st;
		int isdir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
		close(fd);
		if (!isdir)
			return ac_error_set(err, ENOTDIR, "target \"%s\" is not a directory", to);
	}
	ac_error_free(&e);
	_cleanup_close_ int dfd = mkdir_in_root(rootfd, rel, err);
	if (dfd < 0)
		return -1;
	struct copier c = { NULL, 0 };
	int ret = 0;
	for (int i = 0; i < argc - 1 && ret == 0; i++) {
		_cleanup_free_ char *tmp = xstrdup(argv[i]);
		/* basename of "dir/" is "dir" */
		size_t n = strlen(tmp);
		while (n > 1 && tmp[n - 1] == '/')
			tmp[--n] = 0;
		const char *base = basename(tmp);
		if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
			struct stat st;
			if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
				ret = copy_dir_entries(&c, argv[i], dfd, err);
			else
				ret = ac_error_set(err, EINVAL, "cannot copy %s", argv[i]);
			continue;
		}
		ret = copy_tree(&c, argv[i], dfd, base, err);
	}
	copier_free(&c);
	return ret;
}
