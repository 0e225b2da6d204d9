/* acrun: the thin CLI over the runner library.  One table describes every
 * command (usage, summary, description, options with their help, argument
 * and default); option parsing, --help, "acrun help" and the man page and
 * completions ("acrun __doc man|bash|zsh") all come from it. */
#include "runner.h"

#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include "ac/cli.h"
#include "ac/doc.h"
#include "ac/fetch.h"
#include "ac/progress.h"
#include "ac/registry.h"
#include "ac/fs.h"
#include "ac/manifest.h"

static int debug;
static int quiet; /* no progress line on a terminal */
static const char *store_dir, *trust_dir = "/etc/acrun", *insecure = "none";
static const char *prog = "acrun";

static void errmsg(const char *fmt, ...) AC_PRINTF(1, 2);
static void errmsg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int fail(ac_error **err, int status)
{
	errmsg("%s", *err && (*err)->msg ? (*err)->msg : "error");
	ac_error_free(err);
	return status;
}

static void warn_cb(const char *m)
{
	fprintf(stderr, "%s: warning: %s\n", prog, m);
}

static void debug_cb(const char *m)
{
	if (debug)
		fprintf(stderr, "%s: %s\n", prog, m);
}

/* ---- the command table ---- */

/* Options: --name=value, --name value, -name; repeatable lists. */
enum opt_kind { O_BOOL, O_STR, O_LIST };
struct opt {
	const char *name;
	char shorthand;
	enum opt_kind kind;
	void *ptr;        /* int *, const char **, or struct list *; NULL for --help */
	const char *arg;  /* the value's name in help; NULL for booleans */
	const char *help;
	const char *def;  /* default shown in help, or NULL */
};
struct list {
	const char **v;
	size_t n;
};

struct cmd {
	const char *path;        /* "image list" */
	const char *usage;       /* the arguments after the path */
	const char *summary;     /* one line */
	const char *description; /* paragraphs; lines starting with two spaces are kept as they are */
	const struct opt *opts;  /* ends with { NULL } */
	/* argv: what follows the options (may start with "--"); NULL for a
	 * group of subcommands ("image"). */
	int (*run)(const struct cmd *c, int argc, char **argv);
	int usage_status;        /* exit status of a usage error: 2 unless set */
};

static void list_add(struct list *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = s;
}

static const struct opt global_opts[] = {
	{ "dir", 0, O_STR, &store_dir, "DIR", "the image store (images, rendered trees, pods)",
	  "/var/lib/acrun as root, else $XDG_DATA_HOME/acrun" },
	{ "trust-dir", 0, O_STR, &trust_dir, "DIR", "the trust store: the keys trusted to sign images", "/etc/acrun" },
	{ "insecure-options", 0, O_STR, &insecure, "LIST",
	  "checks to skip, comma-separated: none, image (signatures), http, tls or all", "none" },
	{ "debug", 0, O_BOOL, &debug, NULL, "print what acrun does on standard error", NULL },
	{ "quiet", 'q', O_BOOL, &quiet, NULL, "no progress line on a terminal while downloading", NULL },
	{ "help", 'h', O_BOOL, NULL, NULL, "show help (of the command given) and exit", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int cmd_help(const struct cmd *c, int argc, char **argv);

static int usage_error(const struct cmd *c)
{
	errmsg("usage: acrun %s %s", c->path, c->usage);
	return c->usage_status ? c->usage_status : 2;
}

static int open_store(struct acr_store *s)
{
	ac_error *err = NULL;
	_cleanup_free_ char *def = NULL;
	if (!store_dir) {
		const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
		if (geteuid() == 0)
			def = xstrdup("/var/lib/acrun");
		else if (x && *x)
			def = xasprintf("%s/acrun", x);
		else
			def = xasprintf("%s/.local/share/acrun", home ? home : "/");
		store_dir = def;
	}
	if (acr_store_open(s, store_dir, &err) < 0) {
		store_dir = NULL;
		return fail(&err, 1) ? -1 : -1;
	}
	if (def)
		store_dir = NULL;
	return 0;
}

static int insecure_has(const char *what)
{
	_cleanup_free_ char *copy = xstrdup(insecure);
	char *save = NULL;
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (strcmp(p, what) == 0 || strcmp(p, "all") == 0)
			return 1;
	return 0;
}

static int check_insecure_value(void)
{
	static const char *const ok[] = { "none", "image", "http", "tls", "all" };
	_cleanup_free_ char *copy = xstrdup(insecure);
	char *save = NULL;
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(ok) && strcmp(ok[i], p); i++)
			;
		if (i == ARRAY_SIZE(ok)) {
			errmsg("--insecure-options: unknown value %s (none, image, http, tls, all)", p);
			return -1;
		}
	}
	return 0;
}

/* The signature beside a local file: X.aci -> X.aci.asc. */
static int verify_signature(int fd, const char *path, json_t *manifest, void *arg, ac_error **err)
{
	(void)arg;
	if (insecure_has("image"))
		return 0;
	const char *name = json_string_value(json_object_get(manifest, "name"));
	_cleanup_free_ char *asc = xasprintf("%s.asc", path);
	if (access(asc, F_OK) < 0)
		return ac_error_set(err, EPERM,
				    "%s: image %s is not signed (no %s); trust its signer with 'acrun trust --prefix "
				    "%s KEYFILE' and sign it, or skip the check with --insecure-options=image",
				    path, name, asc, name);
	_cleanup_free_ char *signer = NULL;
	if (ac_trust_verify(trust_dir, name, fd, asc, &signer, err) < 0)
		return ac_error_wrap(err, "%s: signature of %s refused (trust with 'acrun trust --prefix %s "
					  "KEYFILE', or skip with --insecure-options=image)",
				     path, name, name);
	if (debug)
		fprintf(stderr, "%s: %s signed by %s\n", prog, path, signer);
	return 0;
}

static void show_progress(void *arg, const char *what, uint64_t done, int64_t total)
{
	(void)what;
	ac_progress_update(arg, done, total);
}

/* Downloads an image (by URL or by appc name) into a private directory of
 * the store's tmp/, then imports it like a local file: its signature is
 * the .asc downloaded beside it. */
static int get_remote_image(struct acr_store *s, const char *ref, char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	int insecure_net = insecure_has("http") || insecure_has("tls");
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->dir);
	_cleanup_free_ char *dir = ac_mkdtemp(tmpdir, "fetch", err);
	_cleanup_free_ char *aci = NULL, *asc = NULL, *what = xasprintf("downloading %s", ref);
	if (!dir)
		return -1;
	ac_progress *bar = ac_progress_new(what, quiet);
	int rc = -1;
	if (ac_str_has_prefix(ref, "https://") || ac_str_has_prefix(ref, "http://")) {
		struct ac_http_opts ho = { .allow_http = insecure_has("http"), .insecure_tls = insecure_has("tls") };
		/* as rkt: X.aci -> X.aci.asc */
		size_t n = strlen(ref);
		_cleanup_free_ char *asc_url = ac_str_has_suffix(ref, ".aci") ? xasprintf("%.*s.aci.asc", (int)(n - 4), ref)
									    : xasprintf("%s.aci.asc", ref);
		aci = xasprintf("%s/image.aci", dir);
		asc = xasprintf("%s/image.aci.asc", dir);
		struct ac_fetch_opts po = { .progress = show_progress, .progress_arg = bar };
		int fr = ac_fetch_url(ref, aci, &ho, 0, &po, err);
		if (fr < 0)
			goto out;
		ac_error *e = NULL;
		if (ac_fetch_url(asc_url, asc, &ho, 1 << 20, NULL, &e) < 0) /* no signature: refused on import */
			ac_error_free(&e);
	} else {
		struct ac_fetch_opts fo = { .disc = { .insecure = insecure_net }, .progress = show_progress,
					    .progress_arg = bar };
		struct ac_fetched f;
		if (ac_fetch_by_name(ref, dir, &fo, &f, err) < 0)
			goto out;
		aci = steal_pointer(&f.aci_path);
		ac_fetched_free(&f);
	}
	ac_progress_end(bar);
	bar = NULL;
	rc = acr_store_import(s, aci, verify_signature, NULL, id, err);
out:
	ac_progress_end(bar);
	ac_rm_rf(dir, NULL);
	return rc;
}

/* docker://REF: pulled and converted by the docker2aci library.  Docker
 * images carry no appc signature, so, as with rkt, this needs
 * --insecure-options=image. */
static int get_docker_image(struct acr_store *s, const char *ref, char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	if (!insecure_has("image"))
		return ac_error_set(err, EPERM, "docker://%s: docker images are not signed; run it with "
					       "--insecure-options=image", ref);
	_cleanup_free_ char *tmpdir = xasprintf("%s/tmp", s->dir);
	_cleanup_free_ char *dir = ac_mkdtemp(tmpdir, "docker", err);
	_cleanup_free_ char *out = NULL;
	if (!dir)
		return -1;
	out = xasprintf("%s/image.aci", dir);
	struct ac_docker_opts o = { .output_file = out, .tmp_dir = dir, .comp = { .type = AC_COMP_NONE, .level = -1 } };
	struct ac_registry_opts ro = { .allow_http = insecure_has("http"), .insecure_tls = insecure_has("tls") };
	struct ac_docker_result res = { 0 };
	int rc = ac_docker_convert_remote(ref, &o, &ro, &res, err);
	ac_docker_result_free(&res);
	if (rc < 0)
		ac_error_wrap(err, "docker://%s", ref);
	else
		rc = acr_store_import(s, out, NULL, NULL, id, err);
	ac_rm_rf(dir, NULL);
	return rc;
}

/* IMAGE: a file path (stored), an image ID (prefix), an https:// URL or an
 * appc name (name[:version][,label=value...], found by discovery). */
static int get_image(struct acr_store *s, const char *ref, char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	struct stat st;
	if (stat(ref, &st) == 0)
		return acr_store_import(s, ref, verify_signature, NULL, id, err);
	if (ac_str_has_prefix(ref, "sha512-"))
		return acr_store_resolve(s, ref, id, err);
	if (ac_str_has_prefix(ref, "docker://"))
		return get_docker_image(s, ref + 9, id, err);
	if (ref[0] == '/' || ref[0] == '.' || ac_str_has_suffix(ref, ".aci"))
		return ac_error_errno(err, "%s", ref); /* a local file that is not there */
	return get_remote_image(s, ref, id, err);
}

/* Renders an image; dependencies missing from the store are fetched by
 * name and their signatures checked like the image's. */
static int render(struct acr_store *s, const char *id, char **rootfs, ac_error **err)
{
	struct ac_fetch_opts fo = { .disc = { .insecure = insecure_has("http") || insecure_has("tls") } };
	struct acr_deps_opts o = { .fetch = &fo, .verify = verify_signature, .debug = debug_cb };
	return acr_store_render_deps(s, id, &o, rootfs, err);
}

static void free_strv_list(char **v)
{
	ac_strv_free(v);
}

/* ---- run ---- */

static struct {
	struct list vols, envs, envfiles;
	const char *exec, *user, *group, *wd, *hostname, *net;
	int no_overlay;
} ro_ = { .net = "host" };

static const struct opt run_opts[] = {
	{ "volume", 0, O_LIST, &ro_.vols, "NAME,kind=KIND[,...]",
	  "the volume for the image's mount point NAME: NAME,kind=host,source=PATH[,readOnly=true] or "
	  "NAME,kind=empty; repeatable",
	  NULL },
	{ "set-env", 0, O_LIST, &ro_.envs, "NAME=VALUE", "set a variable in the app's environment; repeatable", NULL },
	{ "set-env-file", 0, O_LIST, &ro_.envfiles, "FILE",
	  "set the variables of FILE (NAME=VALUE lines; blank lines and # comments skipped); repeatable", NULL },
	{ "exec", 0, O_STR, &ro_.exec, "CMD", "run CMD instead of the image's exec (ARGS after -- are its arguments)",
	  NULL },
	{ "user", 0, O_STR, &ro_.user, "USER",
	  "run as USER: a number, a name in the image's /etc/passwd, or an absolute path (its owner)",
	  "the image's app.user" },
	{ "group", 0, O_STR, &ro_.group, "GROUP", "run with GROUP: a number, a name in the image's /etc/group, or a path",
	  "the image's app.group" },
	{ "working-dir", 0, O_STR, &ro_.wd, "DIR", "the app's working directory, inside the image",
	  "the image's app.workingDirectory, else /" },
	{ "hostname", 0, O_STR, &ro_.hostname, "NAME", "the pod's hostname",
	  "the last component of the image's name" },
	{ "net", 0, O_STR, &ro_.net, "MODE", "host (the host's network) or none (a network namespace with only lo)",
	  "host" },
	{ "no-overlay", 0, O_BOOL, &ro_.no_overlay, NULL,
	  "give the run a copy of the image's tree instead of an overlayfs layer over it", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int cmd_run(const struct cmd *c, int argc, char **argv)
{
	int status = 125;
	ac_error *err = NULL;
	struct acr_volume *vv = NULL;
	size_t nv = 0;
	char **env = xcalloc(1, sizeof(char *));
	size_t nenv = 0;
	char **extra = NULL, **exec_v = NULL;
	json_t *m = NULL;
	_cleanup_free_ char *rootfs = NULL;
	struct acr_store s = { NULL, -1, -1 };
	int i = 0;

	if (check_insecure_value() < 0)
		goto out;
	if (i >= argc || strcmp(argv[i], "--") == 0) {
		status = usage_error(c);
		goto out;
	}
	const char *image = argv[i++];
	if (i < argc) {
		if (strcmp(argv[i], "--") != 0) {
			errmsg("run: unexpected argument %s (put the app's arguments after --)", argv[i]);
			goto out;
		}
		i++;
		extra = xcalloc((size_t)(argc - i) + 1, sizeof(char *));
		for (int k = 0; i + k < argc; k++)
			extra[k] = xstrdup(argv[i + k]);
	}
	enum acr_net netmode;
	if (strcmp(ro_.net, "host") == 0)
		netmode = ACR_NET_HOST;
	else if (strcmp(ro_.net, "none") == 0)
		netmode = ACR_NET_NONE;
	else {
		errmsg("--net: want host or none, not %s", ro_.net);
		goto out;
	}
	vv = xcalloc(ro_.vols.n + 1, sizeof(*vv));
	for (; nv < ro_.vols.n; nv++)
		if (acr_volume_parse(ro_.vols.v[nv], &vv[nv], &err) < 0) {
			status = fail(&err, 125);
			goto out;
		}
	for (size_t k = 0; k < ro_.envfiles.n; k++) {
		char **fv;
		if (acr_env_file_read(ro_.envfiles.v[k], &fv, &err) < 0) {
			status = fail(&err, 125);
			goto out;
		}
		for (char **p = fv; *p; p++) {
			env = xrealloc(env, (nenv + 2) * sizeof(char *));
			env[nenv++] = *p;
			env[nenv] = NULL;
		}
		free(fv);
	}
	for (size_t k = 0; k < ro_.envs.n; k++) {
		if (acr_env_check(ro_.envs.v[k], &err) < 0) {
			status = fail(&err, 125);
			goto out;
		}
		env = xrealloc(env, (nenv + 2) * sizeof(char *));
		env[nenv++] = xstrdup(ro_.envs.v[k]);
		env[nenv] = NULL;
	}
	if (ro_.exec) {
		exec_v = xcalloc(2, sizeof(char *));
		exec_v[0] = xstrdup(ro_.exec);
	}
	if (open_store(&s) < 0)
		goto out;
	char id[AC_IMAGE_ID_LEN + 1];
	if (get_image(&s, image, id, &err) < 0 || !(m = acr_store_manifest(&s, id, &err)) ||
	    render(&s, id, &rootfs, &err) < 0) {
		status = fail(&err, 125);
		goto out;
	}
	debug_cb(id);
	struct acr_run_opts ro = {
		.store = &s,
		.image_id = id,
		.rootfs = rootfs,
		.manifest = m,
		.exec_override = exec_v,
		.extra_args = extra,
		.set_env = env,
		.user = ro_.user,
		.group = ro_.group,
		.working_dir = ro_.wd,
		.hostname = ro_.hostname,
		.volumes = vv,
		.n_volumes = nv,
		.net = netmode,
		.no_overlay = ro_.no_overlay,
		.warn = warn_cb,
		.debug = debug_cb,
	};
	int fs = 125;
	status = acr_run(&ro, &fs, &err);
	if (status < 0)
		status = fail(&err, fs);
out:
	acr_store_close(&s);
	json_decref(m);
	for (size_t k = 0; k < nv; k++)
		acr_volume_release(&vv[k]);
	free(vv);
	free_strv_list(env);
	free_strv_list(extra);
	free_strv_list(exec_v);
	free(ro_.vols.v);
	free(ro_.envs.v);
	free(ro_.envfiles.v);
	return status;
}

/* ---- fetch, image ---- */

static int cmd_fetch(const struct cmd *c, int argc, char **argv)
{
	if (check_insecure_value() < 0)
		return 2;
	if (argc != 1)
		return usage_error(c);
	struct acr_store s;
	if (open_store(&s) < 0)
		return 1;
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	int rc = 0;
	if (get_image(&s, argv[0], id, &err) < 0)
		rc = fail(&err, 1);
	else
		printf("%s\n", id);
	acr_store_close(&s);
	return rc;
}

static const char *label_of(json_t *m, const char *name)
{
	json_t *l;
	size_t i;
	json_array_foreach(json_object_get(m, "labels"), i, l) {
		const char *n = json_string_value(json_object_get(l, "name"));
		if (n && strcmp(n, name) == 0)
			return json_string_value(json_object_get(l, "value"));
	}
	return "";
}

static const char *format;
static const struct opt format_opts[] = {
	{ "format", 0, O_STR, &format, "FORMAT", "text (tab-separated, with a header line) or json", "text" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const struct opt status_opts[] = {
	{ "format", 0, O_STR, &format, "FORMAT", "text (key=value lines) or json", "text" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* 1 for --format json, 0 for text, -1 (after a message) for anything else. */
static int want_json(void)
{
	if (!format || !strcmp(format, "text"))
		return 0;
	if (!strcmp(format, "json"))
		return 1;
	errmsg("--format: want text or json");
	return -1;
}

static void print_json(json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", t);
	free(t);
}

/* Opens the store for the image commands: 0, or the exit status. */
static int open_store_status(struct acr_store *s)
{
	return open_store(s) < 0 ? 1 : 0;
}

static int cmd_image_list(const struct cmd *c, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_error(c);
	int json = want_json();
	if (json < 0)
		return 2;
	struct acr_store s;
	if (open_store_status(&s))
		return 1;
	ac_error *err = NULL;
	_cleanup_strv_ char **ids = acr_store_images(&s, &err);
	if (!ids) {
		acr_store_close(&s);
		return fail(&err, 1);
	}
	json_t *arr = json_array();
	if (!json)
		printf("ID\tNAME\tVERSION\tSIZE\n");
	for (char **p = ids; *p; p++) {
		json_t *m = acr_store_manifest(&s, *p, NULL);
		const char *name = m ? json_string_value(json_object_get(m, "name")) : NULL;
		if (!name)
			name = "?";
		long long size = acr_store_image_size(&s, *p);
		if (json)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I}", "id", *p, "name", name, "version",
							     label_of(m, "version"), "size", (json_int_t)size));
		else
			printf("%s\t%s\t%s\t%lld\n", *p, name, label_of(m, "version"), size);
		json_decref(m);
	}
	if (json)
		print_json(arr);
	json_decref(arr);
	acr_store_close(&s);
	return 0;
}

static int cmd_image_rm(const struct cmd *c, int argc, char **argv)
{
	if (!argc)
		return usage_error(c);
	struct acr_store s;
	if (open_store_status(&s))
		return 1;
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	int rc = 0;
	for (int k = 0; k < argc; k++) {
		if (acr_store_resolve(&s, argv[k], id, &err) < 0 || acr_store_remove(&s, id, &err) < 0)
			rc = fail(&err, 1);
		else
			printf("%s\n", id);
	}
	acr_store_close(&s);
	return rc;
}

static int cmd_image_gc(const struct cmd *c, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_error(c);
	struct acr_store s;
	if (open_store_status(&s))
		return 1;
	ac_error *err = NULL;
	size_t removed;
	int rc = 0;
	if (acr_image_gc(&s, &removed, &err) < 0)
		rc = fail(&err, 1);
	else
		fprintf(stderr, "removed %zu rendered image(s)\n", removed);
	acr_store_close(&s);
	return rc;
}

static int cmd_image_render(const struct cmd *c, int argc, char **argv)
{
	if (argc != 2)
		return usage_error(c);
	struct acr_store s;
	if (open_store_status(&s))
		return 1;
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	int rc = 0;
	_cleanup_free_ char *root = NULL;
	if (acr_store_resolve(&s, argv[0], id, &err) < 0 || render(&s, id, &root, &err) < 0)
		rc = fail(&err, 1);
	else if (mkdir(argv[1], 0755) < 0)
		rc = (errmsg("%s: %s", argv[1], strerror(errno)), 1);
	else {
		_cleanup_free_ char *dst = xasprintf("%s/rootfs", argv[1]);
		if (mkdir(dst, 0755) < 0 || acr_copy_tree(root, dst, &err) < 0)
			rc = err ? fail(&err, 1) : (errmsg("%s: %s", dst, strerror(errno)), 1);
	}
	acr_store_close(&s);
	return rc;
}

static int cmd_image_cat_manifest(const struct cmd *c, int argc, char **argv)
{
	if (argc != 1)
		return usage_error(c);
	struct acr_store s;
	if (open_store_status(&s))
		return 1;
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	int rc = 0;
	json_t *m = NULL;
	_cleanup_free_ char *t = NULL;
	if (acr_store_resolve(&s, argv[0], id, &err) < 0 || !(m = acr_store_manifest(&s, id, &err)) ||
	    !(t = ac_manifest_serialize(m, 4, &err)))
		rc = fail(&err, 1);
	else
		printf("%s\n", t);
	json_decref(m);
	acr_store_close(&s);
	return rc;
}

static int cmd_image_export(const struct cmd *c, int argc, char **argv)
{
	if (argc != 2)
		return usage_error(c);
	struct acr_store s;
	if (open_store_status(&s))
		return 1;
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	int rc = 0;
	if (acr_store_resolve(&s, argv[0], id, &err) < 0 || acr_store_export(&s, id, argv[1], &err) < 0)
		rc = fail(&err, 1);
	acr_store_close(&s);
	return rc;
}

/* ---- pods: list, status, gc ---- */

/* "running", "exited(N)" or "aborted" (neither running nor an exit status
 * recorded: its acrun process was killed). */
static char *pod_state(const struct acr_pod_info *p)
{
	return p->running ? xstrdup("running") : p->exited ? xasprintf("exited(%d)", p->status) : xstrdup("aborted");
}

/* The object "list --format json" prints per pod ("status" adds imageName). */
static json_t *pod_json(const struct acr_pod_info *p)
{
	_cleanup_free_ char *state = pod_state(p);
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "uuid", p->uuid, "app", p->app_name ? p->app_name : "", "image",
			 p->image_id, "state", state, "created", (json_int_t)p->created, "exitStatus",
			 p->exited ? json_integer(p->status) : json_null());
}

static int cmd_list(const struct cmd *c, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_error(c);
	int json = want_json();
	if (json < 0)
		return 2;
	struct acr_store s;
	if (open_store(&s) < 0)
		return 1;
	ac_error *err = NULL;
	struct acr_pod_info *p;
	size_t n;
	if (acr_pods_list(&s, &p, &n, &err) < 0) {
		acr_store_close(&s);
		return fail(&err, 1);
	}
	json_t *arr = json_array();
	if (!json)
		printf("UUID\tAPP\tIMAGE\tSTATE\n");
	for (size_t k = 0; k < n; k++) {
		_cleanup_free_ char *state = pod_state(&p[k]);
		if (json)
			json_array_append_new(arr, pod_json(&p[k]));
		else
			printf("%s\t%s\t%.19s\t%s\n", p[k].uuid, p[k].app_name ? p[k].app_name : "", p[k].image_id,
			       state);
	}
	if (json)
		print_json(arr);
	json_decref(arr);
	acr_pods_free(p, n);
	acr_store_close(&s);
	return 0;
}

static int cmd_status(const struct cmd *c, int argc, char **argv)
{
	if (argc != 1 || !*argv[0])
		return usage_error(c);
	int json = want_json();
	if (json < 0)
		return 2;
	struct acr_store s;
	if (open_store(&s) < 0)
		return 1;
	ac_error *err = NULL;
	struct acr_pod_info *p;
	size_t n;
	if (acr_pods_list(&s, &p, &n, &err) < 0) {
		acr_store_close(&s);
		return fail(&err, 1);
	}
	/* a UUID or an unambiguous prefix of one, as for image IDs */
	const struct acr_pod_info *found = NULL;
	size_t matches = 0, len = strlen(argv[0]);
	for (size_t k = 0; k < n; k++)
		if (!strncmp(p[k].uuid, argv[0], len)) {
			found = &p[k];
			matches++;
		}
	int rc = 0;
	if (matches != 1) {
		if (matches)
			errmsg("%s: ambiguous pod UUID prefix (%zu pods match)", argv[0], matches);
		else
			errmsg("%s: no such pod", argv[0]);
		rc = 1;
	} else {
		json_t *m = found->image_id[0] ? acr_store_manifest(&s, found->image_id, NULL) : NULL;
		const char *name = json_string_value(json_object_get(m, "name"));
		json_t *j = pod_json(found);
		json_object_set_new(j, "imageName", name ? json_string(name) : json_null());
		if (json) {
			print_json(j);
		} else {
			char when[32] = "?";
			time_t t = (time_t)found->created;
			struct tm tm;
			if (gmtime_r(&t, &tm))
				strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			printf("uuid=%s\nimage=%s\nimage-name=%s\napp=%s\ncreated=%s\nstate=%s\n", found->uuid,
			       found->image_id, name ? name : "", found->app_name ? found->app_name : "", when,
			       found->running ? "running" : found->exited ? "exited" : "aborted");
			if (found->exited)
				printf("exit-status=%d\n", found->status);
		}
		json_decref(j);
		json_decref(m);
	}
	acr_pods_free(p, n);
	acr_store_close(&s);
	return rc;
}
static int parse_duration(const char *s, long long *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	double mul = 1;
	if (*end == 'h')
		mul = 3600;
	else if (*end == 'm' && end[1] != 's')
		mul = 60;
	else if (*end == 's')
		mul = 1;
	else if (*end)
		return -1;
	*out = (long long)(v * mul);
	return 0;
}

static const char *grace = "0s";
static const struct opt gc_opts[] = {
	{ "grace-period", 0, O_STR, &grace, "DURATION",
	  "keep pods that finished less than DURATION ago (a number with s, m or h)", "0s" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int cmd_gc(const struct cmd *c, int argc, char **argv)
{
	(void)argv;
	long long g;
	if (argc)
		return usage_error(c);
	if (parse_duration(grace, &g) < 0) {
		errmsg("--grace-period: bad duration %s (e.g. 30m, 1h, 10s)", grace);
		return 2;
	}
	struct acr_store s;
	if (open_store(&s) < 0)
		return 1;
	ac_error *err = NULL;
	size_t removed;
	int rc = 0;
	if (acr_gc(&s, g, &removed, &err) < 0)
		rc = fail(&err, 1);
	else
		fprintf(stderr, "removed %zu pod(s)\n", removed);
	acr_store_close(&s);
	return rc;
}

/* ---- trust ---- */

static const char *trust_system_dir = AC_TRUST_SYSTEM_DIR;

static struct ac_trust_store trust_store(void)
{
	return (struct ac_trust_store){ trust_system_dir && *trust_system_dir ? trust_system_dir : NULL, trust_dir };
}

static int cmd_trust_list(const struct cmd *c, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_error(c);
	ac_error *err = NULL;
	struct ac_trusted_key *k;
	size_t nk;
	struct ac_trust_store ts = trust_store();
	if (ac_trust_store_list(&ts, &k, &nk, &err) < 0)
		return fail(&err, 1);
	printf("PREFIX\tFINGERPRINT\tUSER ID\n");
	for (size_t j = 0; j < nk; j++)
		printf("%s\t%s\t%s\n", k[j].prefix ? k[j].prefix : "(root)", k[j].fingerprint, k[j].uid ? k[j].uid : "");
	ac_trust_list_free(k, nk);
	return 0;
}

static int cmd_trust_rm(const struct cmd *c, int argc, char **argv)
{
	if (argc != 1)
		return usage_error(c);
	ac_error *err = NULL;
	struct ac_trust_store ts = trust_store();
	if (ac_trust_store_remove(&ts, argv[0], &err) < 0)
		return fail(&err, 1);
	return 0;
}

static const char *trust_prefix;
static int trust_root, trust_skip_review, trust_allow_http;
static const struct opt trust_opts[] = {
	{ "prefix", 0, O_STR, &trust_prefix, "PREFIX",
	  "trust the key for the images whose name is PREFIX or below it (whole path components)", NULL },
	{ "root", 0, O_BOOL, &trust_root, NULL, "trust the key for every image", NULL },
	{ "skip-fingerprint-review", 0, O_BOOL, &trust_skip_review, NULL,
	  "do not ask for confirmation of the fingerprint (for scripts)", NULL },
	{ "insecure-allow-http", 0, O_BOOL, &trust_allow_http, NULL,
	  "allow discovery and key downloads over plain HTTP", NULL },
	{ "system-trust-dir", 0, O_STR, &trust_system_dir, "DIR",
	  "the system trust store, read before --trust-dir (\"\": none)", AC_TRUST_SYSTEM_DIR },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct opt trust_sys_opts[] = {
	{ "system-trust-dir", 0, O_STR, &trust_system_dir, "DIR",
	  "the system trust store, read before --trust-dir (\"\": none)", AC_TRUST_SYSTEM_DIR },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* Shows a key for review as rkt does; 0 once accepted. */
static int trust_review(const char *prefix, const char *location, const char *fp, const char *uid)
{
	fprintf(stderr, "Prefix: \"%s\"\nKey: \"%s\"\nGPG key fingerprint is: ", prefix ? prefix : "(root)", location);
	for (int k = 0; k < 40; k += 4) {
		for (int j = k; j < k + 4; j++)
			fputc(toupper((unsigned char)fp[j]), stderr);
		fputs(k == 36 ? "\n" : k == 16 ? "  " : " ", stderr);
	}
	if (uid)
		fprintf(stderr, "\t%s\n", uid);
	if (trust_skip_review) {
		fprintf(stderr, "Trusting \"%s\" for prefix \"%s\" without fingerprint review.\n", location,
			prefix ? prefix : "(root)");
		return 0;
	}
	fprintf(stderr, "Are you sure you want to trust this key (yes/no)? ");
	char line[64];
	if (!fgets(line, sizeof(line), stdin) || strcmp(line, "yes\n") != 0) {
		errmsg("not trusting \"%s\"", location);
		return -1;
	}
	return 0;
}

/* One key (a file, or an https:// URL downloaded into tmp): review, store. */
static int trust_one(const char *prefix, const char *location, const char *tmp, const struct ac_auth *auth)
{
	ac_error *err = NULL;
	const char *file = location;
	_cleanup_free_ char *path = NULL;
	if (ac_str_has_prefix(location, "https://") || ac_str_has_prefix(location, "http://")) {
		struct ac_http_opts ho = { .allow_http = trust_allow_http, .insecure_tls = insecure_has("tls"),
					   .authorization = ac_auth_for_url(auth, location) };
		path = xasprintf("%s/key", tmp);
		if (ac_fetch_url(location, path, &ho, 1 << 20, NULL, &err) < 0) {
			if (err->code == EPROTONOSUPPORT)
				ac_error_wrap(&err, "%s: plain HTTP needs --insecure-allow-http", location);
			return fail(&err, 1);
		}
		file = path;
	}
	_cleanup_free_ char *uid = NULL;
	_cleanup_free_ char *fp = ac_trust_key_info(file, &uid, &err);
	if (!fp)
		return fail(&err, 1);
	if (trust_review(prefix, location, fp, uid) < 0)
		return 1;
	_cleanup_free_ char *stored = NULL;
	if (ac_trust_add(trust_dir, prefix, file, &stored, &err) < 0)
		return fail(&err, 1);
	if (prefix)
		fprintf(stderr, "Added key for prefix \"%s\" at \"%s/trustedkeys/prefix.d/%s/%s\"\n", prefix, trust_dir,
			prefix, stored);
	else
		fprintf(stderr, "Added root key at \"%s/trustedkeys/root.d/%s\"\n", trust_dir, stored);
	return 0;
}

static int cmd_trust(const struct cmd *c, int argc, char **argv)
{
	(void)c;
	ac_error *err = NULL;
	const char *prefix = trust_prefix;
	int root = trust_root;
	/* "trust --skip-fingerprint-review list" still lists */
	if (!prefix && !root && argc >= 1 && strcmp(argv[0], "list") == 0)
		return cmd_trust_list(c, 0, NULL);
	if (!prefix && !root && argc == 2 && strcmp(argv[0], "rm") == 0)
		return cmd_trust_rm(c, 1, argv + 1);
	/* --prefix alone: the keys come from discovery, as rkt's */
	if ((!prefix) == (!root) || argc > 1 || (root && argc != 1)) {
		errmsg("usage: acrun trust --prefix PREFIX [KEYFILE|URL] | --root KEYFILE|URL | list | rm FINGERPRINT");
		return 2;
	}
	if (prefix) {
		const char *msg;
		if (ac_check_acidentifier(prefix, &msg) < 0) {
			errmsg("--prefix %s: %s", prefix, msg);
			return 2;
		}
	}
	struct ac_auth auth = { NULL, 0 };
	if (ac_auth_load_default(&auth, trust_system_dir && *trust_system_dir ? trust_system_dir : NULL, trust_dir,
				 &err) < 0)
		return fail(&err, 1);
	char **keys = NULL; /* discovered key URLs */
	size_t nkeys = 0;
	struct ac_discovery d = { 0 };
	if (argc == 0) {
		struct ac_app app;
		struct ac_discovery_opts o = { .insecure_http = trust_allow_http, .insecure_tls = insecure_has("tls"),
					       .auth = &auth };
		int r = ac_app_parse(prefix, &app, &err);
		if (r == 0) {
			r = ac_discover(&app, AC_DISCOVER_KEYS, &o, &d, &err);
			ac_app_free(&app);
		}
		if (r < 0) {
			/* every prefix tried, on one line */
			ac_buf why = AC_BUF_INIT;
			for (size_t k = 0; k < d.nattempts; k++)
				ac_buf_addf(&why, "%s%s", k ? "; " : ": ", d.attempts[k].error);
			if (d.nattempts)
				ac_error_set(&err, ENOENT, "--prefix %s: no public keys discovered%s", prefix, why.buf);
			else
				ac_error_wrap(&err, "--prefix %s", prefix);
			ac_buf_release(&why);
			ac_discovery_free(&d);
			ac_auth_free(&auth);
			return fail(&err, 1);
		}
		keys = d.keys;
		nkeys = d.nkeys;
	} else {
		keys = argv;
		nkeys = 1;
	}
	ac_error *terr = NULL;
	_cleanup_free_ char *tmp = ac_mkdtemp(ac_tmpdir(), "acrun-trust", &terr);
	int rc = 0;
	if (!tmp) {
		rc = fail(&terr, 1);
	} else {
		for (size_t k = 0; k < nkeys && rc == 0; k++)
			rc = trust_one(prefix, keys[k], tmp, &auth);
		ac_rm_rf(tmp, NULL);
	}
	ac_discovery_free(&d);
	ac_auth_free(&auth);
	return rc;
}

/* ---- the table ---- */

static const struct opt no_opts[] = { { NULL, 0, 0, NULL, NULL, NULL, NULL } };

static const struct cmd commands[] = {
	{ "run", "[options] IMAGE [-- ARGS...]", "run an image's app in a new pod",
	  "IMAGE is an ACI file (stored first; its signature IMAGE.asc beside it is\n"
	  "checked), the ID of a stored image or an unambiguous prefix of one\n"
	  "(sha512-abcd...), an https:// URL (X.aci.asc is fetched with it), or an appc\n"
	  "name NAME[:VERSION][,LABEL=VALUE...] found by discovery, or docker://REF\n"
	  "(converted as docker2aci does; needs --insecure-options=image). Its dependencies are rendered under it; missing ones are\n"
	  "fetched by name through discovery and their signatures checked against the trust\n"
	  "store. The app runs in new mount, PID, UTS and IPC namespaces (and a network\n"
	  "namespace with --net=none), on its own writable layer over the cached tree, with\n"
	  "standard input and output passed through and SIGINT and SIGTERM forwarded.\n"
	  "\n"
	  "ARGS after -- are appended to the image's exec, or given to --exec's command.\n"
	  "acrun exits with the app's exit status (see EXIT STATUS).",
	  run_opts, cmd_run, 125 },
	{ "fetch", "IMAGE", "store an image and print its image ID",
	  "IMAGE is as for run: an ACI file, an image ID (prefix), an https:// URL or an\n"
	  "appc name found by discovery. The archive's image ID\n"
	  "(sha512 of its uncompressed tar) is verified while it is stored, and its\n"
	  "signature checked as for run.",
	  no_opts, cmd_fetch, 0 },
	{ "image", "COMMAND [ARGS...]", "manage the image store", NULL, no_opts, NULL, 0 },
	{ "image list", "[--format json]", "list the stored images",
	  "Text: a header line, then one tab-separated line per image: ID, NAME, VERSION\n"
	  "(its version label) and SIZE (bytes of the stored archive).\n"
	  "\n"
	  "With --format json: one JSON array, one object per image, sorted by ID:\n"
	  "  id       the image ID (\"sha512-\" and 128 hex digits)\n"
	  "  name     the image's name\n"
	  "  version  the value of its version label, or \"\"\n"
	  "  size     the stored archive's size in bytes (a number)",
	  format_opts, cmd_image_list, 0 },
	{ "image rm", "ID...", "remove images from the store (printing each ID removed)",
	  "Refused for an image a running pod uses.", no_opts, cmd_image_rm, 0 },
	{ "image gc", "", "remove the cached rendered trees (rebuilt on demand)", NULL, no_opts, cmd_image_gc, 0 },
	{ "image render", "ID DIR", "write an image's rendered tree, dependencies included, to DIR/rootfs",
	  "DIR must not exist yet.", no_opts, cmd_image_render, 0 },
	{ "image cat-manifest", "ID", "print a stored image's manifest", NULL, no_opts, cmd_image_cat_manifest, 0 },
	{ "image export", "ID FILE", "copy a stored image's archive to FILE", NULL, no_opts, cmd_image_export, 0 },
	{ "list", "[--format json]", "list the pods (runs), oldest first",
	  "Text: a header line, then one tab-separated line per pod: UUID, APP, IMAGE (the\n"
	  "first 19 characters of its image ID) and STATE: running, exited(N) (N its exit\n"
	  "status) or aborted (its acrun process was killed before the app's status was\n"
	  "recorded).\n"
	  "\n"
	  "With --format json: one JSON array, one object per pod, oldest first:\n"
	  "  uuid        the pod's UUID\n"
	  "  app         the app's name (the image's name)\n"
	  "  image       the full image ID\n"
	  "  state       \"running\", \"exited(N)\" or \"aborted\", as in the text\n"
	  "  created     when it started, in seconds since the epoch (a number)\n"
	  "  exitStatus  the exit status (a number), or null unless exited",
	  format_opts, cmd_list, 0 },
	{ "status", "[--format json] UUID", "show one pod's state",
	  "UUID may be an unambiguous prefix. Text: key=value lines: uuid, image (the image\n"
	  "ID), image-name (empty once the image was removed), app, created (RFC 3339, UTC),\n"
	  "state (running, exited or aborted) and, for an exited pod, exit-status.\n"
	  "\n"
	  "With --format json: one JSON object, the one list --format json prints for the\n"
	  "pod with one more field:\n"
	  "  imageName   the image's name, or null once the image was removed",
	  status_opts, cmd_status, 0 },
	{ "gc", "[--grace-period=DURATION]", "remove finished pods and leftovers of interrupted work",
	  "Pods still running are kept; so are the ones created less than DURATION ago.", gc_opts, cmd_gc, 0 },
	{ "trust", "--prefix PREFIX [KEYFILE|URL] | --root KEYFILE|URL", "trust a key to sign images",
	  "The key is a file or an https:// URL; with --prefix alone it is found by\n"
	  "discovery: the ac-discovery-pubkeys meta tags of PREFIX's page (the walk up its\n"
	  "path as for images), every key listed there downloaded over HTTPS. Plain HTTP\n"
	  "only with --insecure-allow-http. Each key's fingerprint is shown for review, as\n"
	  "10 groups of 4 hex digits, and the key stored once \"yes\" is typed (or at once\n"
	  "with --skip-fingerprint-review) in --trust-dir. A key trusted for a prefix covers\n"
	  "the names equal to it or below it on whole path components: one for\n"
	  "example.com/foo covers example.com/foo/app but not example.com/foobar.\n"
	  "\n"
	  "Credentials for the hosts asked are read from rkt-style JSON files in\n"
	  "--system-trust-dir/auth.d, --trust-dir/auth.d and $XDG_CONFIG_HOME/acrun/auth.d\n"
	  "(each overriding the one before) and sent only over HTTPS, only to the hosts\n"
	  "they list:\n"
	  "  {\"rktKind\": \"auth\", \"rktVersion\": \"v1\", \"domains\": [\"example.com\"],\n"
	  "   \"type\": \"basic\", \"credentials\": {\"user\": \"U\", \"password\": \"P\"}}\n"
	  "  (or \"type\": \"oauth\", \"credentials\": {\"token\": \"T\"}: a Bearer token)",
	  trust_opts, cmd_trust, 0 },
	{ "trust list", "", "list the trusted keys: PREFIX ((root) for root keys), FINGERPRINT, USER ID",
	  "The keys in effect: those of --trust-dir and those of the system store not masked\n"
	  "by an empty file of the same name and place in --trust-dir.",
	  trust_sys_opts, cmd_trust_list, 0 },
	{ "trust rm", "FINGERPRINT", "stop trusting a key (every copy of it)",
	  "Copies in --trust-dir are removed; a copy in the system store is masked by an\n"
	  "empty file of the same name and place in --trust-dir.",
	  trust_sys_opts, cmd_trust_rm, 0 },
	{ "help", "[COMMAND]", "show the commands, or a command's usage and options", NULL, no_opts, cmd_help, 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0 },
};

/* ---- parsing and help, from the table ---- */

static void print_help(FILE *f, const struct cmd *c);

/* Parses options (the command's, then the global ones) until the first
 * positional argument or "--"; returns the index of the first positional,
 * or -1 after printing a usage error.  --help prints c's help and exits. */
static int parse_opts(const struct cmd *c, int argc, char **argv, int i)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0 || a[0] != '-' || !a[1])
			return i;
		a += a[1] == '-' ? 2 : 1;
		size_t nl = strcspn(a, "=");
		const char *val = a[nl] == '=' ? a + nl + 1 : NULL;
		const struct opt *o = NULL;
		for (const struct opt *set[] = { c ? c->opts : NULL, global_opts }, **s = set; s < set + 2 && !o; s++)
			for (const struct opt *p = *s; p && p->name; p++)
				if ((strlen(p->name) == nl && strncmp(p->name, a, nl) == 0) ||
				    (nl == 1 && p->shorthand == a[0]))
					o = p;
		if (!o) {
			errmsg("unknown option: %s", argv[i]);
			return -1;
		}
		if (!o->ptr) { /* --help */
			print_help(stdout, c);
			exit(ac_cli_finish(0, prog));
		}
		if (o->kind == O_BOOL) {
			int b = 1;
			if (val && ac_parse_bool(val, &b) < 0) {
				errmsg("option --%s: bad boolean %s", o->name, val);
				return -1;
			}
			*(int *)o->ptr = b;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc) {
				errmsg("option --%s needs a value", o->name);
				return -1;
			}
			val = argv[++i];
		}
		if (o->kind == O_STR)
			*(const char **)o->ptr = val;
		else
			list_add(o->ptr, val);
	}
	return i;
}

/* The command whose path matches the most words of argv (groups included);
 * *nwords receives how many. */
static const struct cmd *find_command(int argc, char **argv, int *nwords)
{
	const struct cmd *best = NULL;
	int bestn = 0;
	for (const struct cmd *c = commands; c->path; c++) {
		const char *p = c->path;
		int n = 0;
		while (*p && n < argc) {
			size_t wl = strcspn(p, " ");
			if (strlen(argv[n]) != wl || strncmp(argv[n], p, wl))
				break;
			n++;
			p += wl;
			p += *p == ' ';
		}
		if (!*p && n > bestn) {
			best = c;
			bestn = n;
		}
	}
	*nwords = bestn;
	return best;
}

static int is_group(const struct cmd *c)
{
	return !c->run;
}

/* Words from column col on, lines up to 79 columns, continued at col. */
static void wrap(FILE *f, const char *s, int col)
{
	int x = col;
	while (*s) {
		size_t wl = strcspn(s, " ");
		if (x > col && x + 1 + (int)wl > 79) {
			fprintf(f, "\n%*s", col, "");
			x = col;
		} else if (x > col) {
			fputc(' ', f);
			x++;
		}
		fwrite(s, 1, wl, f);
		x += (int)wl;
		s += wl;
		while (*s == ' ')
			s++;
	}
	fputc('\n', f);
}

/* "  --name=ARG" then the help at column 32 (on the next line when wider). */
static void print_opts(FILE *f, const struct opt *o)
{
	for (; o && o->name; o++) {
		char sh[8] = "";
		if (o->shorthand)
			snprintf(sh, sizeof(sh), "-%c, ", o->shorthand);
		_cleanup_free_ char *left = xasprintf("  %s--%s%s%s", sh, o->name, o->arg ? "=" : "", o->arg ? o->arg : "");
		if (strlen(left) < 30)
			fprintf(f, "%-32s", left);
		else
			fprintf(f, "%s\n%32s", left, "");
		_cleanup_free_ char *text = o->def ? xasprintf("%s (default: %s)", o->help, o->def) : xstrdup(o->help);
		wrap(f, text, 32);
	}
}

/* acrun's help, or a command's (a group's lists its subcommands). */
static void print_help(FILE *f, const struct cmd *c)
{
	if (!c) {
		fprintf(f, "usage: acrun [global options] COMMAND [options] [ARGS...]\n\n"
			   "Run App Container Images (ACIs) from a local store, with signature checks.\n\nCommands:\n");
		for (const struct cmd *k = commands; k->path; k++) {
			if (is_group(k))
				continue;
			_cleanup_free_ char *left = xasprintf("  %s", k->path);
			fprintf(f, "%-24s", left);
			wrap(f, k->summary, 24);
		}
		fputs("\nGlobal options:\n", f);
		print_opts(f, global_opts);
		fputs("\nRun 'acrun help COMMAND' for a command's options and details.\n", f);
		return;
	}
	fprintf(f, "usage: acrun %s %s\n\n%s\n", c->path, c->usage, c->summary);
	if (c->description)
		fprintf(f, "\n%s\n", c->description);
	if (is_group(c)) {
		fputs("\nCommands:\n", f);
		size_t pl = strlen(c->path);
		for (const struct cmd *k = commands; k->path; k++)
			if (!strncmp(k->path, c->path, pl) && k->path[pl] == ' ') {
				_cleanup_free_ char *left = xasprintf("  %s", k->path);
				fprintf(f, "%-24s", left);
			wrap(f, k->summary, 24);
			}
	}
	if (c->opts && c->opts->name) {
		fputs("\nOptions:\n", f);
		print_opts(f, c->opts);
	}
	fputs("\nGlobal options:\n", f);
	print_opts(f, global_opts);
}
/* ---- help ---- */

static int cmd_help(const struct cmd *c, int argc, char **argv)
{
	(void)c;
	if (!argc) {
		print_help(stdout, NULL);
		return 0;
	}
	int nw;
	const struct cmd *k = find_command(argc, argv, &nw);
	if (!k || nw != argc) {
		errmsg("help: unknown command %s", argv[nw]);
		return 2;
	}
	print_help(stdout, k);
	return 0;
}

/* ---- man page and completions (hidden: "acrun __doc man|bash|zsh") ---- */

static const char *const man_sections[] = {
	"EXIT STATUS",
	"acrun run exits with the app's exit status, or 128+N when the app was killed by signal N. When the app "
	"could not be run it exits 125 (a usage error, an image refused or not found, a failure to set up the "
	"pod), 126 (the app's program could not be executed) or 127 (it does not exist).\n"
	"\n"
	"The other commands exit 0 on success, 1 when they fail (one line on standard error says why) and 2 for "
	"usage errors.",
	"FILES",
	"The image store (--dir; /var/lib/acrun as root, else $XDG_DATA_HOME/acrun or ~/.local/share/acrun):\n"
	"  images/ID/image.aci     the archive as fetched (its ID verified)\n"
	"  images/ID/manifest      its manifest\n"
	"  images/ID/rendered/     the rendered tree (rootfs/), shared read-only by runs\n"
	"  files/SHA256            the image ID of a file stored before\n"
	"  pods/UUID/              one run: image, app, created, status, its writable layer\n"
	"  tmp/                    work in progress, renamed into place (cleaned by gc)\n"
	"  lock                    shared by imports and runs, exclusive for gc and rm\n"
	"\n"
	"The trust store (--trust-dir; /etc/acrun), laid out as rkt's:\n"
	"  trustedkeys/root.d/FINGERPRINT            keys trusted for every image\n"
	"  trustedkeys/prefix.d/PREFIX/FINGERPRINT   keys trusted for PREFIX and below",
	"ENVIRONMENT",
	"XDG_DATA_HOME, HOME\n"
	"  the store's place when --dir is not given and acrun does not run as root.\n"
	"\n"
	"SSL_CERT_FILE\n"
	"  a CA bundle for fetching dependencies through discovery.\n"
	"\n"
	"AC_DISCOVERY_PORT\n"
	"  the port discovery connects to.\n"
	"\n"
	"TMPDIR\n"
	"  where signatures are checked, in a throw-away keyring (the user's own\n"
	"  keyring is never read).",
	"EXAMPLES",
	"  acrun trust --prefix example.com/hello signer.asc\n"
	"  acrun run hello.aci\n"
	"  acrun run --volume data,kind=host,source=/srv/data,readOnly=true web.aci -- --port 8080\n"
	"  acrun --insecure-options=image run --exec /bin/sh unsigned.aci\n"
	"  acrun fetch hello.aci && acrun image list --format json\n"
	"  acrun list && acrun status 3f2a && acrun gc --grace-period=1h",
	"SEE ALSO",
	"actool(1), acbuild(1), docker2aci(1); the App Container specification, v0.8.11.",
	NULL,
	NULL,
};

static struct ac_doc_opt *doc_opts(const struct opt *o, size_t *n)
{
	size_t k = 0;
	while (o && o[k].name)
		k++;
	struct ac_doc_opt *d = xcalloc(k + 1, sizeof(*d));
	for (size_t i = 0; i < k; i++)
		d[i] = (struct ac_doc_opt){ o[i].name, o[i].shorthand, o[i].arg, o[i].help, o[i].def };
	*n = k;
	return d;
}

static int write_doc(const char *what)
{
	size_t n = 0, ng;
	struct ac_doc_cmd *cmds = xcalloc(ARRAY_SIZE(commands), sizeof(*cmds));
	char **descs = xcalloc(ARRAY_SIZE(commands), sizeof(*descs));
	for (const struct cmd *c = commands; c->path; c++) {
		if (is_group(c)) /* its subcommands are documented one by one */
			continue;
		cmds[n] = (struct ac_doc_cmd){ .path = c->path, .usage = c->usage, .summary = c->summary };
		/* the page shows the description instead of the summary: both, as a sentence */
		char *d = c->description ? xasprintf("%s.\n\n%s", c->summary, c->description)
					 : xasprintf("%s.", c->summary);
		d[0] = (char)toupper((unsigned char)d[0]);
		cmds[n].description = descs[n] = d;
		cmds[n].opts = doc_opts(c->opts, &cmds[n].nopts);
		n++;
	}
	struct ac_doc_opt *g = doc_opts(global_opts, &ng);
	struct ac_doc_tool t = {
		.name = "acrun",
		.summary = "run App Container Images, with an image store and signature trust",
		.synopsis = "[global options] COMMAND [options] [ARGS...]",
		.description = "acrun runs the app of an App Container Image (ACI, appc spec v0.8.11) the way an appc "
			       "executor such as rkt does: one app per pod, host networking by default. Images are "
			       "kept in a store by image ID and their rendered trees cached; signatures are checked "
			       "against the keys trusted for the name in the image's manifest unless "
			       "--insecure-options=image is given. Global options may also follow the command. "
			       "Options may be written --name=value, --name value or -name.",
		.global = g,
		.nglobal = ng,
		.cmds = cmds,
		.ncmds = n,
		.sections = man_sections,
		.version = AC_SPEC_VERSION,
	};
	int r = ac_doc_write(stdout, &t, what);
	for (size_t i = 0; i < n; i++) {
		free((void *)cmds[i].opts);
		free(descs[i]);
	}
	free(descs);
	free(cmds);
	free(g);
	if (r < 0)
		errmsg("__doc: unknown output %s (man, bash or zsh)", what);
	return r < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	int i = parse_opts(NULL, argc, argv, 1);
	if (i < 0)
		return 2;
	if (i >= argc) {
		print_help(stderr, NULL);
		return 2;
	}
	if (strcmp(argv[i], "__doc") == 0) /* hidden: the build's man page and completions */
		return ac_cli_finish(write_doc(i + 1 < argc ? argv[i + 1] : "man"), prog);
	int nw;
	const struct cmd *c = find_command(argc - i, argv + i, &nw);
	if (!c) {
		errmsg("unknown command %s", argv[i]);
		print_help(stderr, NULL);
		return 2;
	}
	i += nw;
	int rc;
	if (is_group(c)) {
		/* "image --help" is the group's help; anything else an error */
		int j = parse_opts(c, argc, argv, i);
		if (j < 0)
			rc = 2;
		else if (j < argc)
			rc = (errmsg("%s: unknown subcommand %s", c->path, argv[j]), 2);
		else {
			/* "usage: acrun image list|rm|... ..." */
			_cleanup_free_ char *subs = xstrdup("");
			size_t pl = strlen(c->path);
			for (const struct cmd *k = commands; k->path; k++)
				if (!strncmp(k->path, c->path, pl) && k->path[pl] == ' ') {
					char *t = xasprintf("%s%s%s", subs, *subs ? "|" : "", k->path + pl + 1);
					free(subs);
					subs = t;
				}
			errmsg("usage: acrun %s %s ...", c->path, subs);
			rc = 2;
		}
		return ac_cli_finish(rc, prog);
	}
	int j = parse_opts(c, argc, argv, i);
	if (j < 0)
		rc = c->usage_status ? c->usage_status : 2;
	else
		rc = c->run(c, argc - j, argv + j);
	return ac_cli_finish(rc, prog);
}
