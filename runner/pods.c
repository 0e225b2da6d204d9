/* Pods: one directory per run under DIR/pods/<uuid>, prepared in tmp/ and
 * renamed into place while its lock is already held, so that gc never sees
 * a pod without knowing whether its acrun process is alive.  The lock is
 * a flock on the directory itself, and "pod" holds the image ID, app name
 * and creation time: creating files costs more than anything else in a
 * repeated run.  Pods made before that have "lock", "image", "app" and
 * "created" files, still read. */
#include "runner-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include "ac/fs.h"

static int uuid_new(char out[37], ac_error **err)
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return ac_error_errno(err, "getrandom");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

static int put(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int r = ac_write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

int acr_pod_create(struct acr_store *s, const char *image_id, const char *app_name, struct acr_pod *p,
		   ac_error **err)
{
	memset(p, 0, sizeof(*p));
	p->lockfd = p->dirfd = -1;
	if (uuid_new(p->uuid, err) < 0)
		return -1;
	if (acr_store_lock(s, 0, err) < 0)
		return -1;
	_cleanup_free_ char *tmp = xasprintf("%s/tmp/pod-%s", s->dir, p->uuid);
	_cleanup_free_ char *info = xasprintf("%s\n%s\n%lld\n", image_id, app_name, (long long)time(NULL));
	int rc = -1;
	if (mkdir(tmp, 0700) < 0) {
		ac_error_errno(err, "%s", tmp);
		goto out;
	}
	p->dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0) {
		ac_error_errno(err, "%s", tmp);
		goto out;
	}
	if (flock(p->dirfd, LOCK_EX) < 0 || put(p->dirfd, "pod", info) < 0 ||
	    mkdirat(p->dirfd, "upper", 0755) < 0 || mkdirat(p->dirfd, "work", 0700) < 0 ||
	    mkdirat(p->dirfd, "rootfs", 0755) < 0) {
		ac_error_errno(err, "%s", tmp);
		goto out;
	}
	p->dir = xasprintf("%s/pods/%s", s->dir, p->uuid);
	if (rename(tmp, p->dir) < 0) {
		ac_error_errno(err, "%s", p->dir);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		ac_rm_rf(tmp, NULL);
		acr_pod_release(p);
	}
	acr_store_unlock(s);
	return rc;
}

void acr_pod_finish(struct acr_pod *p, int status)
{
	if (p->dirfd < 0)
		return;
	_cleanup_free_ char *st = xasprintf("%d\n", status);
	put(p->dirfd, "status", st);
}

void acr_pod_release(struct acr_pod *p)
{
	if (p->lockfd >= 0)
		close(p->lockfd);
	if (p->dirfd >= 0)
		close(p->dirfd);
	p->lockfd = p->dirfd = -1;
	free(p->dir);
	p->dir = NULL;
}

static char *get(int dirfd, const char *name)
{
	char *t = NULL;
	if (ac_read_file_at(dirfd, name, 4096, &t, NULL, NULL) < 0)
		return NULL;
	t[strcspn(t, "\n")] = '\0';
	return t;
}

int acr_pods_list(struct acr_store *s, struct acr_pod_info **out, size_t *n, ac_error **err)
{
	*out = NULL;
	*n = 0;
	DIR *d = ac_opendir_at(s->dirfd, "pods");
	if (!d)
		return ac_error_errno(err, "%s/pods", s->dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) != 36)
			continue;
		_cleanup_close_ int pfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		struct acr_pod_info *pi;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		pi = &(*out)[(*n)++];
		memset(pi, 0, sizeof(*pi));
		memcpy(pi->uuid, de->d_name, 37);
		_cleanup_free_ char *info = NULL, *img = NULL, *created = NULL, *status = get(pfd, "status");
		if (ac_read_file_at(pfd, "pod", 4096, &info, NULL, NULL) == 0) {
			char *save = NULL, *l1 = strtok_r(info, "\n", &save), *l2 = strtok_r(NULL, "\n", &save);
			char *l3 = strtok_r(NULL, "\n", &save);
			img = l1 ? xstrdup(l1) : NULL;
			pi->app_name = l2 ? xstrdup(l2) : NULL;
			created = l3 ? xstrdup(l3) : NULL;
		} else {
			img = get(pfd, "image");
			created = get(pfd, "created");
			pi->app_name = get(pfd, "app");
		}
		if (img && strlen(img) <= AC_IMAGE_ID_LEN)
			strcpy(pi->image_id, img);
		int64_t v;
		if (created && ac_parse_i64(created, &v) == 0)
			pi->created = v;
		if (status && ac_parse_i64(status, &v) == 0) {
			pi->exited = 1;
			pi->status = (int)v;
		}
		int lfd = openat(pfd, "lock", O_RDWR | O_CLOEXEC);
		if (lfd < 0)
			lfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd >= 0) {
			if (flock(lfd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
				pi->running = 1;
			close(lfd);
		}
	}
	closedir(d);
	/* Oldest first. */
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && (*out)[j - 1].created > (*out)[j].created; j--) {
			struct acr_pod_info t = (*out)[j];
			(*out)[j] = (*out)[j - 1];
			(*out)[j - 1] = t;
		}
	return 0;
}

void acr_pods_free(struct acr_pod_info *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].app_name);
	free(p);
}

int acr_gc(struct acr_store *s, long long grace, size_t *removed, ac_error **err)
{
	*removed = 0;
	struct acr_pod_info *p;
	size_t n;
	if (acr_pods_list(s, &p, &n, err) < 0)
		return -1;
	int rc = 0;
	long long now = (long long)time(NULL);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (p[i].running || now - p[i].created < grace)
			continue;
		_cleanup_free_ char *dir = xasprintf("%s/pods/%s", s->dir, p[i].uuid);
		_cleanup_free_ char *lock = xasprintf("%s/lock", dir);
		int lfd = open(lock, O_RDWR | O_CLOEXEC);
		if (lfd < 0)
			lfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* Taken again: it may have started since the listing. */
		if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0) {
			close(lfd);
			continue;
		}
		rc = ac_rm_rf(dir, err);
		if (lfd >= 0)
			close(lfd);
		if (rc == 0)
			(*removed)++;
	}
	acr_pods_free(p, n);
	if (rc < 0)
		return -1;
	/* Leftovers of killed imports and pod creations. */
	if (acr_store_lock(s, 1, err) < 0)
		return -1;
	_cleanup_free_ char *tmp = xasprintf("%s/tmp", s->dir);
	DIR *d = opendir(tmp);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) && rc == 0) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			_cleanup_free_ char *x = xasprintf("%s/%s", tmp, de->d_name);
			rc = ac_rm_rf(x, err);
		}
		closedir(d);
	}
	if (rc == 0)
		acr_store_prune_files(s);
	acr_store_unlock(s);
	return rc;
}
