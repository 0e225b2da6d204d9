/* The manifest editing commands, cat-manifest and replace-manifest.  Each
 * edits b->manifest in memory; main.c validates and saves it atomically
 * (with the history annotation) once the command succeeded. */
#include "acbuild.h"

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/fs.h"
#include "ac/kvlist.h"

#define Q(s) qbuf_(s)

/* Go's %q of s in a per-call static ring, for debug messages only. */
static const char *qbuf_(const char *s)
{
	static char *ring[4];
	static int i;
	i = (i + 1) % 4;
	free(ring[i]);
	ring[i] = ac_go_quote(s);
	return ring[i];
}

static int notfound(ac_error **err)
{
	return ac_error_set(err, ACB_ENOTFOUND, ACB_NOTFOUND_MSG);
}

static int check_acid(const char *s, ac_error **err)
{
	const char *msg;
	if (ac_check_acidentifier(s, &msg) < 0)
		return ac_error_set(err, EINVAL, "%s", msg);
	return 0;
}

static int check_acname(const char *s, ac_error **err)
{
	const char *msg;
	if (ac_check_acname(s, &msg) < 0)
		return ac_error_set(err, EINVAL, "%s", msg);
	return 0;
}

/* obj[key] as an array, created when absent. */
static json_t *list_of(json_t *obj, const char *key)
{
	json_t *l = json_object_get(obj, key);
	if (!json_is_array(l)) {
		l = json_array();
		json_object_set_new(obj, key, l);
	}
	return l;
}

/* Removes the elements whose string member key equals value (or, when key2
 * is given, whose key2 member equals value2); returns how many. */
static int remove_where(json_t *list, const char *key, const char *value, const char *key2, const char *value2)
{
	int n = 0;
	for (size_t i = json_array_size(list); i-- > 0;) {
		json_t *e = json_array_get(list, i);
		const char *v = json_string_value(json_object_get(e, key));
		const char *v2 = key2 ? json_string_value(json_object_get(e, key2)) : NULL;
		if ((v && !strcmp(v, value)) || (v2 && !strcmp(v2, value2))) {
			json_array_remove(list, i);
			n++;
		}
	}
	return n;
}

/* Replaces the value of the first element named name, or appends one
 * (types.Annotations.Set, types.Environment.Set). */
static void set_named(json_t *list, const char *name, const char *value)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		if (n && !strcmp(n, name)) {
			json_object_set_new(e, "value", json_string(value));
			return;
		}
	}
	json_array_append_new(list, json_pack("{s:s, s:s}", "name", name, "value", value));
}

static json_t *app_list(struct acb *b, const char *key)
{
	json_t *app = json_object_get(b->manifest, "app");
	return json_is_object(app) ? json_object_get(app, key) : NULL;
}

static json_t *strv_json(int argc, char **argv)
{
	json_t *a = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

/* ---- labels, annotations, environment ---- */

static int label_add(struct acb *b, const char *name, const char *value, ac_error **err)
{
	if (check_acid(name, err) < 0)
		return -1;
	json_t *l = list_of(b->manifest, "labels");
	remove_where(l, "name", name, NULL, NULL);
	json_array_append_new(l, json_pack("{s:s, s:s}", "name", name, "value", value));
	b->changed = 1;
	return 0;
}

int cmd_label_add(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Adding label %s=%s", Q(argv[0]), Q(argv[1]));
	return label_add(b, argv[0], argv[1], err);
}

int cmd_set_tag(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Setting tag to %s", argv[0]);
	return label_add(b, "version", argv[0], err);
}

int cmd_label_remove(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Removing label %s", Q(argv[0]));
	if (check_acid(argv[0], err) < 0)
		return -1;
	if (!remove_where(json_object_get(b->manifest, "labels"), "name", argv[0], NULL, NULL))
		return notfound(err);
	b->changed = 1;
	return 0;
}

int cmd_annotation_add(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Adding annotation %s=%s", Q(argv[0]), Q(argv[1]));
	if (check_acid(argv[0], err) < 0)
		return -1;
	set_named(list_of(b->manifest, "annotations"), argv[0], argv[1]);
	b->changed = 1;
	return 0;
}

int cmd_annotation_remove(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Removing annotation %s", Q(argv[0]));
	if (check_acid(argv[0], err) < 0)
		return -1;
	if (!remove_where(json_object_get(b->manifest, "annotations"), "name", argv[0], NULL, NULL))
		return notfound(err);
	b->changed = 1;
	return 0;
}

int cmd_environment_add(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc, (void)err;
	acb_debug(b, "Adding environment variable %s=%s", Q(argv[0]), Q(argv[1]));
	set_named(list_of(acb_app(b), "environment"), argv[0], argv[1]);
	b->changed = 1;
	return 0;
}

int cmd_environment_remove(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Removing environment variable %s", Q(argv[0]));
	if (!remove_where(app_list(b, "environment"), "name", argv[0], NULL, NULL))
		return notfound(err);
	b->changed = 1;
	return 0;
}

/* ---- mounts, ports ---- */

int cmd_mount_add(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Adding %smount point %s=%s", b->o->read_only ? "read only " : "", Q(argv[0]), Q(argv[1]));
	if (check_acname(argv[0], err) < 0)
		return -1;
	json_t *l = list_of(acb_app(b), "mountPoints");
	/* a mount with the same name or the same path is replaced */
	remove_where(l, "name", argv[0], "path", argv[0]);
	remove_where(l, "name", argv[1], "path", argv[1]);
	json_array_append_new(l, json_pack("{s:s, s:s, s:b}", "name", argv[0], "path", argv[1],
					   "readOnly", b->o->read_only));
	b->changed = 1;
	return 0;
}

int cmd_mount_remove(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Removing mount point %s", Q(argv[0]));
	if (!remove_where(app_list(b, "mountPoints"), "name", argv[0], "path", argv[0]))
		return notfound(err);
	b->changed = 1;
	return 0;
}

int cmd_port_add(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	uint64_t port, count = 1;
	if (ac_parse_u64(argv[2], &port) < 0 || port > 65535)
		return ac_error_set(err, EINVAL, "port must be a positive number between 0 and 65535");
	if (b->o->count && ac_parse_u64(b->o->count, &count) < 0)
		return ac_error_set(err, EINVAL, "invalid argument \"%s\" for --count", b->o->count);
	acb_debug(b, "Adding port %s=%s", Q(argv[0]), Q(argv[1]));
	if (check_acname(argv[0], err) < 0)
		return -1;
	json_t *l = list_of(acb_app(b), "ports");
	remove_where(l, "name", argv[0], NULL, NULL);
	json_array_append_new(l, json_pack("{s:s, s:s, s:I, s:I, s:b}", "name", argv[0], "protocol", argv[1],
					   "port", (json_int_t)port, "count", (json_int_t)count,
					   "socketActivated", b->o->socket_activated));
	b->changed = 1;
	return 0;
}

int cmd_port_remove(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Removing port %s", Q(argv[0]));
	json_t *l = app_list(b, "ports");
	if (!json_is_object(json_object_get(b->manifest, "app")))
		return notfound(err);
	if (check_acname(argv[0], err) < 0)
		return -1;
	int n = 0;
	for (size_t i = json_array_size(l); i-- > 0;) {
		json_t *e = json_array_get(l, i);
		const char *name = json_string_value(json_object_get(e, "name"));
		char num[24];
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(e, "port")));
		if ((name && !strcmp(name, argv[0])) || !strcmp(num, argv[0])) {
			json_array_remove(l, i);
			n++;
		}
	}
	if (!n)
		return notfound(err);
	b->changed = 1;
	return 0;
}

/* ---- dependencies ---- */

int cmd_dependency_add(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Adding dependency %s", Q(argv[0]));
	/* discovery.NewAppFromString: "name[:version][,k=v...]" */
	_cleanup_free_ char *s = NULL;
	const char *colon = strchr(argv[0], ':');
	if (colon)
		s = xasprintf("%.*s,version=%s", (int)(colon - argv[0]), argv[0], colon + 1);
	else
		s = xstrdup(argv[0]);
	struct ac_kv *kv = NULL;
	size_t nkv = 0;
	if (ac_kv_parse(s, "name", &kv, &nkv, err) < 0)
		return ac_error_wrap(err, "couldn't parse dependency name");
	int ret = -1;
	const char *name = NULL;
	json_t *labels = json_array();
	for (size_t i = 0; i < nkv; i++)
		if (!strcmp(kv[i].key, "name"))
			name = kv[i].value;
	if (!name || check_acid(name, err) < 0) {
		if (!name)
			ac_error_set(err, EINVAL, "ACIdentifier cannot be empty");
		ac_error_wrap(err, "couldn't parse dependency name");
		goto out;
	}
	/* --label first, then the labels of the app string */
	for (size_t i = 0; i < b->o->nlabels; i++) {
		const char *l = b->o->labels[i], *eq = strchr(l, '=');
		if (!eq) {
			ac_error_set(err, EINVAL, "no '=' character in %s", Q(l));
			goto out;
		}
		_cleanup_free_ char *ln = xstrndup(l, eq - l);
		if (check_acid(ln, err) < 0)
			goto out;
		remove_where(labels, "name", ln, NULL, NULL);
		json_array_append_new(labels, json_pack("{s:s, s:s}", "name", ln, "value", eq + 1));
	}
	for (size_t i = 0; i < nkv; i++) {
		if (!strcmp(kv[i].key, "name"))
			continue;
		if (check_acid(kv[i].key, err) < 0) {
			ac_error_wrap(err, "couldn't parse dependency name");
			goto out;
		}
		if (remove_where(labels, "name", kv[i].key, NULL, NULL)) {
			ac_error_set(err, EINVAL, "multiple %s labels specified", kv[i].key);
			goto out;
		}
		json_array_append_new(labels, json_pack("{s:s, s:s}", "name", kv[i].key, "value", kv[i].value));
	}
	const char *msg;
	if (b->o->image_id && *b->o->image_id && ac_check_hash(b->o->image_id, &msg) < 0) {
		ac_error_set(err, EINVAL, "couldn't parse image ID: %s", msg);
		goto out;
	}
	uint64_t size = 0;
	if (b->o->size && ac_parse_u64(b->o->size, &size) < 0) {
		ac_error_set(err, EINVAL, "invalid argument \"%s\" for --size", b->o->size);
		goto out;
	}
	json_t *deps = list_of(b->manifest, "dependencies");
	remove_where(deps, "imageName", name, NULL, NULL);
	json_t *d = json_pack("{s:s}", "imageName", name);
	if (b->o->image_id && *b->o->image_id)
		json_object_set_new(d, "imageID", json_string(b->o->image_id));
	if (json_array_size(labels))
		json_object_set(d, "labels", labels);
	if (size)
		json_object_set_new(d, "size", json_integer((json_int_t)size));
	json_array_append_new(deps, d);
	b->changed = 1;
	ret = 0;
out:
	json_decref(labels);
	ac_kv_free(kv, nkv);
	return ret;
}

int cmd_dependency_remove(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Removing dependency %s", Q(argv[0]));
	if (check_acid(argv[0], err) < 0)
		return -1;
	if (!remove_where(json_object_get(b->manifest, "dependencies"), "imageName", argv[0], NULL, NULL))
		return notfound(err);
	b->changed = 1;
	return 0;
}

/* ---- isolators ---- */

static const char *const known_isolators[] = {
	"resource/block-bandwidth", "resource/block-iops", "resource/cpu", "resource/memory",
	"resource/network-bandwidth", "os/linux/apparmor-profile", "os/linux/cpu-shares",
	"os/linux/capabilities-retain-set", "os/linux/capabilities-remove-set", "os/linux/no-new-privileges",
	"os/linux/oom-score-adj", "os/linux/selinux-context", "os/linux/seccomp-remove-set",
	"os/linux/seccomp-retain-set",
};

int cmd_isolator_add(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	if (check_acid(argv[0], err) < 0)
		return -1;
	int known = 0;
	for (size_t i = 0; i < ARRAY_SIZE(known_isolators); i++)
		known |= !strcmp(known_isolators[i], argv[0]);
	if (!known)
		return ac_error_set(err, EINVAL, "unknown isolator name: %s", argv[0]);
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = !strcmp(argv[1], "-") ? ac_read_fd(0, AC_MANIFEST_MAX_SIZE, &text, &len, err)
				      : ac_read_file_at(AT_FDCWD, argv[1], AC_MANIFEST_MAX_SIZE, &text, &len, err);
	if (r < 0)
		return -1;
	acb_debug(b, "Adding isolator %s=%s", Q(argv[0]), Q(text));
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	if (!v)
		return ac_error_set(err, EINVAL, "invalid JSON in %s at line %d, column %d: %s",
				    !strcmp(argv[1], "-") ? "stdin" : argv[1], jerr.line, jerr.column, jerr.text);
	json_t *l = list_of(acb_app(b), "isolators");
	remove_where(l, "name", argv[0], NULL, NULL);
	json_array_append_new(l, json_pack("{s:s, s:o}", "name", argv[0], "value", v));
	b->changed = 1;
	return 0;
}

int cmd_isolator_remove(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Removing isolator %s", Q(argv[0]));
	if (check_acid(argv[0], err) < 0)
		return -1;
	if (!remove_where(app_list(b, "isolators"), "name", argv[0], NULL, NULL))
		return notfound(err);
	b->changed = 1;
	return 0;
}

/* ---- set-* ---- */

int cmd_set_name(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Setting name of ACI to %s", argv[0]);
	if (!*argv[0])
		return ac_error_set(err, EINVAL, "name cannot be empty");
	if (check_acid(argv[0], err) < 0)
		return -1;
	json_object_set_new(b->manifest, "name", json_string(argv[0]));
	b->changed = 1;
	return 0;
}

static void debug_argv(struct acb *b, const char *what, int argc, char **argv)
{
	if (!b->o->debug)
		return;
	/* Go's %v of a []string: [a b c] */
	fprintf(stderr, "%s [", what);
	for (int i = 0; i < argc; i++)
		fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
	fprintf(stderr, "]\n");
}

int cmd_set_exec(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)err;
	debug_argv(b, "Setting exec command", argc, argv);
	json_object_set_new(acb_app(b), "exec", strv_json(argc, argv));
	b->changed = 1;
	return 0;
}

static int set_app_string(struct acb *b, const char *key, const char *what, const char *v, ac_error **err)
{
	if (!*v)
		return ac_error_set(err, EINVAL, "%s cannot be empty", what);
	json_object_set_new(acb_app(b), key, json_string(v));
	b->changed = 1;
	return 0;
}

int cmd_set_user(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Setting user to %s", argv[0]);
	return set_app_string(b, "user", "user", argv[0], err);
}

int cmd_set_group(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Setting group to %s", argv[0]);
	return set_app_string(b, "group", "group", argv[0], err);
}

int cmd_set_working_directory(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc, (void)err;
	acb_debug(b, "Setting working directory to %s", argv[0]);
	json_object_set_new(acb_app(b), "workingDirectory", json_string(argv[0]));
	b->changed = 1;
	return 0;
}

int cmd_set_supp_groups(struct acb *b, int argc, char **argv, ac_error **err)
{
	debug_argv(b, "Setting supplementary groups to", argc, argv);
	json_t *gids = json_array();
	for (int i = 0; i < argc; i++) {
		int64_t v;
		if (ac_parse_i64(argv[i], &v) < 0 || v < INT32_MIN || v > INT32_MAX) {
			json_decref(gids);
			return ac_error_set(err, EINVAL, "error parsing group argument strconv.Atoi: parsing %s: %s",
					    Q(argv[i]), errno == ERANGE ? "value out of range" : "invalid syntax");
		}
		json_array_append_new(gids, json_integer(v));
	}
	json_object_set_new(acb_app(b), "supplementaryGIDs", gids);
	b->changed = 1;
	return 0;
}

static int set_eh(struct acb *b, const char *name, int argc, char **argv)
{
	char what[64];
	snprintf(what, sizeof(what), "Setting %s event handler to", name);
	debug_argv(b, what, argc, argv);
	json_t *l = list_of(acb_app(b), "eventHandlers");
	remove_where(l, "name", name, NULL, NULL);
	json_array_append_new(l, json_pack("{s:s, s:o}", "name", name, "exec", strv_json(argc, argv)));
	b->changed = 1;
	return 0;
}

int cmd_set_eh_pre_start(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)err;
	return set_eh(b, "pre-start", argc, argv);
}

int cmd_set_eh_post_stop(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)err;
	return set_eh(b, "post-stop", argc, argv);
}

/* ---- cat-manifest, replace-manifest ---- */

int cmd_cat_manifest(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc, (void)argv;
	acb_debug(b, "Printing manifest from current build");
	const char *file = b->o->file ? b->o->file : "manifest";
	if (!strcmp(file, "config"))
		return ac_error_set(err, 0, "can't print config, appc has no image configs");
	if (strcmp(file, "manifest"))
		return ac_error_set(err, 0, "don't know how to print a %s", Q(file));
	_cleanup_free_ char *text = ac_manifest_serialize(b->manifest, b->o->pretty_print ? 4 : 0, err);
	if (!text)
		return -1;
	printf("%s\n", text);
	return 0;
}

int cmd_replace_manifest(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	acb_debug(b, "Replacing manifest in ACI with the manifest at %s", argv[0]);
	struct stat st;
	if (stat(argv[0], &st) < 0) {
		if (errno == ENOENT)
			return ac_error_set(err, ENOENT, "no such file or directory: %s", argv[0]);
		return ac_error_errno(err, "%s", argv[0]);
	}
	if (S_ISDIR(st.st_mode))
		return ac_error_set(err, EISDIR, "%s is a directory", argv[0]);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, argv[0], AC_MANIFEST_MAX_SIZE, &text, &len, err) < 0)
		return -1;
	json_t *m = ac_manifest_parse(text, len, err);
	if (!m)
		return -1;
	if (ac_manifest_validate(m, err) < 0) {
		json_decref(m);
		return -1;
	}
	json_decref(b->manifest);
	b->manifest = m;
	b->changed = 1;
	return 0;
}
