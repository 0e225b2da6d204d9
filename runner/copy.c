/* The writable layer where overlayfs is unavailable: a copy of the rendered
 * tree, made with *at() calls that never follow the tree's symlinks. */
#include "runner-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "ac/fs.h"

static int copy_entry(int sdir, int ddir, const char *name, ac_error **err);

static int copy_data(int in, int out, const char *name, ac_error **err)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ac_error_errno(err, "read %s", name);
		if (n == 0)
			return 0;
		if (ac_write_all(out, buf, (size_t)n) < 0)
			return ac_error_errno(err, "write %s", name);
	}
}

static int copy_dir(int sfd, int dfd, ac_error **err)
{
	int dup_fd = dup(sfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return ac_error_errno(err, "opendir");
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = copy_entry(sfd, dfd, de->d_name, err);
	closedir(d);
	return rc;
}

static int copy_entry(int sdir, int ddir, const char *name, ac_error **err)
{
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
		rc = copy_dir(s, d, err);
		break;
	}
	case S_IFREG: {
		_cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s < 0 || d < 0)
			return ac_error_errno(err, "copy %s", name);
		rc = copy_data(s, d, name, err);
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
	if (fchownat(ddir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && geteuid() == 0)
		return ac_error_errno(err, "chown %s", name);
	/* After chown, which clears setuid bits. */
	if (!S_ISLNK(st.st_mode) && fchmodat(ddir, name, st.st_mode & 07777, 0) < 0)
		return ac_error_errno(err, "chmod %s", name);
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
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
	if (copy_dir(s, d, err) < 0)
		return ac_error_wrap(err, "copy %s", src);
	if (fchown(d, st.st_uid, st.st_gid) < 0 || fchmod(d, st.st_mode & 07777) < 0)
		return ac_error_errno(err, "%s", dst);
	return 0;
}
