/* The build context ".acbuild/" under the work path: locking, loading and
 * saving the manifest, history annotations. */
#include "acbuild.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "ac/buf.h"
#include "ac/fs.h"
#include "ac/manifest.h"

void acb_init(struct acb *b, struct acb_opts *o, const char *work)
{
	memset(b, 0, sizeof(*b));
	b->o = o;
	b->lock.fd = -1;
	b->work = xstrdup(work && *work ? work : ".");
	b->ctx = xasprintf("%s/.acbuild", b->work);
	b->aci = xasprintf("%s/currentaci", b->ctx);
}

void acb_release(struct acb *b)
{
	acb_unlock(b);
	acb_base_release(b);
	if (b->manifest)
		json_decref(b->manifest);
	b->manifest = NULL;
	free(b->work);
	free(b->ctx);
	free(b->aci);
	b->work = b->ctx = b->aci = NULL;
}

void acb_debug(struct acb *b, const char *fmt, ...)
{
	if (!b->o || !b->o->debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int acb_in_progress(struct acb *b)
{
	struct stat st;
	return lstat(b->ctx, &st) == 0;
}

static int no_build(ac_error **err)
{
	return ac_error_set(err, ENOENT, "no build in progress in this working dir - try \"acbuild begin\"");
}

int acb_lock(struct acb *b, ac_error **err)
{
	if (!acb_in_progress(b))
		return no_build(err);
	_cleanup_free_ char *path = xasprintf("%s/lock", b->ctx);
	ac_error *e = NULL;
	if (ac_lock_acquire(&b->lock, path, &e) < 0) {
		int code = e->code;
		ac_error_free(&e);
		if (code == EWOULDBLOCK)
			return ac_error_set(err, code, "lock already held - is another acbuild running in this working dir?");
		if (code == EACCES || code == EPERM)
			return ac_error_set(err, code, "permission denied: please run this as a user with appropriate privileges");
		if (code == ENOENT) /* the build ended meanwhile */
			return no_build(err);
		errno = code;
		return ac_error_errno(err, "cannot lock the build context");
	}
	/* "end" may have removed the context between our check and the lock. */
	if (!acb_in_progress(b)) {
		acb_unlock(b);
		return no_build(err);
	}
	acb_base_check(b);
	return 0;
}

void acb_unlock(struct acb *b)
{
	ac_lock_release(&b->lock);
}

int acb_load_manifest(struct acb *b, ac_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/manifest", b->aci);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, path, AC_MANIFEST_MAX_SIZE, &text, &len, err) < 0)
		return ac_error_wrap(err, "error loading manifest");
	json_t *m = ac_manifest_parse(text, len, err);
	if (!m)
		return ac_error_wrap(err, "error loading manifest");
	if (b->manifest)
		json_decref(b->manifest);
	b->manifest = m;
	return 0;
}

/* Whether rename() over an existing file makes the kernel write the new
 * file's data before the rename is committed: ext4 (auto_da_alloc, the
 * default; the magic is shared with ext2/3) and btrfs. */
static int rename_orders_data(int fd)
{
	struct statfs s;
	return fstatfs(fd, &s) == 0 && (s.f_type == EXT4_SUPER_MAGIC || s.f_type == BTRFS_SUPER_MAGIC);
}

/* Temp file + rename over the old manifest, so that readers and a killed
 * command only ever see the old or the new one: that holds without any
 * fsync, since the page cache outlives the process. fsync only matters
 * for a system crash, and there ext4 and btrfs already give old-or-new
 * for a rename that replaces a file (rename_orders_data); elsewhere
 * (XFS...) a crash could leave an empty manifest, so we fsync first.
 * Skipping it saves ~0.4 ms of a ~4 ms edit on ext4. Not durable: a crash
 * may lose the last edits, as with any unsynced write. */
int acb_save_manifest(struct acb *b, ac_error **err)
{
	_cleanup_free_ char *text = ac_manifest_serialize(b->manifest, 0, err);
	if (!text)
		return -1;
	_cleanup_free_ char *path = xasprintf("%s/manifest", b->aci);
	ac_outfile o;
	if (ac_outfile_open(&o, path, 0644, AC_OUT_OVERWRITE, err) < 0)
		return -1;
	if (ac_write_all(o.fd, text, strlen(text)) < 0) {
		ac_error_errno(err, "cannot write '%s'", path);
		ac_outfile_abort(&o);
		return -1;
	}
	if (rename_orders_data(o.fd)) {
		if (close(o.fd) < 0) {
			o.fd = -1;
			ac_error_errno(err, "cannot write '%s'", path);
			ac_outfile_abort(&o);
			return -1;
		}
		o.fd = -1;
		if (rename(o.tmp_path, path) < 0) {
			ac_error_errno(err, "cannot rename to '%s'", path);
			ac_outfile_abort(&o);
			return -1;
		}
		ac_cleanup_on_signal_remove(o.tmp_path);
		free(o.tmp_path);
		free(o.path);
		return 0;
	}
	return ac_outfile_commit(&o, err);
}

/* ---- history ---- */

#define HISTORY_PREFIX "coreos.com/acbuild/command-"

void acb_add_history(struct acb *b, const char *cmdpath, int argc, char **argv)
{
	json_t *anns = json_object_get(b->manifest, "annotations");
	if (!json_is_array(anns)) {
		anns = json_array();
		json_object_set_new(b->manifest, "annotations", anns);
	}
	uint64_t max = 0;
	size_t i;
	json_t *a;
	json_array_foreach(anns, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		uint64_t n;
		if (name && ac_str_has_prefix(name, HISTORY_PREFIX) &&
		    ac_parse_u64(name + strlen(HISTORY_PREFIX), &n) == 0 && n > max)
			max = n;
	}
	ac_buf v = AC_BUF_INIT;
	ac_buf_addf(&v, "acbuild %s", cmdpath);
	for (int k = 0; k < argc; k++) {
		_cleanup_free_ char *q = ac_go_quote(argv[k]);
		ac_buf_addf(&v, " %s", q);
	}
	_cleanup_free_ char *name = xasprintf(HISTORY_PREFIX "%llu", (unsigned long long)max + 1);
	json_array_append_new(anns, json_pack("{s:s, s:s}", "name", name, "value", v.buf));
	ac_buf_release(&v);
}

/* ---- manifest helpers ---- */

/* appc arch names (types.ValidOSArch) for the machine we were built for. */
static const char *appc_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__i386__)
	return "i386";
#elif defined(__aarch64__)
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return "aarch64_be";
#else
	return "aarch64";
#endif
#elif defined(__arm__)
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return "armv7b";
#else
	return "armv7l";
#endif
#elif defined(__powerpc64__)
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return "ppc64";
#else
	return "ppc64le";
#endif
#elif defined(__s390x__)
	return "s390x";
#else
	return "unknown";
#endif
}

json_t *acb_empty_manifest(void)
{
	json_t *m = ac_manifest_new(ACB_UNNAMED, NULL);
	json_object_set_new(m, "labels",
			    json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "arch", "value", appc_arch(),
				      "name", "os", "value", "linux"));
	return m;
}

json_t *acb_app(struct acb *b)
{
	json_t *app = json_object_get(b->manifest, "app");
	if (!json_is_object(app)) {
		app = json_pack("{s:n, s:s, s:s}", "exec", "user", "0", "group", "0");
		json_object_set_new(b->manifest, "app", app);
	}
	return app;
}
