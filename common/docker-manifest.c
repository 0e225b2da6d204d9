/* Docker image config → appc ImageManifest, as docker2aci v0.17.2's
 * GenerateManifest (v1 layer JSON) and GenerateManifestV22 (image config),
 * with the fixes of issue 4: volume-name collisions numbered by sorted path,
 * volume paths with ".." and relative working directories refused. */
#include "ac/docker.h"

#include <ctype.h>
#include <inttypes.h>
#include "ac/manifest.h"

/* Go's encoding/json matches keys case-insensitively. */
static json_t *jget(json_t *o, const char *key)
{
	if (!json_is_object(o))
		return NULL;
	json_t *v = json_object_get(o, key);
	if (v)
		return v;
	const char *k;
	json_object_foreach(o, k, v)
		if (!strcasecmp(k, key))
			return v;
	return NULL;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = jget(o, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

void ac_docker_host_platform(const char **os, const char **arch)
{
	*os = "linux";
#if defined(__x86_64__)
	*arch = "amd64";
#elif defined(__aarch64__)
	*arch = "arm64";
#elif defined(__i386__)
	*arch = "386";
#elif defined(__arm__)
	*arch = "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	*arch = "ppc64le";
#elif defined(__powerpc64__)
	*arch = "ppc64";
#elif defined(__s390x__)
	*arch = "s390x";
#else
	*arch = "unknown";
#endif
}

int ac_docker_appc_os_arch(const char *os, const char *arch, const char **aos, const char **aarch)
{
	static const char *const tab[][3] = {
		{ "linux", "amd64", "amd64" },     { "linux", "386", "i386" },
		{ "linux", "arm64", "aarch64" },   { "linux", "arm", "armv6l" },
		{ "linux", "ppc64", "ppc64" },     { "linux", "ppc64le", "ppc64le" },
		{ "linux", "s390x", "s390x" },     { "freebsd", "amd64", "amd64" },
		{ "freebsd", "386", "i386" },      { "freebsd", "arm", "arm" },
		{ "darwin", "amd64", "x86_64" },   { "darwin", "386", "i386" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		if (!strcmp(os, tab[i][0]) && !strcmp(arch, tab[i][1])) {
			*aos = tab[i][0];
			*aarch = tab[i][2];
			return 0;
		}
	}
	return -1;
}

/* ---- small builders ---- */

static void label_set(json_t *labels, const char *name, const char *value)
{
	if (*value)
		json_object_set_new(labels, name, json_string(value));
}

static void set_os_arch(json_t *labels, const char *os, const char *arch)
{
	const char *ao, *aa;
	if (ac_docker_appc_os_arch(os, arch, &ao, &aa) < 0)
		return; /* the original ignores the error */
	label_set(labels, "os", ao);
	label_set(labels, "arch", aa);
}

/* LabelsFromMap: sorted by name. */
static json_t *labels_array(json_t *labels)
{
	size_t n = json_object_size(labels), i = 0;
	const char **keys = xcalloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v)
		keys[i++] = k;
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
			const char *t = keys[b];
			keys[b] = keys[b - 1];
			keys[b - 1] = t;
		}
	json_t *arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:O}", "name", keys[i], "value", json_object_get(labels, keys[i])));
	free(keys);
	return arr;
}

/* Annotations.Set: replaces in place, else appends; empty values skipped. */
static void annot_set(json_t *annots, const char *name, const char *value)
{
	if (!*value)
		return;
	size_t i;
	json_t *a;
	json_array_foreach(annots, i, a) {
		if (!strcmp(json_string_value(json_object_get(a, "name")), name)) {
			json_object_set_new(a, "value", json_string(value));
			return;
		}
	}
	json_array_append_new(annots, json_pack("{s:s,s:s}", "name", name, "value", value));
}

static char *json_compact(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Entrypoint ++ Cmd: null when both are empty (Go's append on nil). */
static json_t *exec_of(json_t *ep, json_t *cmd)
{
	if (!json_is_array(ep) && !(json_is_array(cmd) && json_array_size(cmd)))
		return json_null();
	json_t *x = json_array();
	size_t i;
	json_t *s;
	if (json_is_array(ep))
		json_array_foreach(ep, i, s)
			json_array_append(x, s);
	if (json_is_array(cmd))
		json_array_foreach(cmd, i, s)
			json_array_append(x, s);
	return x;
}

static void ep_cmd_annotations(json_t *annots, json_t *ep, json_t *cmd)
{
	if (json_is_array(ep) && json_array_size(ep)) {
		_cleanup_free_ char *s = json_compact(ep);
		annot_set(annots, "appc.io/docker/entrypoint", s);
	}
	if (json_is_array(cmd) && json_array_size(cmd)) {
		_cleanup_free_ char *s = json_compact(cmd);
		annot_set(annots, "appc.io/docker/cmd", s);
	}
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted keys of a JSON object (borrowed strings). */
static const char **sorted_keys(json_t *o, size_t *n)
{
	*n = json_is_object(o) ? json_object_size(o) : 0;
	const char **keys = xcalloc(*n + 1, sizeof(*keys));
	size_t i = 0;
	const char *k;
	json_t *v;
	if (*n)
		json_object_foreach(o, k, v)
			keys[i++] = k;
	qsort(keys, *n, sizeof(*keys), cmp_cstr);
	return keys;
}

static int cmp_by_name(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(y, "name")));
	if (c)
		return c;
	json_t *px = json_object_get(x, "path"), *py = json_object_get(y, "path");
	return px && py ? strcmp(json_string_value(px), json_string_value(py)) : 0;
}

static json_t *sorted_by_name(json_t **items, size_t n)
{
	qsort(items, n, sizeof(*items), cmp_by_name);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	return arr;
}

static int has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return 1;
	return 0;
}

/* convertVolumesToMPs; collisions are numbered in sorted path order. */
static json_t *convert_volumes(json_t *vols, ac_error **err)
{
	size_t n;
	_cleanup_free_ const char **paths = sorted_keys(vols, &n);
	json_t **items = xcalloc(n + 1, sizeof(*items));
	json_t *seen = json_object();
	for (size_t i = 0; i < n; i++) {
		const char *p = paths[i];
		if (has_dotdot(p)) {
			for (size_t j = 0; j < i; j++)
				json_decref(items[j]);
			free(items);
			json_decref(seen);
			ac_error_set(err, EINVAL, "invalid volume path \"%s\": \"..\" is not allowed", p);
			return NULL;
		}
		_cleanup_free_ char *joined = xasprintf("volume/%s", p);
		_cleanup_free_ char *clean = ac_path_clean(joined);
		_cleanup_free_ char *sn = ac_sanitize_acname(clean);
		json_t *cnt = json_object_get(seen, sn);
		_cleanup_free_ char *name = NULL;
		if (cnt) {
			name = xasprintf("%s-%" PRId64, sn, (int64_t)json_integer_value(cnt));
			json_object_set_new(seen, sn, json_integer(json_integer_value(cnt) + 1));
		} else {
			name = xstrdup(sn);
			json_object_set_new(seen, sn, json_integer(1));
		}
		items[i] = json_pack("{s:s,s:s,s:b}", "name", name, "path", p, "readOnly", 0);
	}
	json_decref(seen);
	json_t *arr = sorted_by_name(items, n);
	free(items);
	return arr;
}

static int parse_port(const char *key, json_t **out, ac_error **err)
{
	_cleanup_free_ char *s = xstrdup(key);
	const char *proto = "tcp";
	char *sl = strchr(s, '/');
	if (sl) {
		*sl = '\0';
		char *sl2 = strchr(sl + 1, '/');
		if (sl2)
			*sl2 = '\0';
		proto = sl + 1;
	}
	uint64_t port;
	if (ac_parse_u64(s, &port) < 0 || (*s == '+'))
		return ac_error_set(err, EINVAL, "error parsing port \"%s\": strconv.ParseUint: parsing \"%s\": %s", s, s,
				    errno == ERANGE ? "value out of range" : "invalid syntax");
	_cleanup_free_ char *name = ac_sanitize_acname(key);
	if (!name)
		return ac_error_set(err, EINVAL, "error parsing port \"%s\": invalid name", key);
	*out = json_pack("{s:s,s:s,s:I,s:i,s:b}", "name", name, "protocol", proto, "port", (json_int_t)port, "count", 1,
			 "socketActivated", 0);
	return 0;
}

static json_t *convert_ports(json_t *exposed, json_t *portspecs, ac_error **err)
{
	size_t n = 0, cap = 8;
	json_t **items = xcalloc(cap, sizeof(*items));
	size_t nk;
	_cleanup_free_ const char **keys = sorted_keys(exposed, &nk);
	int use_specs = (!exposed || json_is_null(exposed)) && json_is_array(portspecs);
	size_t total = use_specs ? json_array_size(portspecs) : nk;
	for (size_t i = 0; i < total; i++) {
		const char *key = use_specs ? json_string_value(json_array_get(portspecs, i)) : keys[i];
		if (!key)
			continue;
		if (n + 1 >= cap)
			items = xrealloc(items, (cap *= 2) * sizeof(*items));
		if (parse_port(key, &items[n], err) < 0) {
			for (size_t j = 0; j < n; j++)
				json_decref(items[j]);
			free(items);
			return NULL;
		}
		n++;
	}
	json_t *arr = sorted_by_name(items, n);
	free(items);
	return arr;
}

/* The "app" of a Docker config object (both generators). */
static json_t *make_app(json_t *cfg, int v1, json_t *annots, ac_error **err)
{
	json_t *ep = jget(cfg, "Entrypoint"), *cmd = jget(cfg, "Cmd");
	json_t *app = json_object();
	json_object_set_new(app, "exec", exec_of(ep, cmd));

	const char *user = jstr(cfg, "User");
	if (!*user) {
		json_object_set_new(app, "user", json_string("0"));
		json_object_set_new(app, "group", json_string("0"));
	} else {
		const char *c = strchr(user, ':');
		_cleanup_free_ char *u = xstrndup(user, c ? (size_t)(c - user) : strlen(user));
		_cleanup_free_ char *g = c ? xstrndup(c + 1, strcspn(c + 1, ":")) : xstrdup(u);
		json_object_set_new(app, "user", json_string(u));
		json_object_set_new(app, "group", json_string(g));
	}

	const char *wd = jstr(cfg, "WorkingDir");
	if (*wd && wd[0] != '/') {
		json_decref(app);
		ac_error_set(err, EINVAL, "invalid working directory \"%s\": not an absolute path", wd);
		return NULL;
	}
	if (*wd)
		json_object_set_new(app, "workingDirectory", json_string(wd));

	json_t *env = json_array(), *e;
	size_t i;
	json_array_foreach(jget(cfg, "Env"), i, e) {
		const char *s = json_string_value(e);
		const char *eq = s ? strchr(s, '=') : NULL;
		if (!eq)
			continue; /* entries without "=" are dropped */
		_cleanup_free_ char *name = xstrndup(s, (size_t)(eq - s));
		size_t j;
		json_t *x;
		int found = 0;
		json_array_foreach(env, j, x) {
			if (!strcmp(json_string_value(json_object_get(x, "name")), name)) {
				json_object_set_new(x, "value", json_string(eq + 1));
				found = 1;
				break;
			}
		}
		if (!found)
			json_array_append_new(env, json_pack("{s:s,s:s}", "name", name, "value", eq + 1));
	}
	json_object_set_new(app, "environment", env);

	json_t *mps = convert_volumes(jget(cfg, "Volumes"), err);
	if (!mps) {
		json_decref(app);
		return NULL;
	}
	json_object_set_new(app, "mountPoints", mps);
	json_t *ports = convert_ports(jget(cfg, "ExposedPorts"), v1 ? jget(cfg, "PortSpecs") : NULL, err);
	if (!ports) {
		json_decref(app);
		return NULL;
	}
	json_object_set_new(app, "ports", ports);

	json_t *labels = jget(cfg, "Labels");
	if (v1 && json_is_object(labels) && json_object_size(labels)) {
		json_t *ul = json_object();
		const char *k;
		json_t *v;
		json_object_foreach(labels, k, v)
			if (json_is_string(v))
				json_object_set(ul, k, v);
		json_object_set_new(app, "userLabels", ul);
	}
	ep_cmd_annotations(annots, ep, cmd);
	return app;
}

/* ---- time: Go's time.Time from RFC 3339, formatted back in seconds ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* *out: "YYYY-MM-DDTHH:MM:SS" + zone, *epoch: whether it is the Unix epoch. */
static int format_created(const char *s, char **out, int *epoch)
{
	int Y, M, D, h, m, sec, n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6 || n != 19)
		return -1;
	const char *p = s + n;
	int frac_zero = 1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++)
			if (*p != '0')
				frac_zero = 0;
	}
	int off = 0;
	_cleanup_free_ char *zone = NULL;
	if (*p == 'Z' && !p[1]) {
		zone = xstrdup("Z");
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int zh, zm;
		if (sscanf(p + 1, "%2d:%2d", &zh, &zm) != 2)
			return -1;
		off = (zh * 60 + zm) * 60 * (*p == '-' ? -1 : 1);
		zone = off ? xstrdup(p) : xstrdup("Z");
	} else {
		return -1;
	}
	int64_t t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec - off;
	*epoch = t == 0 && frac_zero;
	*out = xasprintf("%04d-%02d-%02dT%02d:%02d:%02d%s", Y, M, D, h, m, sec, zone);
	return 0;
}

static char *sanitized_name(const char *index, const char *image, const char *suffix, ac_error **err)
{
	_cleanup_free_ char *raw = xasprintf("%s/%s-%s", index, image, suffix);
	char *s = ac_sanitize_acidentifier(raw);
	if (!s)
		ac_error_set(err, EINVAL, "cannot make an image name of \"%s\"", raw);
	return s;
}

json_t *ac_docker_manifest_v1(json_t *layer, const char *id, const char *manhash, const struct ac_docker_ref *u,
			      ac_error **err)
{
	_cleanup_free_ char *name = sanitized_name(u->index_url, u->image_name, id, err);
	if (!name)
		return NULL;
	json_t *labels = json_object(), *annots = json_array();
	json_t *m = json_pack("{s:s,s:s,s:s}", "acKind", "ImageManifest", "acVersion", AC_DOCKER_APPC_VERSION, "name", name);
	label_set(labels, "layer", id);
	label_set(labels, "version", u->tag);
	set_os_arch(labels, jstr(layer, "os"), jstr(layer, "architecture"));

	annot_set(annots, "authors", jstr(layer, "author"));
	json_t *created = jget(layer, "created");
	_cleanup_free_ char *cr = NULL;
	int epoch = 0;
	if (json_is_string(created)) {
		if (format_created(json_string_value(created), &cr, &epoch) < 0) {
			ac_error_set(err, EINVAL, "error unmarshaling layer data: parsing time \"%s\"",
				     json_string_value(created));
			goto fail;
		}
	} else {
		cr = xstrdup("0001-01-01T00:00:00Z"); /* Go's zero time */
	}
	if (!epoch)
		annot_set(annots, "created", cr);
	annot_set(annots, "docker-comment", jstr(layer, "comment"));
	annot_set(annots, "appc.io/docker/originalname", u->original);
	annot_set(annots, "appc.io/docker/registryurl", u->index_url);
	annot_set(annots, "appc.io/docker/repository", u->image_name);
	annot_set(annots, "appc.io/docker/imageid", id);
	const char *parent = jstr(layer, "parent");
	annot_set(annots, "appc.io/docker/parentimageid", parent);
	annot_set(annots, "appc.io/docker/manifesthash", manhash);

	json_t *cfg = jget(layer, "config");
	json_t *app = NULL;
	if (json_is_object(cfg) && !(app = make_app(cfg, 1, annots, err)))
		goto fail;

	json_object_set_new(m, "labels", labels_array(labels));
	if (app)
		json_object_set_new(m, "app", app);
	if (*parent) {
		_cleanup_free_ char *pname = sanitized_name(u->index_url, u->image_name, parent, err);
		if (!pname)
			goto fail;
		json_object_set_new(m, "dependencies",
				    json_pack("[{s:s,s:o}]", "imageName", pname, "labels", labels_array(labels)));
		annot_set(annots, "appc.io/docker/tag", u->tag);
	}
	json_object_set_new(m, "annotations", annots);
	json_decref(labels);
	return m;
fail:
	json_decref(labels);
	json_decref(annots);
	json_decref(m);
	return NULL;
}

json_t *ac_docker_manifest_empty(const char *name, ac_error **err)
{
	const char *os, *arch, *ao, *aa;
	const char *msg;
	if (ac_check_acidentifier(name, &msg) < 0) {
		ac_error_set(err, EINVAL, "%s", msg);
		return NULL;
	}
	ac_docker_host_platform(&os, &arch);
	if (ac_docker_appc_os_arch(os, arch, &ao, &aa) < 0) {
		ac_error_set(err, EINVAL, "unknown arch tuple: %s - %s", os, arch);
		return NULL;
	}
	return json_pack("{s:s,s:s,s:s,s:[{s:s,s:s},{s:s,s:s}]}", "acKind", "ImageManifest", "acVersion",
			 AC_DOCKER_APPC_VERSION, "name", name, "labels", "name", "arch", "value", aa, "name", "os",
			 "value", ao);
}

json_t *ac_docker_manifest_v22(const char *name, const char *manhash, const char *image_digest,
			       const struct ac_docker_ref *u, json_t *config, json_t *lower, ac_error **err)
{
	json_t *m = ac_docker_manifest_empty(name, err);
	if (!m)
		return NULL;
	const char *os, *arch, *ao, *aa;
	ac_docker_host_platform(&os, &arch);
	ac_docker_appc_os_arch(os, arch, &ao, &aa);
	json_t *labels = json_object(), *annots = json_array();
	label_set(labels, "os", ao);
	label_set(labels, "arch", aa);
	label_set(labels, "version", u->tag);
	set_os_arch(labels, jstr(config, "os"), jstr(config, "architecture"));

	annot_set(annots, "author", jstr(config, "author"));
	annot_set(annots, "created", jstr(config, "created"));
	annot_set(annots, "appc.io/docker/originalname", u->original);
	annot_set(annots, "appc.io/docker/registryurl", u->index_url);
	annot_set(annots, "appc.io/docker/repository", u->image_name);
	annot_set(annots, "appc.io/docker/imageid", image_digest);
	annot_set(annots, "appc.io/docker/manifesthash", manhash);

	json_t *cfg = jget(config, "config");
	if (json_is_object(cfg)) {
		json_t *app = make_app(cfg, 0, annots, err);
		if (!app) {
			json_decref(labels);
			json_decref(annots);
			json_decref(m);
			return NULL;
		}
		json_object_set_new(m, "app", app);
	}
	if (json_is_array(lower) && json_array_size(lower)) {
		json_t *deps = json_array(), *l;
		size_t i;
		json_array_foreach(lower, i, l)
			json_array_append_new(deps, json_pack("{s:O,s:O}", "imageName", json_object_get(l, "name"),
							      "labels", json_object_get(l, "labels")));
		json_object_set_new(m, "dependencies", deps);
	}
	json_object_set_new(m, "labels", labels_array(labels));
	json_object_set_new(m, "annotations", annots);
	json_decref(labels);
	return m;
}

int ac_docker_manifest_squash(json_t *m, ac_error **err)
{
	json_t *labels = json_object_get(m, "labels"), *l;
	size_t i;
	json_array_foreach(labels, i, l) {
		if (!strcmp(json_string_value(json_object_get(l, "name")), "layer")) {
			json_array_remove(labels, i);
			break;
		}
	}
	const char *name = json_string_value(json_object_get(m, "name"));
	const char *dash = name ? strrchr(name, '-') : NULL;
	if (!dash)
		return ac_error_set(err, EINVAL, "cannot squash: image name \"%s\" has no layer suffix", name ? name : "");
	json_object_set_new(m, "name", json_stringn(name, (size_t)(dash - name)));
	json_object_del(m, "dependencies");
	json_object_del(m, "pathWhitelist");
	return 0;
}
