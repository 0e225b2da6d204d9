/* begin and end.  begin builds the whole context under a temporary name in
 * the work path and renames it to ".acbuild" at the end, so a concurrent
 * command never sees a half-made context and a failed begin leaves none. */
#include "acbuild.h"

#include "ac/fetch.h"
#include "ac/progress.h"
#include "ac/registry.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include "ac/aci.h"
#include "ac/fs.h"

static int write_manifest_at(const char *aci, json_t *m, ac_error **err)
{
	_cleanup_free_ char *text = ac_manifest_serialize(m, 0, err);
	if (!text)
		return -1;
	_cleanup_free_ char *path = xasprintf("%s/manifest", aci);
	return ac_write_file_atomic(path, text, strlen(text), 0644, err);
}

static int empty_image(const char *aci, ac_error **err)
{
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", aci);
	if (mkdir(rootfs, 0755) < 0 && errno != EEXIST)
		return ac_error_errno(err, "mkdir %s", rootfs);
	json_t *m = acb_empty_manifest();
	int r = write_manifest_at(aci, m, err);
	json_decref(m);
	return r;
}

static int begin_from_dir(const char *aci, const char *start, ac_error **err)
{
	if (empty_image(aci, err) < 0)
		return -1;
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", aci);
	_cleanup_close_ int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open %s", rootfs);
	if (acb_copy_dir_contents(start, fd, err) < 0)
		return -1;
	/* the rootfs directory takes the mode, owner and times of START */
	struct stat st;
	if (stat(start, &st) == 0) {
		if (fchown(fd, st.st_uid, st.st_gid) < 0 && geteuid() == 0)
			return ac_error_errno(err, "chown %s", rootfs);
		fchmod(fd, st.st_mode & 07777);
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		futimens(fd, ts);
	}
	return 0;
}

/* An ACI (any compression), kept packed (base.c), or a tarball of a
 * rootfs, extracted.  take: start is a download of ours, to be moved. */
static int begin_from_file(const char *ctx, const char *aci, const char *start, int take, int *comp, int quiet,
			   ac_error **err)
{
	_cleanup_close_ int fd = open(start, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open %s", start);
	/* An ACI (it has a manifest) is validated as a whole by
	 * acb_base_begin.  A tarball of a rootfs has no manifest and is taken
	 * as it is. */
	_cleanup_free_ char *mtext = NULL;
	size_t mlen;
	int has_manifest = ac_aci_read_manifest(fd, start, &mtext, &mlen, NULL);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return ac_error_errno(err, "seek %s", start);
	if (has_manifest == 1)
		return acb_base_begin(ctx, aci, start, take, comp, quiet, err);
	_cleanup_free_ char *what = xasprintf("extracting %s", start);
	if (acb_extract_fd(fd, start, aci, NULL, what, comp, quiet, err) < 0)
		return ac_error_wrap(err, "error extracting tarball");

	struct stat st;
	_cleanup_free_ char *mpath = xasprintf("%s/manifest", aci);
	_cleanup_free_ char *rpath = xasprintf("%s/rootfs", aci);
	const char *missing = NULL;
	if (lstat(mpath, &st) < 0 || !S_ISREG(st.st_mode))
		missing = "manifest";
	else if (lstat(rpath, &st) < 0 || !S_ISDIR(st.st_mode))
		missing = "rootfs";
	if (!missing) {
		/* fail now rather than at every later command */
		_cleanup_free_ char *text = NULL;
		size_t len;
		if (ac_read_file_at(AT_FDCWD, mpath, AC_MANIFEST_MAX_SIZE, &text, &len, err) < 0)
			return -1;
		json_t *m = ac_manifest_parse(text, len, err);
		if (!m)
			return ac_error_wrap(err, "%s: invalid manifest", start);
		json_decref(m);
		return 0;
	}
	fprintf(stderr, "%s is missing, assuming build is beginning with a tar of a rootfs\n", missing);
	/* the extracted tree is the rootfs: move it one level down */
	_cleanup_free_ char *tmp = xasprintf("%s.rootfs", aci);
	if (rename(aci, tmp) < 0)
		return ac_error_errno(err, "rename %s", aci);
	if (mkdir(aci, 0755) < 0)
		return ac_error_errno(err, "mkdir %s", aci);
	if (rename(tmp, rpath) < 0)
		return ac_error_errno(err, "rename %s", tmp);
	json_t *m = acb_empty_manifest();
	int r2 = write_manifest_at(aci, m, err);
	json_decref(m);
	return r2;
}

static void show_progress(void *arg, const char *what, uint64_t done, int64_t total)
{
	(void)what;
	ac_progress_update(arg, done, total);
}

/* An appc app string: discovery, download into the new context, then as
 * a local ACI.  Like the original, the signature is not required (it is
 * downloaded when published; checking it needs a trust store). */
static int begin_from_name(struct acb *b, const char *ctx, const char *aci, const char *start, int *comp,
			   ac_error **err)
{
	_cleanup_free_ char *what = xasprintf("downloading %s", start);
	ac_progress *bar = ac_progress_new(what, b->o->quiet);
	struct ac_fetch_opts fo = { .disc = { .insecure = b->o->insecure }, .progress = show_progress,
				    .progress_arg = bar };
	struct ac_fetched f;
	acb_debug(b, "Fetching %s by discovery", start);
	int fr = ac_fetch_by_name(start, ctx, &fo, &f, err);
	ac_progress_end(bar);
	if (fr < 0) {
		ac_error_wrap(err, "fetching %s", start);
		if ((*err)->code == ENOENT) /* perhaps a local path was meant */
			ac_error_set(err, ENOENT, "%s (local file paths must start with '/' or '.')", (*err)->msg);
		return -1;
	}
	acb_debug(b, "Fetched %s (%s) from %s", start, f.image_id, f.aci_url);
	int ret = begin_from_file(ctx, aci, f.aci_path, 1, comp, b->o->quiet, err);
	unlink(f.aci_path);
	if (f.asc_path)
		unlink(f.asc_path);
	ac_fetched_free(&f);
	return ret;
}

/* docker://REF: pulled and converted (squashed, as the original) into the
 * new context, then as a local ACI. --insecure allows HTTP and skips TLS
 * verification, as the original did for both. */
static int begin_from_docker(struct acb *b, const char *ctx, const char *aci, const char *ref, int *comp,
			     ac_error **err)
{
	_cleanup_free_ char *out = xasprintf("%s/docker.aci", ctx);
	struct ac_docker_opts o = { .output_file = out, .tmp_dir = ctx, .comp = { .type = AC_COMP_NONE, .level = -1 } };
	struct ac_registry_opts ro = { .allow_http = b->o->insecure, .insecure_tls = b->o->insecure };
	struct ac_docker_result res = { 0 };
	acb_debug(b, "Converting docker://%s", ref);
	int ret = ac_docker_convert_remote(ref, &o, &ro, &res, err);
	ac_docker_result_free(&res);
	if (ret < 0)
		return ac_error_wrap(err, "converting docker://%s", ref);
	ret = begin_from_file(ctx, aci, out, 1, comp, b->o->quiet, err);
	if (comp)
		*comp = AC_COMP_GZIP; /* the conversion's choice, not the user's */
	unlink(out);
	return ret;
}

int acb_begin(struct acb *b, const char *start, int *comp, ac_error **err)
{
	if (start && !*start)
		start = NULL;
	int remote = start && start[0] != '.' && start[0] != '/';
	if (acb_in_progress(b))
		return ac_error_set(err, EEXIST, "build already in progress in this working dir");
	struct stat st;
	if (!remote && start && stat(start, &st) < 0) {
		if (errno == ENOENT)
			return ac_error_set(err, ENOENT, "no such file or directory: %s", start);
		return ac_error_errno(err, "%s", start);
	}
	if (ac_mkdir_p(b->work, 0755, err) < 0)
		return -1;

	_cleanup_free_ char *tmp = xasprintf("%s/.acbuild-begin-XXXXXX", b->work);
	if (!mkdtemp(tmp))
		return ac_error_errno(err, "cannot create the build context in %s", b->work);
	chmod(tmp, 0755);
	_cleanup_free_ char *aci = xasprintf("%s/currentaci", tmp);
	int ret = -1;
	if (mkdir(aci, 0755) < 0) {
		ac_error_errno(err, "mkdir %s", aci);
		goto out;
	}
	if (!start)
		ret = empty_image(aci, err);
	else if (remote && ac_str_has_prefix(start, "docker://"))
		ret = begin_from_docker(b, tmp, aci, start + 9, comp, err);
	else if (remote)
		ret = begin_from_name(b, tmp, aci, start, comp, err);
	else if (S_ISDIR(st.st_mode))
		ret = begin_from_dir(aci, start, err);
	else
		ret = begin_from_file(tmp, aci, start, 0, comp, b->o->quiet, err);
	if (ret < 0)
		goto out;
	{
		_cleanup_free_ char *lock = xasprintf("%s/lock", tmp);
		int lfd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
		if (lfd >= 0)
			close(lfd);
	}
	/* RENAME_NOREPLACE: a begin that raced with ours loses cleanly */
	ret = renameat2(AT_FDCWD, tmp, AT_FDCWD, b->ctx, RENAME_NOREPLACE);
	if (ret < 0 && (errno == EINVAL || errno == ENOSYS)) {
		ret = -1;
		errno = EEXIST;
		if (!acb_in_progress(b))
			ret = rename(tmp, b->ctx);
	}
	if (ret < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			ac_error_set(err, EEXIST, "build already in progress in this working dir");
		else
			ac_error_errno(err, "rename %s", tmp);
	}
out:
	if (ret < 0)
		ac_rm_rf(tmp, NULL);
	return ret;
}

int cmd_begin(struct acb *b, int argc, char **argv, ac_error **err)
{
	const char *mode = b->o->build_mode ? b->o->build_mode : "appc";
	if (!strcmp(mode, "oci"))
		return ac_error_set(err, ENOTSUP, "the oci build mode is not supported");
	if (strcmp(mode, "appc"))
		return ac_error_set(err, EINVAL, "invalid build mode: %s", mode);
	if (argc == 0)
		acb_debug(b, "Beginning build with an empty ACI");
	else
		acb_debug(b, "Beginning build with %s", argv[0]);
	return acb_begin(b, argc ? argv[0] : NULL, NULL, err);
}

int acb_end(struct acb *b, ac_error **err)
{
	if (acb_lock(b, err) < 0)
		return -1;
	/* Out of sight first (atomically), then removed. */
	_cleanup_free_ char *tmp = xasprintf("%s/.acbuild-end-XXXXXX", b->work);
	_cleanup_free_ char *dst = NULL; /* before any goto: cleanup runs on every path */
	int ret = -1;
	if (!mkdtemp(tmp)) {
		ac_error_errno(err, "cannot end the build in %s", b->work);
		goto out;
	}
	dst = xasprintf("%s/ctx", tmp);
	if (rename(b->ctx, dst) < 0) {
		if (errno == EACCES || errno == EPERM)
			ac_error_set(err, errno, "permission denied: please run this as a user with appropriate privileges");
		else
			ac_error_errno(err, "rename %s", b->ctx);
		rmdir(tmp);
		goto out;
	}
	acb_unlock(b);
	ret = ac_rm_rf(tmp, err);
	if (ret < 0 && err && *err && ((*err)->code == EACCES || (*err)->code == EPERM))
		ac_error_set(err, (*err)->code, "permission denied: please run this as a user with appropriate privileges");
out:
	acb_unlock(b);
	return ret;
}

int cmd_end(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc, (void)argv;
	acb_debug(b, "Ending the build");
	return acb_end(b, err);
}
