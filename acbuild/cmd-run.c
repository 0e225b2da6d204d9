/* acbuild run: one build step, executed in the image through the runner
 * library (the code acrun uses) in mount, PID, UTS and IPC namespaces; as
 * non-root, in a user namespace that maps the caller (only) to root, so
 * what the step makes is the caller's on disk and a chown to another ID
 * fails in the command.
 * Without dependencies the command changes .acbuild/currentaci/rootfs in
 * place; with them, the dependencies (found in the context's store
 * .acbuild/depstore, in the acrun store, or fetched by discovery) are
 * rendered there and stacked read-only under the rootfs, so that only what
 * the step changes ends up in the image.  The acrun store searched is
 * $ACRUN_DIR, else acrun's default one when it exists; it is only read.
 * ACBUILD_NO_OVERLAY=1 forces the copy-based fallback of overlayfs. */
#include "acbuild.h"

#include <sys/stat.h>
#include "ac/fetch.h"
#include "ac/fs.h"
#include "runner.h"

static int run_debug;

static void warn_cb(const char *m)
{
	fprintf(stderr, "run: warning: %s\n", m);
}

static void debug_cb(const char *m)
{
	if (run_debug)
		fprintf(stderr, "%s\n", m);
}

/* acrun's store, read-only here: 1 when opened. */
static int open_acrun_store(struct acr_store *s)
{
	const char *env = getenv("ACRUN_DIR");
	_cleanup_free_ char *dir = NULL;
	if (env && *env)
		dir = xstrdup(env);
	else if (geteuid() == 0)
		dir = xstrdup("/var/lib/acrun");
	else {
		const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
		dir = x && *x ? xasprintf("%s/acrun", x) : xasprintf("%s/.local/share/acrun", home ? home : "/");
	}
	_cleanup_free_ char *images = xasprintf("%s/images", dir);
	struct stat st;
	if (stat(images, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return acr_store_open(s, dir, NULL) == 0;
}

int cmd_run(struct acb *b, int argc, char **argv, ac_error **err)
{
	const char *engine = b->o->engine;
	if (engine && strcmp(engine, "chroot") && strcmp(engine, "systemd-nspawn") && strcmp(engine, "acrun"))
		return ac_error_set(err, 0, "no such engine \"%s\"", engine);
	run_debug = b->o->debug;
	if (acb_base_unpack(b, err) < 0) /* the step sees the whole tree */
		return -1;

	struct acr_store ds = { NULL, -1, -1 }, acrun = { NULL, -1, -1 };
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", b->aci);
	_cleanup_free_ char *storedir = xasprintf("%s/depstore", b->ctx);
	_cleanup_free_ char *work = xasprintf("%s/work", b->ctx);
	_cleanup_strv_ char **ids = NULL;
	char **lowers = NULL;
	size_t nl = 0;
	int rc = -1, have_acrun = 0;
	char **cmd = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++)
		cmd[i] = argv[i]; /* verbatim: never split on commas */

	if (acr_store_open(&ds, storedir, err) < 0)
		goto out;
	json_t *deps = json_object_get(b->manifest, "dependencies");
	if (json_array_size(deps)) {
		have_acrun = open_acrun_store(&acrun);
		struct ac_fetch_opts fo = { .disc = { .insecure = b->o->insecure } };
		struct acr_deps_opts dopts = { .fetch = &fo, .also = have_acrun ? &acrun : NULL, .debug = debug_cb };
		if (acr_deps_resolve(&ds, b->manifest, &dopts, &ids, err) < 0)
			goto out;
		nl = ac_strv_len(ids);
		lowers = xcalloc(nl + 1, sizeof(char *));
		/* overlayfs wants the top-most layer first: the last dependency */
		for (size_t i = 0; i < nl; i++)
			if (acr_store_render_deps(&ds, ids[i], &dopts, &lowers[nl - 1 - i], err) < 0)
				goto out;
		if (ac_rm_rf(work, err) < 0)
			goto out;
		if (mkdir(work, 0700) < 0) {
			ac_error_errno(err, "mkdir %s", work);
			goto out;
		}
	}
	struct acr_run_opts ro = {
		.store = &ds,
		.image_id = "acbuild",
		.manifest = b->manifest,
		.exec_override = cmd,
		.user = "0",
		.group = "0",
		.working_dir = b->o->working_dir && *b->o->working_dir ? b->o->working_dir : "/",
		.upper = rootfs,
		.lowers = nl ? (const char *const *)lowers : NULL,
		.workdir = nl ? work : NULL,
		.net = ACR_NET_HOST,
		.no_overlay = getenv("ACBUILD_NO_OVERLAY") && strcmp(getenv("ACBUILD_NO_OVERLAY"), "0"),
		.build_step = 1,
		.remove_pod = 1,
		.warn = warn_cb,
		.debug = debug_cb,
	};
	acb_debug(b, "Running %s in %s%s", cmd[0], rootfs, nl ? " over its dependencies" : "");
	int fail_status = 125;
	int status = acr_run(&ro, &fail_status, err);
	if (status < 0) {
		/* Could not start: exit 1 with the original's messages. */
		if (fail_status == 127) {
			ac_error_free(err);
			if (strchr(cmd[0], '/'))
				ac_error_set(err, 0, "binary \"%s\" doesn't exist", cmd[0]);
			else
				ac_error_set(err, 0, "%s not found in any of: [/usr/local/sbin /usr/local/bin /usr/sbin "
						     "/usr/bin /sbin /bin]",
					     cmd[0]);
		}
		goto out;
	}
	if (status != 0) {
		ac_error_set(err, ACB_ECHILD + (status & 255), "non-zero exit code: %d", status);
		goto out;
	}
	rc = 0;
out:
	if (nl)
		ac_rm_rf(work, NULL);
	for (size_t i = 0; i < nl; i++)
		free(lowers[i]);
	free(lowers);
	free(cmd);
	if (have_acrun)
		acr_store_close(&acrun);
	acr_store_close(&ds);
	return rc;
}
