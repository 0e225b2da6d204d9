/* Paths inside a rootfs and on the host, resolved one component at a time
 * so that no symlink is ever followed (CVE-2021-30465, rkt#904): a mount
 * target or volume source that goes through a symlink is refused rather
 * than resolved, since the image may swap them under our feet. */
#include "runner.h"

#include <fcntl.h>
#include <sys/stat.h>

static int refuse_dotdot(const char *path, ac_error **err)
{
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return ac_error_set(err, EINVAL, "path %s: \"..\" is not allowed", path);
		p += n;
	}
	return 0;
}

int acr_open_beneath(int rootfd, const char *path, int create, int create_file, ac_error **err)
{
	if (refuse_dotdot(path, err) < 0)
		return -1;
	int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open rootfs");
	const char *p = path;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return fd;
		size_t n = strcspn(p, "/");
		_cleanup_free_ char *comp = xstrndup(p, n);
		p += n;
		while (*p == '/')
			p++;
		int last = !*p;
		if (strcmp(comp, ".") == 0)
			continue;
		int nfd = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			int r;
			if (last && create_file) {
				r = openat(fd, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(fd, comp, 0755);
			}
			if (r < 0 && errno != EEXIST) {
				ac_error_errno(err, "create %s in the rootfs", path);
				close(fd);
				return -1;
			}
			nfd = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			ac_error_errno(err, "%s", path);
			close(fd);
			return -1;
		}
		close(fd);
		fd = nfd;
		struct stat st;
		if (fstat(fd, &st) < 0) {
			ac_error_errno(err, "%s", path);
			close(fd);
			return -1;
		}
		if (S_ISLNK(st.st_mode)) {
			close(fd);
			return ac_error_set(err, ELOOP, "path %s goes through a symlink (%s): refused", path, comp);
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			close(fd);
			return ac_error_set(err, ENOTDIR, "path %s: %s is not a directory", path, comp);
		}
	}
}

int acr_open_host_nofollow(const char *path, ac_error **err)
{
	_cleanup_free_ char *abs = NULL;
	if (path[0] == '/') {
		abs = xstrdup(path);
	} else {
		char cwd[4096];
		if (!getcwd(cwd, sizeof(cwd)))
			return ac_error_errno(err, "getcwd");
		abs = xasprintf("%s/%s", cwd, path);
	}
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return ac_error_errno(err, "open /");
	int fd = acr_open_beneath(root, abs, 0, 0, err);
	close(root);
	if (fd < 0)
		return ac_error_wrap(err, "volume source");
	return fd;
}
