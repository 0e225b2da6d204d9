#include "ac/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

int ac_lock_acquire(ac_lock *l, const char *path, ac_error **err)
{
	l->fd = -1;
	l->path = NULL;
	for (int attempt = 0; attempt < 10; attempt++) {
		_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return ac_error_errno(err, "cannot open lock file '%s'", path);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EWOULDBLOCK)
				return ac_error_set(err, EWOULDBLOCK, "'%s' is locked by another process", path);
			return ac_error_errno(err, "cannot lock '%s'", path);
		}
		/* The holder before us may have unlinked the file after we
		 * opened it: then our lock protects nothing; try again. */
		struct stat a, b;
		if (fstat(fd, &a) < 0)
			return ac_error_errno(err, "cannot lock '%s'", path);
		if (stat(path, &b) < 0) {
			if (errno == ENOENT)
				continue;
			return ac_error_errno(err, "cannot lock '%s'", path);
		}
		if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
			continue;
		l->fd = steal_fd(&fd);
		l->path = xstrdup(path);
		return 0;
	}
	return ac_error_set(err, EWOULDBLOCK, "'%s' keeps changing", path);
}

void ac_lock_release(ac_lock *l)
{
	if (l->fd >= 0) {
		flock(l->fd, LOCK_UN);
		close(l->fd);
	}
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}
