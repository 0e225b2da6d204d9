#include "ac/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

int ac_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ac_read_fd(int fd, size_t max, char **out, size_t *len, ac_error **err)
{
	size_t alloc = 8192, n = 0;
	_cleanup_free_ char *buf = xmalloc(alloc + 1);
	for (;;) {
		if (n == alloc) {
			if (alloc > max)
				return ac_error_set(err, EFBIG, "larger than %zu bytes", max);
			alloc *= 2;
			buf = xrealloc(buf, alloc + 1);
		}
		ssize_t r = read(fd, buf + n, alloc - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ac_error_errno(err, "read");
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max)
			return ac_error_set(err, EFBIG, "larger than %zu bytes", max);
	}
	buf[n] = '\0';
	*out = steal_pointer(&buf);
	if (len)
		*len = n;
	return 0;
}

int ac_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len, ac_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "cannot open '%s'", path);
	if (ac_read_fd(fd, max, out, len, err) < 0)
		return ac_error_wrap(err, "cannot read '%s'", path);
	return 0;
}

/* ---- temporary paths removed on fatal signals ---- */
#define MAX_SIGNAL_PATHS 16
static char *signal_paths[MAX_SIGNAL_PATHS];
static int signal_handlers_installed;

static void on_fatal_signal(int sig)
{
	for (int i = 0; i < MAX_SIGNAL_PATHS; i++)
		if (signal_paths[i])
			unlink(signal_paths[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void block_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void ac_cleanup_on_signal_add(const char *path)
{
	sigset_t old;
	block_signals(&old);
	if (!signal_handlers_installed) {
		int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
		for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
			struct sigaction sa = { 0 }, prev;
			sigaction(sigs[i], NULL, &prev);
			if (prev.sa_handler == SIG_IGN)
				continue; /* keep an inherited "ignore" */
			sa.sa_handler = on_fatal_signal;
			sigemptyset(&sa.sa_mask);
			sigaction(sigs[i], &sa, NULL);
		}
		signal_handlers_installed = 1;
	}
	for (int i = 0; i < MAX_SIGNAL_PATHS; i++)
		if (!signal_paths[i]) {
			signal_paths[i] = xstrdup(path);
			break;
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void ac_cleanup_on_signal_remove(const char *path)
{
	sigset_t old;
	block_signals(&old);
	for (int i = 0; i < MAX_SIGNAL_PATHS; i++)
		if (signal_paths[i] && strcmp(signal_paths[i], path) == 0) {
			free(signal_paths[i]);
			signal_paths[i] = NULL;
			break;
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- atomic output files ---- */
int ac_outfile_open(ac_outfile *o, const char *path, mode_t mode, int flags, ac_error **err)
{
	struct stat st;
	o->fd = -1;
	o->path = NULL;
	o->tmp_path = NULL;
	o->flags = flags;
	if (!(flags & AC_OUT_OVERWRITE) && lstat(path, &st) == 0)
		return ac_error_set(err, EEXIST, "%s: file exists", path);
	_cleanup_free_ char *copy = xstrdup(path);
	const char *base = basename(copy);
	_cleanup_free_ char *copy2 = xstrdup(path);
	const char *dir = dirname(copy2);
	for (int attempt = 0; attempt < 100; attempt++) {
		char *tmp = xasprintf("%s/.%s.tmp-%d-%d", dir, base, (int)getpid(), attempt);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd >= 0) {
			ac_cleanup_on_signal_add(tmp);
			o->fd = fd;
			o->tmp_path = tmp;
			o->path = xstrdup(path);
			return 0;
		}
		int e = errno;
		free(tmp);
		if (e != EEXIST) {
			errno = e;
			return ac_error_errno(err, "cannot create '%s'", path);
		}
	}
	return ac_error_set(err, EEXIST, "cannot create a temporary file for '%s'", path);
}

/* Moves tmp to path; without overwrite an existing path is never replaced. */
static int publish(const char *tmp, const char *path, int overwrite)
{
	if (overwrite)
		return rename(tmp, path);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(tmp, path) < 0)
		return -1;
	unlink(tmp);
	return 0;
}

int ac_outfile_commit(ac_outfile *o, ac_error **err)
{
	if (!o->tmp_path)
		return ac_error_set(err, EINVAL, "%s: output already closed", o->path);
	if (fsync(o->fd) < 0 && errno != EINVAL) {
		ac_error_errno(err, "cannot write '%s'", o->path);
		ac_outfile_abort(o);
		return -1;
	}
	if (close(o->fd) < 0) {
		o->fd = -1;
		ac_error_errno(err, "cannot write '%s'", o->path);
		ac_outfile_abort(o);
		return -1;
	}
	o->fd = -1;
	if (publish(o->tmp_path, o->path, o->flags & AC_OUT_OVERWRITE) < 0) {
		if (errno == EEXIST)
			ac_error_set(err, EEXIST, "%s: file exists", o->path);
		else
			ac_error_errno(err, "cannot rename to '%s'", o->path);
		ac_outfile_abort(o);
		return -1;
	}
	ac_cleanup_on_signal_remove(o->tmp_path);
	free(o->tmp_path);
	o->tmp_path = NULL;
	free(o->path);
	o->path = NULL;
	return 0;
}

void ac_outfile_abort(ac_outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp_path) {
		unlink(o->tmp_path);
		ac_cleanup_on_signal_remove(o->tmp_path);
		free(o->tmp_path);
		o->tmp_path = NULL;
	}
	free(o->path);
	o->path = NULL;
}

int ac_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, ac_error **err)
{
	ac_outfile o;
	if (ac_outfile_open(&o, path, mode, AC_OUT_OVERWRITE, err) < 0)
		return -1;
	if (ac_write_all(o.fd, data, len) < 0) {
		ac_error_errno(err, "cannot write '%s'", path);
		ac_outfile_abort(&o);
		return -1;
	}
	return ac_outfile_commit(&o, err);
}

int ac_mkdir_p(const char *path, mode_t mode, ac_error **err)
{
	_cleanup_free_ char *p = xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return ac_error_errno(err, "cannot create directory '%s'", p);
			*s = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(p, &st) < 0)
		return ac_error_errno(err, "cannot create directory '%s'", p);
	if (!S_ISDIR(st.st_mode))
		return ac_error_set(err, ENOTDIR, "'%s' is not a directory", p);
	return 0;
}

static int rm_rf_at(int parentfd, const char *name, dev_t dev, ac_error **err)
{
	struct stat st;
	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : ac_error_errno(err, "cannot remove '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parentfd, name, 0) < 0 && errno != ENOENT)
			return ac_error_errno(err, "cannot remove '%s'", name);
		return 0;
	}
	if (st.st_dev != dev)
		return ac_error_set(err, EXDEV, "cannot remove '%s': a mount point", name);
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* A directory without search permission: make it usable first. */
		if (errno == EACCES && fchmodat(parentfd, name, 0700, 0) == 0)
			fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return ac_error_errno(err, "cannot remove '%s'", name);
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return ac_error_errno(err, "cannot remove '%s'", name);
	}
	struct dirent *de;
	int ret = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* the type is in the directory entry: no stat for non-directories */
		if (de->d_type != DT_UNKNOWN && de->d_type != DT_DIR) {
			if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
				continue;
			if (errno != EISDIR) {
				ret = ac_error_errno(err, "cannot remove '%s'", de->d_name);
				break;
			}
		}
		if (rm_rf_at(dirfd(d), de->d_name, dev, err) < 0) {
			ret = -1;
			break;
		}
	}
	closedir(d);
	if (ret == 0 && unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return ac_error_errno(err, "cannot remove '%s'", name);
	return ret;
}

int ac_rm_rf(const char *path, ac_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : ac_error_errno(err, "cannot remove '%s'", path);
	return rm_rf_at(AT_FDCWD, path, st.st_dev, err);
}

const char *ac_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

char *ac_mkdtemp(const char *parent, const char *prefix, ac_error **err)
{
	char *p = xasprintf("%s/%s-XXXXXX", parent, prefix);
	if (!mkdtemp(p)) {
		ac_error_errno(err, "cannot create a temporary directory in %s", parent);
		free(p);
		return NULL;
	}
	return p;
}

/* copy_file_range (a reflink or an in-kernel copy) where the file systems
 * allow it, else read/write. */
int ac_copy_fd(int in, int out, const char *src, ac_error **err)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP && errno != EPERM)
			return ac_error_errno(err, "copy %s", src);
		break;
	}
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ac_error_errno(err, "read %s", src);
		if (n == 0)
			return 0;
		if (ac_write_all(out, buf, n) < 0)
			return ac_error_errno(err, "write %s", src);
	}
}

DIR *ac_opendir_at(int dirfd, const char *name)
{
	int fd = name ? openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	rewinddir(d); /* a duplicate shares the original's offset */
	return d;
}
