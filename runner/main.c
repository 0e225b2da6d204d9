/* acrun: the thin CLI over the runner library. */
#include "runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include "ac/cli.h"
#include "ac/fetch.h"
#include "ac/fs.h"
#include "ac/manifest.h"

static int debug;
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

/* ---- options: --name=value, --name value, -name; repeatable lists ---- */
enum opt_kind { O_BOOL, O_STR, O_LIST };
struct opt {
	const char *name;
	enum opt_kind kind;
	void *ptr; /* int *, const char **, or struct list * */
};
struct list {
	const char **v;
	size_t n;
};

static void list_add(struct list *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = s;
}

static void usage(FILE *f);

static const struct opt global_opts[] = {
	{ "dir", O_STR, &store_dir },
	{ "trust-dir", O_STR, &trust_dir },
	{ "debug", O_BOOL, &debug },
	{ "insecure-options", O_STR, &insecure },
	{ NULL, 0, NULL },
};

/* Parses options (the command's, then the global ones) until the first
 * positional argument or "--"; returns the index of the first positional,
 * or -1 after printing a usage error. */
static int parse_opts(const struct opt *opts, int argc, char **argv, int i)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0 || a[0] != '-' || !a[1])
			return i;
		a += a[1] == '-' ? 2 : 1;
		size_t nl = strcspn(a, "=");
		const char *val = a[nl] == '=' ? a + nl + 1 : NULL;
		const struct opt *o = NULL;
		for (const struct opt *set[] = { opts, global_opts }, **s = set; s < set + 2 && !o; s++)
			for (const struct opt *p = *s; p && p->name; p++)
				if (strlen(p->name) == nl && strncmp(p->name, a, nl) == 0)
					o = p;
		if (!o && ((nl == 4 && !strncmp(a, "help", 4)) || (nl == 1 && a[0] == 'h'))) {
			usage(stdout);
			exit(ac_cli_finish(0, prog));
		}
		if (!o) {
			errmsg("unknown option: %s", argv[i]);
			return -1;
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

/* IMAGE: a file path (fetched into the store), or an image ID (prefix). */
static int get_image(struct acr_store *s, const char *ref, char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	struct stat st;
	if (ac_str_has_prefix(ref, "sha512-") && stat(ref, &st) < 0)
		return acr_store_resolve(s, ref, id, err);
	if (ac_str_has_prefix(ref, "https://") || ac_str_has_prefix(ref, "http://") ||
	    ac_str_has_prefix(ref, "docker://"))
		return ac_error_set(err, ENOTSUP, "%s: only local ACI files and image IDs are supported yet", ref);
	if (stat(ref, &st) < 0 && !strchr(ref, '/') && !ac_str_has_suffix(ref, ".aci"))
		return ac_error_set(err, ENOTSUP, "%s: image names (discovery) are not supported yet", ref);
	return acr_store_import(s, ref, verify_signature, NULL, id, err);
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

static int cmd_run(int argc, char **argv)
{
	struct list vols = { 0 }, envs = { 0 }, envfiles = { 0 };
	const char *exec = NULL, *user = NULL, *group = NULL, *wd = NULL, *hostname = NULL, *net = "host";
	int no_overlay = 0;
	const struct opt opts[] = {
		{ "volume", O_LIST, &vols },	     { "set-env", O_LIST, &envs },
		{ "set-env-file", O_LIST, &envfiles }, { "exec", O_STR, &exec },
		{ "user", O_STR, &user },	     { "group", O_STR, &group },
		{ "working-dir", O_STR, &wd },	     { "hostname", O_STR, &hostname },
		{ "net", O_STR, &net },		     { "no-overlay", O_BOOL, &no_overlay },
		{ NULL, 0, NULL },
	};
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

	int i = parse_opts(opts, argc, argv, 1);
	if (i < 0 || check_insecure_value() < 0)
		goto out;
	if (i >= argc || strcmp(argv[i], "--") == 0) {
		errmsg("usage: acrun run [options] IMAGE [-- ARGS...]");
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
	if (strcmp(net, "host") == 0)
		netmode = ACR_NET_HOST;
	else if (strcmp(net, "none") == 0)
		netmode = ACR_NET_NONE;
	else {
		errmsg("--net: want host or none, not %s", net);
		goto out;
	}
	vv = xcalloc(vols.n + 1, sizeof(*vv));
	for (; nv < vols.n; nv++)
		if (acr_volume_parse(vols.v[nv], &vv[nv], &err) < 0) {
			status = fail(&err, 125);
			goto out;
		}
	for (size_t k = 0; k < envfiles.n; k++) {
		char **fv;
		if (acr_env_file_read(envfiles.v[k], &fv, &err) < 0) {
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
	for (size_t k = 0; k < envs.n; k++) {
		if (acr_env_check(envs.v[k], &err) < 0) {
			status = fail(&err, 125);
			goto out;
		}
		env = xrealloc(env, (nenv + 2) * sizeof(char *));
		env[nenv++] = xstrdup(envs.v[k]);
		env[nenv] = NULL;
	}
	if (exec) {
		exec_v = xcalloc(2, sizeof(char *));
		exec_v[0] = xstrdup(exec);
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
		.user = user,
		.group = group,
		.working_dir = wd,
		.hostname = hostname,
		.volumes = vv,
		.n_volumes = nv,
		.net = netmode,
		.no_overlay = no_overlay,
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
	free(vols.v);
	free(envs.v);
	free(envfiles.v);
	return status;
}

static int cmd_fetch(int argc, char **argv)
{
	const struct opt opts[] = { { NULL, 0, NULL } };
	int i = parse_opts(opts, argc, argv, 1);
	if (i < 0 || check_insecure_value() < 0)
		return 2;
	if (argc - i != 1) {
		errmsg("usage: acrun fetch IMAGE");
		return 2;
	}
	struct acr_store s;
	if (open_store(&s) < 0)
		return 1;
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	int rc = 0;
	if (get_image(&s, argv[i], id, &err) < 0)
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

static int image_list(struct acr_store *s, const char *format)
{
	ac_error *err = NULL;
	_cleanup_strv_ char **ids = acr_store_images(s, &err);
	if (!ids)
		return fail(&err, 1);
	int json = format && strcmp(format, "json") == 0;
	if (format && !json && strcmp(format, "text")) {
		errmsg("--format: want text or json");
		return 2;
	}
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		printf("ID\tNAME\tVERSION\tSIZE\n");
	for (char **p = ids; *p; p++) {
		json_t *m = acr_store_manifest(s, *p, NULL);
		const char *name = m ? json_string_value(json_object_get(m, "name")) : "?";
		long long size = acr_store_image_size(s, *p);
		if (json)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I}", "id", *p, "name", name, "version",
							     label_of(m, "version"), "size", (json_int_t)size));
		else
			printf("%s\t%s\t%s\t%lld\n", *p, name, label_of(m, "version"), size);
		json_decref(m);
	}
	if (json) {
		char *t = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", t);
		free(t);
		json_decref(arr);
	}
	return 0;
}

static int cmd_image(int argc, char **argv)
{
	const char *format = NULL;
	const struct opt opts[] = { { "format", O_STR, &format }, { NULL, 0, NULL } };
	if (argc < 2) {
		errmsg("usage: acrun image list|rm|gc|render|cat-manifest|export ...");
		return 2;
	}
	const char *sub = argv[1];
	int i = parse_opts(opts, argc - 1, argv + 1, 1);
	if (i < 0)
		return 2;
	char **args = argv + 1 + i;
	int n = argc - 1 - i;
	struct acr_store s;
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	int rc = 0;
	if (open_store(&s) < 0)
		return 1;
	if (strcmp(sub, "list") == 0) {
		rc = n ? (errmsg("usage: acrun image list [--format json]"), 2) : image_list(&s, format);
	} else if (strcmp(sub, "rm") == 0) {
		if (!n)
			rc = (errmsg("usage: acrun image rm ID..."), 2);
		for (int k = 0; k < n; k++) {
			if (acr_store_resolve(&s, args[k], id, &err) < 0 || acr_store_remove(&s, id, &err) < 0)
				rc = fail(&err, 1);
			else
				printf("%s\n", id);
		}
	} else if (strcmp(sub, "gc") == 0) {
		size_t removed;
		if (acr_image_gc(&s, &removed, &err) < 0)
			rc = fail(&err, 1);
		else
			fprintf(stderr, "removed %zu rendered image(s)\n", removed);
	} else if (strcmp(sub, "render") == 0) {
		_cleanup_free_ char *root = NULL;
		if (n != 2)
			rc = (errmsg("usage: acrun image render ID DIR"), 2);
		else if (acr_store_resolve(&s, args[0], id, &err) < 0 || render(&s, id, &root, &err) < 0)
			rc = fail(&err, 1);
		else if (mkdir(args[1], 0755) < 0)
			rc = (errmsg("%s: %s", args[1], strerror(errno)), 1);
		else {
			_cleanup_free_ char *dst = xasprintf("%s/rootfs", args[1]);
			if (mkdir(dst, 0755) < 0 || acr_copy_tree(root, dst, &err) < 0)
				rc = err ? fail(&err, 1) : (errmsg("%s: %s", dst, strerror(errno)), 1);
		}
	} else if (strcmp(sub, "cat-manifest") == 0) {
		json_t *m = NULL;
		_cleanup_free_ char *t = NULL;
		if (n != 1)
			rc = (errmsg("usage: acrun image cat-manifest ID"), 2);
		else if (acr_store_resolve(&s, args[0], id, &err) < 0 || !(m = acr_store_manifest(&s, id, &err)) ||
			 !(t = ac_manifest_serialize(m, 4, &err)))
			rc = fail(&err, 1);
		else
			printf("%s\n", t);
		json_decref(m);
	} else if (strcmp(sub, "export") == 0) {
		if (n != 2)
			rc = (errmsg("usage: acrun image export ID FILE"), 2);
		else if (acr_store_resolve(&s, args[0], id, &err) < 0 || acr_store_export(&s, id, args[1], &err) < 0)
			rc = fail(&err, 1);
	} else {
		errmsg("image: unknown subcommand %s", sub);
		rc = 2;
	}
	acr_store_close(&s);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	const char *format = NULL;
	const struct opt opts[] = { { "format", O_STR, &format }, { NULL, 0, NULL } };
	int i = parse_opts(opts, argc, argv, 1);
	if (i < 0 || i != argc)
		return 2;
	struct acr_store s;
	if (open_store(&s) < 0)
		return 1;
	ac_error *err = NULL;
	struct acr_pod_info *p;
	size_t n;
	int rc = 0;
	if (acr_pods_list(&s, &p, &n, &err) < 0) {
		acr_store_close(&s);
		return fail(&err, 1);
	}
	int json = format && strcmp(format, "json") == 0;
	json_t *arr = json_array();
	if (!json)
		printf("UUID\tAPP\tIMAGE\tSTATE\n");
	for (size_t k = 0; k < n; k++) {
		_cleanup_free_ char *state = p[k].running ? xstrdup("running")
					    : p[k].exited ? xasprintf("exited(%d)", p[k].status)
							  : xstrdup("aborted");
		if (json)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:I}", "uuid", p[k].uuid, "app",
							     p[k].app_name ? p[k].app_name : "", "image",
							     p[k].image_id, "state", state, "created",
							     (json_int_t)p[k].created));
		else
			printf("%s\t%s\t%.19s\t%s\n", p[k].uuid, p[k].app_name ? p[k].app_name : "", p[k].image_id,
			       state);
	}
	if (json) {
		char *t = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", t);
		free(t);
	}
	json_decref(arr);
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

static int cmd_gc(int argc, char **argv)
{
	const char *grace = "0s";
	const struct opt opts[] = { { "grace-period", O_STR, &grace }, { NULL, 0, NULL } };
	int i = parse_opts(opts, argc, argv, 1);
	long long g;
	if (i < 0 || i != argc)
		return 2;
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

static int cmd_trust(int argc, char **argv)
{
	const char *prefix = NULL;
	int root = 0, skip_review = 0;
	const struct opt opts[] = { { "prefix", O_STR, &prefix },
				    { "root", O_BOOL, &root },
				    { "skip-fingerprint-review", O_BOOL, &skip_review },
				    { NULL, 0, NULL } };
	int i = parse_opts(opts, argc, argv, 1);
	if (i < 0)
		return 2;
	ac_error *err = NULL;
	int n = argc - i;
	if (!prefix && !root && n >= 1 && strcmp(argv[i], "list") == 0) {
		struct ac_trusted_key *k;
		size_t nk;
		if (ac_trust_list(trust_dir, &k, &nk, &err) < 0)
			return fail(&err, 1);
		printf("PREFIX\tFINGERPRINT\tUSER ID\n");
		for (size_t j = 0; j < nk; j++)
			printf("%s\t%s\t%s\n", k[j].prefix ? k[j].prefix : "(root)", k[j].fingerprint,
			       k[j].uid ? k[j].uid : "");
		ac_trust_list_free(k, nk);
		return 0;
	}
	if (!prefix && !root && n == 2 && strcmp(argv[i], "rm") == 0) {
		if (ac_trust_remove(trust_dir, argv[i + 1], &err) < 0)
			return fail(&err, 1);
		return 0;
	}
	if ((!prefix) == (!root) || n != 1) {
		errmsg("usage: acrun trust --prefix PREFIX KEYFILE | --root KEYFILE | list | rm FINGERPRINT");
		return 2;
	}
	if (prefix) {
		const char *msg;
		if (ac_check_acidentifier(prefix, &msg) < 0) {
			errmsg("--prefix %s: %s", prefix, msg);
			return 2;
		}
	}
	_cleanup_free_ char *fp = ac_trust_fingerprint(argv[i], &err);
	if (!fp)
		return fail(&err, 1);
	fprintf(stderr, "Prefix: \"%s\"\nKey fingerprint: ", prefix ? prefix : "(root)");
	for (int k = 0; k < 40; k += 4)
		fprintf(stderr, "%.4s%s", fp + k, k < 36 ? " " : "\n");
	if (!skip_review) {
		fprintf(stderr, "Are you sure you want to trust this key (yes/no)? ");
		char line[64];
		if (!fgets(line, sizeof(line), stdin) || strcmp(line, "yes\n") != 0) {
			errmsg("not trusted");
			return 1;
		}
	}
	_cleanup_free_ char *stored = NULL;
	if (ac_trust_add(trust_dir, prefix, argv[i], &stored, &err) < 0)
		return fail(&err, 1);
	fprintf(stderr, "Trusting key %s for %s\n", stored, prefix ? prefix : "every image (root key)");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: acrun [--dir DIR] [--trust-dir DIR] [--debug] COMMAND ...\n\n"
		   "  run [options] IMAGE [-- ARGS...]   run an image (ACI file or image ID)\n"
		   "      --volume NAME,kind=host,source=PATH[,readOnly=true]  --volume NAME,kind=empty\n"
		   "      --set-env K=V  --set-env-file F  --exec CMD  --user U  --group G\n"
		   "      --working-dir D  --hostname H  --net=host|none  --insecure-options=none|image|all\n"
		   "  fetch IMAGE                       store an image and print its ID\n"
		   "  image list [--format json] | rm ID... | gc | render ID DIR | cat-manifest ID | export ID FILE\n"
		   "  list [--format json]              list pods (runs)\n"
		   "  gc [--grace-period=DURATION]      remove finished pods\n"
		   "  trust --prefix PREFIX KEYFILE | --root KEYFILE | list | rm FINGERPRINT\n");
}

int main(int argc, char **argv)
{
	int i = parse_opts(NULL, argc, argv, 1);
	if (i < 0)
		return 2;
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[i];
	int n = argc - i;
	char **a = argv + i;
	int rc;
	if (strcmp(cmd, "run") == 0)
		rc = cmd_run(n, a);
	else if (strcmp(cmd, "fetch") == 0)
		rc = cmd_fetch(n, a);
	else if (strcmp(cmd, "image") == 0)
		rc = cmd_image(n, a);
	else if (strcmp(cmd, "list") == 0)
		rc = cmd_list(n, a);
	else if (strcmp(cmd, "gc") == 0)
		rc = cmd_gc(n, a);
	else if (strcmp(cmd, "trust") == 0)
		rc = cmd_trust(n, a);
	else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		rc = 0;
	} else {
		errmsg("unknown command %s", cmd);
		usage(stderr);
		rc = 2;
	}
	return ac_cli_finish(rc, prog);
}
