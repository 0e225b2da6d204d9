/* actool cat-manifest and patch-manifest. */
#include "actool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/buf.h"
#include "ac/fs.h"
#include "ac/kvlist.h"
#include "ac/manifest.h"

/* ---- cat-manifest ---- */

static int pretty_print;

static const struct ac_opt cat_opts[] = {
	{ "pretty-print", AC_OPT_BOOL, &pretty_print, "Print with better style", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static int run_cat_manifest(int argc, char **argv)
{
	ac_error *err = NULL;
	_cleanup_free_ char *json = NULL;
	size_t len;

	if (argc != 1) {
		actool_err("cat-manifest: Must provide one file");
		return 1;
	}
	const char *in = argv[0];
	_cleanup_close_ int fd = open(in, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		actool_err("cat-manifest: Cannot open %s: open %s: %s", in, in, strerror(errno));
		return 1;
	}
	int r = ac_aci_read_manifest(fd, in, &json, &len, &err);
	if (r < 0) {
		actool_err("cat-manifest: Unable to read %s: %s", in, err->msg);
		ac_error_free(&err);
		return 1;
	}
	if (r == 0) {
		actool_err("cat-manifest: Unable to read %s: no manifest in the image", in);
		return 1;
	}
	/* as the original: the stored text as it is, then validation */
	if (!pretty_print)
		printf("%.*s\n", (int)len, json);
	json_t *m = ac_manifest_parse(json, len, &err);
	if (!m) {
		actool_err("cat-manifest: Unable to read %s: %s", in, err->msg);
		ac_error_free(&err);
		return 1;
	}
	if (pretty_print) {
		_cleanup_free_ char *out = ac_manifest_serialize(m, 4, &err);
		if (!out) {
			actool_err("cat-manifest: Unable to read %s: %s", in, err->msg);
			ac_error_free(&err);
			json_decref(m);
			return 1;
		}
		printf("%s\n", out);
	}
	json_decref(m);
	return 0;
}

const struct actool_cmd cmd_cat_manifest = {
	.name = "cat-manifest",
	.summary = "Print the manifest from an ACI",
	.usage = " [--pretty-print] ACI_FILE",
	.description = "Print the manifest from an ACI.",
	.opts = cat_opts,
	.run = run_cat_manifest,
};

/* ---- patch-manifest ---- */

static int p_no_compression, p_overwrite, p_replace;
static const char *p_compression, *p_manifest, *p_name, *p_exec, *p_user, *p_group, *p_gids, *p_caps,
	*p_revoke_caps, *p_mounts, *p_ports, *p_isolators, *p_seccomp_mode, *p_seccomp_set;

static const struct ac_opt patch_opts[] = {
	{ "capability", AC_OPT_STRING, &p_caps, "Set the capability remain set", NULL },
	{ "compression", AC_OPT_STRING, &p_compression, "Compression of the produced ACI: gzip, xz, bzip2 or none", "gzip" },
	{ "exec", AC_OPT_STRING, &p_exec, "Replace the command line to launch the executable", NULL },
	{ "group", AC_OPT_STRING, &p_group, "Replace group", NULL },
	{ "isolators", AC_OPT_STRING, &p_isolators, "Replace isolators", NULL },
	{ "manifest", AC_OPT_STRING, &p_manifest, "Replace image manifest with this file. Incompatible with other replace options.", NULL },
	{ "mounts", AC_OPT_STRING, &p_mounts, "Replace mount points", NULL },
	{ "name", AC_OPT_STRING, &p_name, "Replace name", NULL },
	{ "no-compression", AC_OPT_BOOL, &p_no_compression, "Do not gzip-compress the produced ACI", NULL },
	{ "overwrite", AC_OPT_BOOL, &p_overwrite, "Overwrite target file if it already exists", NULL },
	{ "ports", AC_OPT_STRING, &p_ports, "Replace ports", NULL },
	{ "replace", AC_OPT_BOOL, &p_replace, "Replace the input file", NULL },
	{ "revoke-capability", AC_OPT_STRING, &p_revoke_caps, "Set the capability remove set", NULL },
	{ "seccomp-mode", AC_OPT_STRING, &p_seccomp_mode, "Enable and configure seccomp isolator", NULL },
	{ "seccomp-set", AC_OPT_STRING, &p_seccomp_set, "Set of syscalls for seccomp isolator enforcing", NULL },
	{ "supplementary-groups", AC_OPT_STRING, &p_gids, "Replace supplementary groups, expects a comma-separated list.", NULL },
	{ "user", AC_OPT_STRING, &p_user, "Replace user", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static int set(const char *s)
{
	return s && *s;
}

/* strings.Split(s, sep) as a JSON array of strings. */
static json_t *split_strings(const char *s, char sep)
{
	json_t *a = json_array();
	for (;;) {
		const char *e = strchr(s, sep);
		size_t n = e ? (size_t)(e - s) : strlen(s);
		json_array_append_new(a, json_stringn(s, n));
		if (!e)
			return a;
		s = e + 1;
	}
}

/* The app's isolator list, created when missing. */
static json_t *app_isolators(json_t *app)
{
	json_t *l = json_object_get(app, "isolators");
	if (!json_is_array(l)) {
		l = json_array();
		json_object_set_new(app, "isolators", l);
	}
	return l;
}

/* Isolators.ReplaceIsolatorsByName: drops every isolator named a or b,
 * appends iso. */
static void replace_isolators(json_t *app, json_t *iso, const char *a, const char *b)
{
	json_t *l = app_isolators(app);
	for (size_t i = json_array_size(l); i-- > 0;) {
		const char *n = json_string_value(json_object_get(json_array_get(l, i), "name"));
		if (n && (!strcmp(n, a) || !strcmp(n, b)))
			json_array_remove(l, i);
	}
	json_array_append_new(l, iso);
}

static json_t *isolator(const char *name, json_t *value)
{
	return json_pack("{s:s, s:o}", "name", name, "value", value);
}

/* "name,k=v,..." lists separated by ':' (mounts, ports). fn handles one. */
static int each_item(const char *list, const char *what, json_t *app, const char *key,
		     json_t *(*fn)(struct ac_kv *kv, size_t n, ac_error **err), ac_error **err)
{
	_cleanup_free_ char *copy = xstrdup(list);
	char *save = NULL;
	json_t *l = json_object_get(app, key);
	if (!json_is_array(l)) {
		l = json_array();
		json_object_set_new(app, key, l);
	}
	for (char *s = copy, *item; (item = strsep(&s, ":"));) {
		(void)save;
		struct ac_kv *kv;
		size_t n;
		json_t *o = NULL;
		if (ac_kv_parse(item, "name", &kv, &n, err) == 0) {
			o = fn(kv, n, err);
			ac_kv_free(kv, n);
		}
		if (!o)
			return ac_error_wrap(err, "cannot parse %s \"%s\"", what, item);
		json_array_append_new(l, o);
	}
	return 0;
}

static int parse_bool_value(const char *v, ac_error **err)
{
	int b;
	if (ac_parse_bool(v, &b) < 0)
		return ac_error_set(err, EINVAL, "strconv.ParseBool: parsing \"%s\": invalid syntax", v);
	return b;
}

static int parse_u16(const char *v, uint64_t *out, ac_error **err)
{
	if (ac_parse_u64(v, out) < 0) {
		if (errno == ERANGE)
			return ac_error_set(err, ERANGE, "strconv.ParseUint: parsing \"%s\": value out of range", v);
		return ac_error_set(err, EINVAL, "strconv.ParseUint: parsing \"%s\": invalid syntax", v);
	}
	if (*out > 65535)
		return ac_error_set(err, ERANGE, "strconv.ParseUint: parsing \"%s\": value out of range", v);
	return 0;
}

static json_t *mount_from_kv(struct ac_kv *kv, size_t n, ac_error **err)
{
	const char *name = "", *path = "", *msg;
	int ro = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(kv[i].key, "name")) {
			if (ac_check_acname(kv[i].value, &msg) < 0) {
				ac_error_set(err, EINVAL, "%s", msg);
				return NULL;
			}
			name = kv[i].value;
		} else if (!strcmp(kv[i].key, "path")) {
			path = kv[i].value;
		} else if (!strcmp(kv[i].key, "readOnly")) {
			if ((ro = parse_bool_value(kv[i].value, err)) < 0)
				return NULL;
		} else {
			ac_error_set(err, EINVAL, "unknown mountpoint parameter \"%s\"", kv[i].key);
			return NULL;
		}
	}
	if (!*name) {
		ac_error_set(err, EINVAL, "name must be set");
		return NULL;
	}
	if (!*path) {
		ac_error_set(err, EINVAL, "path must be set");
		return NULL;
	}
	json_t *m = json_pack("{s:s, s:s}", "name", name, "path", path);
	if (ro)
		json_object_set_new(m, "readOnly", json_true());
	return m;
}

static json_t *port_from_kv(struct ac_kv *kv, size_t n, ac_error **err)
{
	const char *name = "", *proto = "", *msg;
	uint64_t port = 0, count = 0;
	int sa = 0;
	for (size_t i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value;
		if (!strcmp(k, "name")) {
			if (ac_check_acname(v, &msg) < 0) {
				ac_error_set(err, EINVAL, "%s", msg);
				return NULL;
			}
			name = v;
		} else if (!strcmp(k, "protocol")) {
			proto = v;
		} else if (!strcmp(k, "port")) {
			if (parse_u16(v, &port, err) < 0)
				return NULL;
		} else if (!strcmp(k, "count")) {
			if (parse_u16(v, &count, err) < 0)
				return NULL;
		} else if (!strcmp(k, "socketActivated")) {
			if ((sa = parse_bool_value(v, err)) < 0)
				return NULL;
		} else {
			ac_error_set(err, EINVAL, "unknown port parameter \"%s\"", k);
			return NULL;
		}
	}
	if (port < 1 || port > 65535) {
		ac_error_set(err, EINVAL, "port must be in 1-65535 range");
		return NULL;
	}
	if (port + count > 65536) {
		ac_error_set(err, EINVAL, "end of port range must be in 1-65535 range");
		return NULL;
	}
	/* a count of 0 reads back as 1 (types.Port.UnmarshalJSON) */
	return json_pack("{s:s, s:s, s:I, s:I, s:b}", "name", name, "protocol", proto, "port", (json_int_t)port,
			 "count", (json_int_t)(count ? count : 1), "socketActivated", sa);
}

/* --seccomp-mode=remove|retain[,errno=E...] with --seccomp-set. */
static json_t *seccomp_isolator(ac_error **err)
{
	const char *mode = "", *errno_name = "";
	_cleanup_free_ char *copy = xstrdup(p_seccomp_mode);
	for (char *s = copy, *a; (a = strsep(&s, ","));) {
		char *eq = strchr(a, '=');
		if (!eq) {
			mode = a;
		} else if (strchr(eq + 1, '=')) {
			ac_error_set(err, EINVAL, "cannot parse seccomp-mode argument: %s", a);
			return NULL;
		} else if (eq - a == 5 && !strncmp(a, "errno", 5)) {
			errno_name = eq + 1;
		} else {
			*eq = '=';
			ac_error_set(err, EINVAL, "invalid seccomp-mode optional argument: %s", a);
			return NULL;
		}
	}
	const char *name;
	if (!strcmp(mode, "remove"))
		name = "os/linux/seccomp-remove-set";
	else if (!strcmp(mode, "retain"))
		name = "os/linux/seccomp-retain-set";
	else {
		ac_error_set(err, EINVAL, "cannot parse seccomp isolator: unknown seccomp mode %s", mode);
		return NULL;
	}
	json_t *v = json_pack("{s:o, s:s}", "set", split_strings(p_seccomp_set ? p_seccomp_set : "", ','),
			      "errno", errno_name);
	return isolator(name, v);
}

/* --isolators=NAME,k=v,...[:NAME2,...] (resources), or NAME,VALUE for the
 * two isolators whose value is a bare JSON value. */
static int add_isolators(json_t *app, ac_error **err)
{
	_cleanup_free_ char *copy = xstrdup(p_isolators);
	for (char *s = copy, *item; (item = strsep(&s, ":"));) {
		_cleanup_free_ char *name = NULL;
		const char *comma = strchr(item, ',');
		name = comma ? xstrndup(item, (size_t)(comma - item)) : xstrdup(item);
		const char *msg;
		if (ac_check_acidentifier(name, &msg) < 0)
			return ac_error_set(err, EINVAL, "cannot parse isolator \"%s\": %s", item, msg);
		json_t *value;
		if (!strcmp(name, "os/linux/no-new-privileges") || !strcmp(name, "os/linux/oom-score-adj")) {
			if (!comma || strchr(comma + 1, ','))
				return ac_error_set(err, EINVAL, "isolator %s: invalid format", name);
			json_error_t je;
			value = json_loads(comma + 1, JSON_DECODE_ANY, &je);
			if (!value)
				return ac_error_set(err, EINVAL, "cannot unmarshal isolator %s: %s", item, je.text);
		} else if (!strcmp(name, "resource/cpu") || !strcmp(name, "resource/memory")) {
			struct ac_kv *kv;
			size_t n;
			_cleanup_free_ char *q = xasprintf("x%s", comma ? comma : "");
			if (ac_kv_parse(q, "name", &kv, &n, err) < 0)
				return ac_error_wrap(err, "cannot parse isolator \"%s\"", item);
			value = json_object();
			for (size_t i = 1; i < n; i++)
				json_object_set_new(value, kv[i].key, json_string(kv[i].value));
			ac_kv_free(kv, n);
		} else {
			return ac_error_set(err, EINVAL, "isolator %s is not supported for patching", name);
		}
		json_array_append_new(app_isolators(app), isolator(name, value));
	}
	return 0;
}

/* The original's patchManifest(), on the canonical tree. */
static int patch(json_t *m, ac_error **err)
{
	const char *msg;
	if (set(p_name)) {
		if (ac_check_acidentifier(p_name, &msg) < 0)
			return ac_error_set(err, EINVAL, "%s", msg);
		json_object_set_new(m, "name", json_string(p_name));
	}
	json_t *app = json_object_get(m, "app");
	if (json_is_null(app))
		app = NULL;
	if (set(p_exec)) {
		if (!app) {
			/* an image without an app gets one: the user asked for it */
			app = json_pack("{s:n, s:s, s:s}", "exec", "user", "", "group", "");
			json_object_set_new(m, "app", app);
		}
		json_object_set_new(app, "exec", split_strings(p_exec, ' '));
	}
	if ((set(p_user) || set(p_group) || set(p_gids) || set(p_caps) || set(p_revoke_caps) || set(p_mounts) ||
	     set(p_ports) || set(p_isolators) || set(p_seccomp_mode)) && !app)
		return ac_error_set(err, EINVAL, "no app in the supplied manifest and no exec command provided");
	if (set(p_user))
		json_object_set_new(app, "user", json_string(p_user));
	if (set(p_group))
		json_object_set_new(app, "group", json_string(p_group));
	if (set(p_gids)) {
		json_t *gids = json_array();
		json_object_set_new(app, "supplementaryGIDs", gids);
		_cleanup_free_ char *copy = xstrdup(p_gids);
		for (char *s = copy, *g; (g = strsep(&s, ","));) {
			int64_t v;
			if (ac_parse_i64(g, &v) < 0 || v < INT32_MIN || v > INT32_MAX)
				return ac_error_set(err, EINVAL,
						    "invalid supplementary group \"%s\": strconv.Atoi: parsing \"%s\": %s", g,
						    g, errno == ERANGE ? "value out of range" : "invalid syntax");
			json_array_append_new(gids, json_integer(v));
		}
	}
	if (set(p_caps) && set(p_revoke_caps))
		return ac_error_set(err, EINVAL, "conflicting capabilities isolators provided");
	if (set(p_caps) || set(p_revoke_caps)) {
		const char *name = set(p_caps) ? "os/linux/capabilities-retain-set" : "os/linux/capabilities-remove-set";
		json_t *v = json_pack("{s:o}", "set", split_strings(set(p_caps) ? p_caps : p_revoke_caps, ','));
		replace_isolators(app, isolator(name, v), "os/linux/capabilities-remove-set",
				  "os/linux/capabilities-retain-set");
	}
	if (set(p_mounts) && each_item(p_mounts, "mount point", app, "mountPoints", mount_from_kv, err) < 0)
		return -1;
	if (set(p_ports) && each_item(p_ports, "port", app, "ports", port_from_kv, err) < 0)
		return -1;
	if (set(p_seccomp_mode)) {
		json_t *iso = seccomp_isolator(err);
		if (!iso)
			return -1;
		replace_isolators(app, iso, "os/linux/seccomp-remove-set", "os/linux/seccomp-retain-set");
	} else if (set(p_seccomp_set)) {
		return ac_error_set(err, EINVAL, "--seccomp-set specified without --seccomp-mode");
	}
	if (set(p_isolators) && add_isolators(app, err) < 0)
		return -1;
	return 0;
}

/* Copies the image from r to w, replacing the manifest entry's content. */
static int copy_patched(ac_aci_reader *r, ac_aci_writer *w, const char *new_manifest, ac_error **err)
{
	struct archive_entry *e;
	int found = 0, rc;
	while ((rc = ac_aci_reader_next(r, &e, err)) > 0) {
		_cleanup_free_ char *clean = ac_path_clean(archive_entry_pathname(e));
		if (strcmp(clean, "manifest")) {
			if (ac_aci_writer_copy_entry(w, e, r, err) < 0)
				return -1;
			continue;
		}
		if (found++)
			return ac_error_set(err, EBADMSG, "duplicate file entry in archive: manifest");
		if (archive_entry_filetype(e) != AE_IFREG)
			return ac_error_set(err, EBADMSG, "manifest is not a regular file");
		_cleanup_free_ char *out = NULL;
		if (!new_manifest) {
			ac_buf b;
			const void *p;
			size_t len;
			ac_buf_init(&b, AC_MANIFEST_MAX_SIZE);
			do {
				if (ac_aci_reader_data(r, &p, &len, err) < 0) {
					ac_buf_release(&b);
					return -1;
				}
				if (ac_buf_add(&b, p, len) < 0) {
					ac_buf_release(&b);
					return ac_error_set(err, EFBIG, "image manifest is larger than %u bytes",
							    AC_MANIFEST_MAX_SIZE);
				}
			} while (len);
			json_t *m = ac_manifest_parse(b.buf, b.len, err);
			ac_buf_release(&b);
			if (!m)
				return -1;
			if (patch(m, err) == 0)
				out = ac_manifest_serialize(m, 0, err);
			json_decref(m);
			if (!out)
				return -1;
			new_manifest = out;
		}
		struct archive_entry *ne = archive_entry_clone(e);
		archive_entry_set_size(ne, (la_int64_t)strlen(new_manifest));
		int r2 = ac_aci_writer_add_entry(w, ne, new_manifest, strlen(new_manifest), err);
		archive_entry_free(ne);
		if (r2 < 0)
			return -1;
		new_manifest = NULL;
	}
	if (rc < 0)
		return -1;
	if (!found)
		return ac_error_set(err, EBADMSG, "no manifest found in the image");
	return 0;
}

static int run_patch_manifest(int argc, char **argv)
{
	ac_error *err = NULL;
	struct ac_aci_write_opts wo;
	_cleanup_free_ char *new_manifest = NULL;

	if (p_replace && p_overwrite) {
		actool_err("patch-manifest: Cannot use both --replace and --overwrite");
		return 1;
	}
	if (!p_replace && argc != 2) {
		actool_err("patch-manifest: Must provide input and output files (or use --replace)");
		return 1;
	}
	if (p_replace && argc != 1) {
		actool_err("patch-manifest: Must provide one file");
		return 1;
	}
	if (set(p_manifest) && (set(p_name) || set(p_exec) || set(p_user) || set(p_group) || set(p_gids) ||
				set(p_caps) || set(p_revoke_caps) || set(p_mounts) || set(p_ports) ||
				set(p_isolators) || set(p_seccomp_mode) || set(p_seccomp_set))) {
		actool_err("patch-manifest: --manifest is incompatible with other manifest editing options");
		return 1;
	}
	const char *in = argv[0], *outpath = p_replace ? argv[0] : argv[1];
	if (!p_replace) {
		const char *base = strrchr(outpath, '/') ? strrchr(outpath, '/') + 1 : outpath;
		const char *ext = strrchr(base, '.');
		if (!ext || strcmp(ext, ".aci")) {
			actool_err("patch-manifest: Extension must be .aci (given %s)", ext ? ext : "");
			return 1;
		}
	}
	if (actool_write_opts("patch-manifest", p_no_compression, p_compression, 0, &wo) < 0)
		return 1;

	if (set(p_manifest)) {
		_cleanup_free_ char *buf = NULL;
		size_t len;
		if (ac_read_file_at(AT_FDCWD, p_manifest, AC_MANIFEST_MAX_SIZE, &buf, &len, &err) < 0) {
			actool_err("patch-manifest: Cannot read %s: %s", p_manifest, err->msg);
			ac_error_free(&err);
			return 1;
		}
		json_t *m = ac_manifest_parse(buf, len, &err);
		if (m) {
			new_manifest = ac_manifest_serialize(m, 0, &err);
			json_decref(m);
		}
		if (!new_manifest) {
			actool_err("patch-manifest: %s: invalid manifest: %s", p_manifest, err->msg);
			ac_error_free(&err);
			return 1;
		}
	}

	_cleanup_close_ int fd = open(in, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		actool_err("patch-manifest: Cannot open %s: open %s: %s", in, in, strerror(errno));
		return 1;
	}
	ac_aci_reader *r = ac_aci_reader_open(fd, in, &err);
	if (!r) {
		actool_err("patch-manifest: Cannot extract %s: %s", in, err->msg);
		ac_error_free(&err);
		return 1;
	}
	ac_outfile out;
	if (ac_outfile_open(&out, outpath, 0644, p_replace || p_overwrite ? AC_OUT_OVERWRITE : 0, &err) < 0) {
		if (err->code == EEXIST)
			actool_err("patch-manifest: Output file exists (try --overwrite)");
		else
			actool_err("patch-manifest: Unable to open output %s: %s", outpath, err->msg);
		ac_error_free(&err);
		ac_aci_reader_free(r);
		return 1;
	}
	char id[AC_IMAGE_ID_LEN + 1];
	int rc = -1;
	ac_aci_writer *w = ac_aci_writer_new(out.fd, &wo, &err);
	if (w && copy_patched(r, w, new_manifest, &err) == 0 && ac_aci_reader_finish(r, id, &err) == 0 &&
	    ac_aci_writer_finish(w, id, &err) == 0)
		rc = ac_outfile_commit(&out, &err);
	ac_aci_writer_free(w);
	ac_aci_reader_free(r);
	if (rc < 0) {
		ac_outfile_abort(&out);
		actool_err("patch-manifest: Unable to read %s: %s", in, err->msg);
		ac_error_free(&err);
		return 1;
	}
	return 0;
}

const struct actool_cmd cmd_patch_manifest = {
	.name = "patch-manifest",
	.summary = "Copy an ACI and patch its manifest (experimental)",
	.usage = "\n"
		 "\t\t  [--manifest=MANIFEST_FILE]\n"
		 "\t\t  [--name=example.com/app]\n"
		 "\t\t  [--exec=\"/app --debug\"]\n"
		 "\t\t  [--user=uid] [--group=gid]\n"
		 "\t\t  [--capability=CAP_SYS_ADMIN,CAP_NET_ADMIN]\n"
		 "\t\t  [--revoke-capability=CAP_SYS_CHROOT,CAP_MKNOD]\n"
		 "\t\t  [--mounts=work,path=/opt,readOnly=true[:work2,...]]\n"
		 "\t\t  [--ports=query,protocol=tcp,port=8080[:query2,...]]\n"
		 "\t\t  [--supplementary-groups=gid1,gid2,...]\n"
		 "\t\t  [--isolators=resource/cpu,request=50m,limit=100m[:resource/memory,...]]\n"
		 "\t\t  [--seccomp-mode=remove|retain[,errno=EPERM]]\n"
		 "\t\t  [--seccomp-set=syscall1,syscall2,...]]\n"
		 "\t\t  [--replace]\n"
		 "\t\t  INPUT_ACI_FILE\n"
		 "\t\t  [OUTPUT_ACI_FILE]",
	.description = "Copy an ACI and patch its manifest.",
	.opts = patch_opts,
	.run = run_patch_manifest,
};
