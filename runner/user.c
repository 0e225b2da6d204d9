/* User and group resolution from the image's own /etc/passwd and /etc/group,
 * parsed here: NSS would load the image's libraries into a host process
 * (CVE-2019-14271).  Order as rkt: a number, then "/path" (the owner of that
 * file in the rootfs), then a name in the image's files. */
#include "runner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/extract.h"
#include "ac/fs.h"

#define DB_MAX (4u << 20) /* larger passwd/group files are refused */

static int parse_id(const char *s, uint32_t *out)
{
	uint64_t v;
	if (!*s || ac_parse_u64(s, &v) < 0 || v >= UINT32_MAX) /* (uid_t)-1 is "no change" */
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int owner_of(int rootfd, const char *path, struct stat *st, ac_error **err)
{
	int fd = ac_open_in_root(rootfd, path, O_PATH | O_CLOEXEC, 0, err);
	if (fd < 0)
		return -1;
	int r = fstat(fd, st);
	close(fd);
	if (r < 0)
		return ac_error_errno(err, "%s", path);
	return 0;
}

/* Finds the line whose first field is name; fields split on ':' into f.
 * Returns 1 found, 0 not found, -1 error (missing file is "not found"). */
static int db_find(int rootfd, const char *file, const char *name, char **buf, char *f[7], int nf,
		   ac_error **err)
{
	ac_error *e = NULL;
	int fd = ac_open_in_root(rootfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0, &e);
	if (fd < 0) {
		int code = e ? e->code : 0;
		if (code == ENOENT) {
			ac_error_free(&e);
			return 0;
		}
		if (err) {
			*err = e;
			return -1;
		}
		ac_error_free(&e);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ac_error_set(err, EINVAL, "%s in the image is not a regular file", file);
	}
	size_t len;
	int r = ac_read_fd(fd, DB_MAX, buf, &len, err);
	close(fd);
	if (r < 0)
		return ac_error_wrap(err, "%s in the image", file);
	char *save = NULL;
	for (char *line = strtok_r(*buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) != strcspn(line, "\r") || line[0] == '#')
			continue;
		int i = 0;
		char *p = line;
		for (; i < nf; i++) {
			f[i] = p;
			char *c = strchr(p, ':');
			if (!c) {
				i++;
				break;
			}
			*c = '\0';
			p = c + 1;
		}
		if (i < nf || strcmp(f[0], name) != 0)
			continue;
		return 1;
	}
	return 0;
}

int acr_lookup_user(int rootfd, const char *user, uid_t *uid, gid_t *pgid, char **home, char **shell,
		    ac_error **err)
{
	uint32_t v;
	*home = *shell = NULL;
	*pgid = (gid_t)-1;
	if (!*user)
		return ac_error_set(err, EINVAL, "user is empty");
	if (parse_id(user, &v) == 0) {
		*uid = v;
		return 0;
	}
	if (user[0] == '/') {
		struct stat st;
		if (owner_of(rootfd, user, &st, err) < 0)
			return ac_error_wrap(err, "user %s", user);
		*uid = st.st_uid;
		return 0;
	}
	_cleanup_free_ char *buf = NULL;
	char *f[7];
	int r = db_find(rootfd, "/etc/passwd", user, &buf, f, 7, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return ac_error_set(err, ENOENT, "user \"%s\" not found in the image's /etc/passwd", user);
	uint32_t g;
	if (parse_id(f[2], &v) < 0 || parse_id(f[3], &g) < 0)
		return ac_error_set(err, EINVAL, "user \"%s\": bad uid or gid in the image's /etc/passwd", user);
	*uid = v;
	*pgid = g;
	if (f[5][0] == '/')
		*home = xstrdup(f[5]);
	if (f[6][0] == '/')
		*shell = xstrdup(f[6]);
	return 0;
}

int acr_lookup_group(int rootfd, const char *group, gid_t *gid, ac_error **err)
{
	uint32_t v;
	if (!*group)
		return ac_error_set(err, EINVAL, "group is empty");
	if (parse_id(group, &v) == 0) {
		*gid = v;
		return 0;
	}
	if (group[0] == '/') {
		struct stat st;
		if (owner_of(rootfd, group, &st, err) < 0)
			return ac_error_wrap(err, "group %s", group);
		*gid = st.st_gid;
		return 0;
	}
	_cleanup_free_ char *buf = NULL;
	char *f[7];
	int r = db_find(rootfd, "/etc/group", group, &buf, f, 3, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return ac_error_set(err, ENOENT, "group \"%s\" not found in the image's /etc/group", group);
	if (parse_id(f[2], &v) < 0)
		return ac_error_set(err, EINVAL, "group \"%s\": bad gid in the image's /etc/group", group);
	*gid = v;
	return 0;
}
