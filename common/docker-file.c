/* Local image input: a tar (extracted safely to a temporary directory) or a
 * directory, in one of the formats listed in ac/docker.h, then the
 * conversion itself: squashed, or one ACI per layer (-nosquash).
 *
 * Everything named by the input (layer IDs, digests, blob paths) is checked
 * before use, and every file is opened with ac_open_in_root, so symlinks in
 * the input (skopeo's layer.tar links) resolve inside it and never outside. */
#include "ac/docker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "ac/docker-layer.h"
#include "ac/extract.h"
#include "ac/fs.h"
#include "ac/manifest.h"

#define JSON_MAX (16u << 20)

enum { KIND_V1, KIND_V22 };

struct layer {
	char *path;    /* inside the input root */
	char *digest;  /* of the file, or NULL */
	char *diff_id; /* of the uncompressed tar, or NULL */
	char *id;      /* v1 layer ID, or the hex used in names (v22) */
	json_t *v1;    /* v1 layer JSON */
};

struct image {
	int kind;
	struct layer *layers; /* base first */
	size_t n;
	json_t *config; /* v22 */
	char *manhash;
	char *image_digest; /* v22: the top layer's (for appc.io/docker/imageid) */
	struct ac_docker_ref ref;
	int remote; /* pulled: no "Extracting" lines */
	int (*wait_layer)(void *arg, size_t i, ac_error **err);
	void *wait_arg;
};

struct ctx {
	const struct ac_docker_opts *o;
	int rootfd;
	char *tmp;      /* extraction directory to remove, or NULL */
	char *basename; /* file name up to the first "." */
};

static void logf_(const struct ac_docker_opts *o, int debug, const char *fmt, ...) AC_PRINTF(3, 4);
static void logf_(const struct ac_docker_opts *o, int debug, const char *fmt, ...)
{
	if (!o->log)
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *s = xvasprintf(fmt, ap);
	va_end(ap);
	o->log(o->log_arg, debug, s);
}

static void image_free(struct image *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->layers[i].path);
		free(im->layers[i].digest);
		free(im->layers[i].diff_id);
		free(im->layers[i].id);
		json_decref(im->layers[i].v1);
	}
	free(im->layers);
	json_decref(im->config);
	free(im->manhash);
	free(im->image_digest);
	ac_docker_ref_free(&im->ref);
}

static struct layer *add_layer(struct image *im)
{
	im->layers = xrealloc(im->layers, (im->n + 1) * sizeof(*im->layers));
	struct layer *l = &im->layers[im->n++];
	memset(l, 0, sizeof(*l));
	return l;
}

/* ---- reading files of the input ---- */

static int exists(struct ctx *c, const char *path)
{
	int fd = ac_open_in_root(c->rootfd, path, O_RDONLY | O_CLOEXEC, 0, NULL);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* A whole JSON file; want (optional "sha256:...") is checked. */
static json_t *read_json(struct ctx *c, const char *path, const char *want, ac_error **err)
{
	_cleanup_close_ int fd = ac_open_in_root(c->rootfd, path, O_RDONLY | O_CLOEXEC, 0, err);
	if (fd < 0)
		return NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (ac_read_fd(fd, JSON_MAX, &buf, &len, err) < 0) {
		ac_error_wrap(err, "%s", path);
		return NULL;
	}
	if (want) {
		ac_digest *d = ac_digest_new(AC_SHA256);
		unsigned char raw[32];
		char hex[65];
		ac_digest_update(d, buf, len);
		ac_digest_final(d, raw);
		ac_digest_free(d);
		ac_hex(raw, 32, hex);
		if (strcmp(want + 7, hex)) {
			ac_error_set(err, EBADMSG, "%s: digest mismatch: expected %s, got sha256:%s", path, want, hex);
			return NULL;
		}
	}
	json_error_t je;
	json_t *j = json_loadb(buf, len, 0, &je);
	if (!j)
		ac_error_set(err, EBADMSG, "%s: invalid JSON: %s", path, je.text);
	return j;
}

/* "blobs/sha256/<hex>" of a digest, after checking it. */
static char *blob_path(const char *digest, ac_error **err)
{
	if (ac_docker_check_digest(digest, err) < 0)
		return NULL;
	return xasprintf("blobs/sha256/%s", digest + 7);
}

/* The digest a docker-save path names: "blobs/sha256/<hex>" or "<hex>.json". */
static char *digest_of_path(const char *path)
{
	_cleanup_free_ char *c = ac_path_clean(path);
	const char *hex = NULL;
	if (ac_str_has_prefix(c, "blobs/sha256/"))
		hex = c + 13;
	else if (ac_str_has_suffix(c, ".json") && strlen(c) == 64 + 5)
		hex = c;
	if (!hex)
		return NULL;
	char *d = xasprintf("sha256:%.64s", hex);
	if ((strlen(hex) != 64 && !ac_str_has_suffix(c, ".json")) || ac_docker_check_digest(d, NULL) < 0) {
		free(d);
		return NULL;
	}
	return d;
}

/* ---- choosing an image: the original's rules for "repositories" ---- */

struct cand {
	char *key;  /* repository name (ImageName) */
	char *tag;
	size_t idx; /* format-specific */
	char *id;   /* legacy image ID */
};

struct cands {
	struct cand *v;
	size_t n;
};

static void cands_add(struct cands *cs, const char *key, const char *tag, size_t idx, const char *id)
{
	cs->v = xrealloc(cs->v, (cs->n + 1) * sizeof(*cs->v));
	cs->v[cs->n++] = (struct cand){ xstrdup(key), xstrdup(tag), idx, id ? xstrdup(id) : NULL };
}

static void cands_free(struct cands *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].key);
		free(cs->v[i].tag);
		free(cs->v[i].id);
	}
	free(cs->v);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A key names app as is, or (for -image) once normalised: an OCI layout
 * named "img" is "-image img:TAG". */
static int key_matches(const char *key, const char *app, int normalise)
{
	if (!strcmp(key, app))
		return 1;
	struct ac_docker_ref r;
	if (!normalise || ac_docker_parse_ref(key, &r, NULL) < 0)
		return 0;
	int m = !strcmp(r.image_name, app);
	ac_docker_ref_free(&r);
	return m;
}

/* Picks a candidate; ref receives the docker URL the names derive from. */
static const struct cand *choose(struct ctx *c, struct cands *cs, struct ac_docker_ref *ref,
				 struct ac_docker_result *res, ac_error **err)
{
	const char *image = c->o->image && *c->o->image ? c->o->image : NULL;
	_cleanup_free_ char *app = NULL;
	const char *tag = "latest";
	if (image) {
		if (ac_docker_parse_ref(image, ref, err) < 0) {
			ac_error_wrap(err, "image provided couldnot be parsed");
			return NULL;
		}
		app = xstrdup(ref->image_name);
		tag = ref->tag;
	} else {
		char **names = xcalloc(cs->n + 1, sizeof(*names));
		size_t nn = 0;
		for (size_t i = 0; i < cs->n; i++) {
			size_t j;
			for (j = 0; j < nn && strcmp(names[j], cs->v[i].key); j++)
				;
			if (j == nn)
				names[nn++] = xstrdup(cs->v[i].key);
		}
		if (nn == 0) {
			ac_strv_free(names);
			ac_error_set(err, ENOENT, "no images found");
			return NULL;
		}
		if (nn > 1) {
			qsort(names, nn, sizeof(*names), cmp_cstr);
			res->images = names;
			ac_error_set(err, AC_DOCKER_ESEVERAL, "several images found");
			return NULL;
		}
		app = xstrdup(names[0]);
		ac_strv_free(names);
	}
	const struct cand *hit = NULL, *only = NULL;
	size_t ntags = 0;
	for (size_t i = 0; i < cs->n; i++) {
		if (!key_matches(cs->v[i].key, app, image != NULL))
			continue;
		ntags++;
		only = &cs->v[i];
		if (!strcmp(cs->v[i].tag, tag) && !hit)
			hit = &cs->v[i];
	}
	if (!ntags) {
		ac_error_set(err, ENOENT, "app \"%s\" not found", app);
		return NULL;
	}
	if (!hit) {
		if (ntags != 1) {
			ac_error_set(err, ENOENT, "tag \"%s\" not found", tag);
			return NULL;
		}
		hit = only;
	}
	if (!image) {
		ref->original = xstrdup("");
		ref->index_url = xstrdup("");
		ref->image_name = xstrdup(app);
		ref->tag = xstrdup(hit->tag);
		ref->digest = xstrdup("");
	}
	return hit;
}

/* Repository names of keys and RepoTags are normalised as the original. */
static int add_ref_cand(struct cands *cs, const char *s, size_t idx, const char *id, ac_error **err)
{
	struct ac_docker_ref r;
	if (ac_docker_parse_ref(s, &r, err) < 0)
		return ac_error_wrap(err, "error parsing key \"%s\"", s);
	cands_add(cs, r.image_name, r.tag, idx, id);
	ac_docker_ref_free(&r);
	return 0;
}

/* ---- legacy docker save: repositories, <id>/json, <id>/layer.tar ---- */

static int load_legacy(struct ctx *c, json_t *repos, struct image *im, struct ac_docker_result *res, ac_error **err)
{
	struct cands cs = { 0 };
	const char *key, *tag;
	json_t *tags, *id;
	int ret = -1;
	char **anc = NULL, *cur = NULL;
	size_t na = 0;
	json_t *jsons = json_array();
	json_object_foreach(repos, key, tags) {
		struct ac_docker_ref r;
		if (ac_docker_parse_ref(key, &r, err) < 0) {
			ac_error_wrap(err, "error parsing key \"%s\" in repositories", key);
			goto out;
		}
		json_object_foreach(tags, tag, id)
			cands_add(&cs, r.image_name, tag, 0, json_is_string(id) ? json_string_value(id) : "");
		if (!json_object_size(tags))
			cands_add(&cs, r.image_name, "", 0, NULL); /* an app without tags */
		ac_docker_ref_free(&r);
	}
	const struct cand *hit = choose(c, &cs, &im->ref, res, err);
	if (!hit)
		goto out;
	if (!hit->id || !*hit->id) {
		ac_error_set(err, ENOENT, "Could not find image");
		goto out;
	}
	im->kind = KIND_V1;
	im->manhash = xstrdup(hit->id);
	logf_(c->o, 1, "getting image id...");

	/* ancestry, top first; loops and bad IDs refused before any use */
	cur = xstrdup(hit->id);
	while (*cur) {
		if (ac_docker_check_layer_id(cur, err) < 0)
			goto out_anc;
		for (size_t i = 0; i < na; i++) {
			if (!strcmp(anc[i], cur)) {
				ac_error_set(err, ELOOP, "dependency loop detected at image \"%s\"", cur);
				goto out_anc;
			}
		}
		logf_(c->o, 1, "Getting ancestry for layer \"%s\"", cur);
		_cleanup_free_ char *jp = xasprintf("%s/json", cur);
		json_t *j = read_json(c, jp, NULL, err);
		if (!j) {
			ac_error_wrap(err, "error getting layer json");
			goto out_anc;
		}
		json_array_append_new(jsons, j);
		anc = xrealloc(anc, (na + 1) * sizeof(*anc));
		anc[na++] = xstrdup(cur);
		const char *parent = json_is_string(json_object_get(j, "parent")) ?
			json_string_value(json_object_get(j, "parent")) : "";
		logf_(c->o, 1, "Layer \"%s\" depends on layer \"%s\"", cur, parent);
		free(cur);
		cur = xstrdup(parent);
	}
	for (size_t i = na; i-- > 0;) {
		struct layer *l = add_layer(im);
		l->id = xstrdup(anc[i]);
		l->path = xasprintf("%s/layer.tar", anc[i]);
		l->v1 = json_incref(json_array_get(jsons, i));
	}
	ret = 0;
out_anc:
out:
	for (size_t i = 0; i < na; i++)
		free(anc[i]);
	free(anc);
	free(cur);
	json_decref(jsons);
	cands_free(&cs);
	return ret;
}

/* ---- v22 images: manifest.json entries and OCI manifests ---- */

/* Fills layers from a config and a list of (path, digest) pairs. */
static int set_v22_layers(struct image *im, json_t *config, char **paths, char **digests, size_t n, ac_error **err)
{
	json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!n)
		return ac_error_set(err, EINVAL, "insufficient layers for oci image");
	if (json_is_array(diff_ids) && json_array_size(diff_ids) != n)
		return ac_error_set(err, EINVAL, "the image config lists %zu layers (diff_ids), the manifest %zu",
				    json_array_size(diff_ids), n);
	for (size_t i = 0; i < n; i++) {
		struct layer *l = add_layer(im);
		l->path = xstrdup(paths[i]);
		l->digest = digests[i] ? xstrdup(digests[i]) : NULL;
		const char *di = json_string_value(json_array_get(diff_ids, i));
		if (di) {
			if (ac_docker_check_digest(di, err) < 0)
				return ac_error_wrap(err, "image config");
			l->diff_id = xstrdup(di);
		}
		const char *d = l->digest ? l->digest : l->diff_id;
		if (d) {
			l->id = xstrdup(d + 7);
		} else {
			/* "<id>/layer.tar": the directory name */
			_cleanup_free_ char *cl = ac_path_clean(paths[i]);
			char *sl = strchr(cl, '/');
			l->id = xstrndup(cl, sl ? (size_t)(sl - cl) : strlen(cl));
		}
	}
	im->kind = KIND_V22;
	im->config = json_incref(config);
	im->image_digest = xstrdup(im->layers[n - 1].id);
	return 0;
}

static int load_docker_manifest(struct ctx *c, json_t *mf, struct image *im, struct ac_docker_result *res,
				ac_error **err)
{
	struct cands cs = { 0 };
	int ret = -1;
	size_t i;
	json_t *e;
	_cleanup_free_ char *cdig = NULL;
	if (!json_is_array(mf)) {
		ac_error_set(err, EBADMSG, "manifest.json: not a list of images");
		return -1;
	}
	json_array_foreach(mf, i, e) {
		json_t *rts = json_object_get(e, "RepoTags"), *rt;
		size_t j;
		if (!json_is_array(rts) || !json_array_size(rts))
			cands_add(&cs, c->basename, "", i, NULL);
		json_array_foreach(rts, j, rt)
			if (json_is_string(rt) && add_ref_cand(&cs, json_string_value(rt), i, NULL, err) < 0)
				goto out;
	}
	const struct cand *hit = choose(c, &cs, &im->ref, res, err);
	if (!hit)
		goto out;
	e = json_array_get(mf, hit->idx);
	const char *cfgp = json_string_value(json_object_get(e, "Config"));
	json_t *lys = json_object_get(e, "Layers");
	if (!cfgp || !json_is_array(lys)) {
		ac_error_set(err, EBADMSG, "manifest.json: image without Config or Layers");
		goto out;
	}
	cdig = digest_of_path(cfgp);
	json_t *config = read_json(c, cfgp, cdig, err);
	if (!config)
		goto out;
	size_t n = json_array_size(lys);
	char **paths = xcalloc(n + 1, sizeof(*paths)), **digs = xcalloc(n + 1, sizeof(*digs));
	for (i = 0; i < n; i++) {
		const char *p = json_string_value(json_array_get(lys, i));
		paths[i] = xstrdup(p ? p : "");
		digs[i] = digest_of_path(paths[i]);
	}
	/* the image ID of "docker save" is the config digest */
	im->manhash = cdig ? xstrdup(cdig) : xstrdup(cfgp);
	ret = set_v22_layers(im, config, paths, digs, n, err);
	for (i = 0; i < n; i++) {
		free(paths[i]);
		free(digs[i]);
	}
	free(paths);
	free(digs);
	json_decref(config);
out:
	cands_free(&cs);
	return ret;
}

static int is_index_type(const char *mt)
{
	return mt && (!strcmp(mt, "application/vnd.oci.image.index.v1+json") ||
		      !strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json"));
}

/* A descriptor of an index: the manifest for the host platform. */
static json_t *pick_platform(struct ctx *c, json_t *desc, int depth, ac_error **err)
{
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	if (!is_index_type(mt))
		return json_incref(desc);
	if (depth > 4) {
		ac_error_set(err, ELOOP, "image indexes nested too deep");
		return NULL;
	}
	const char *d = json_string_value(json_object_get(desc, "digest"));
	_cleanup_free_ char *bp = d ? blob_path(d, err) : NULL;
	if (!bp)
		return d ? NULL : (ac_error_set(err, EBADMSG, "descriptor without a digest"), NULL);
	json_t *idx = read_json(c, bp, d, err);
	if (!idx)
		return NULL;
	const char *os, *arch;
	ac_docker_host_platform(&os, &arch);
	json_t *m, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(idx, "manifests"), i, m) {
		json_t *p = json_object_get(m, "platform");
		const char *mos = json_string_value(json_object_get(p, "os"));
		const char *march = json_string_value(json_object_get(p, "architecture"));
		if (mos && march && !strcmp(mos, os) && !strcmp(march, arch)) {
			found = pick_platform(c, m, depth + 1, err);
			break;
		}
	}
	json_decref(idx);
	if (!found && !(err && *err))
		ac_error_set(err, ENOENT, "no image for %s/%s in the index %s", os, arch, d);
	return found;
}

static int load_oci(struct ctx *c, json_t *index, struct image *im, struct ac_docker_result *res, ac_error **err)
{
	struct cands cs = { 0 };
	int ret = -1;
	json_t *mans = json_object_get(index, "manifests"), *d, *desc = NULL, *man = NULL;
	size_t i;
	_cleanup_free_ char *mp = NULL, *cp = NULL;
	json_array_foreach(mans, i, d) {
		json_t *an = json_object_get(d, "annotations");
		const char *cname = json_string_value(json_object_get(an, "io.containerd.image.name"));
		const char *ref = json_string_value(json_object_get(an, "org.opencontainers.image.ref.name"));
		if (cname) {
			if (add_ref_cand(&cs, cname, i, NULL, err) < 0)
				goto out;
		} else if (ref && !strchr(ref, '/') && !strchr(ref, ':')) {
			cands_add(&cs, c->basename, ref, i, NULL);
		} else if (ref) {
			if (add_ref_cand(&cs, ref, i, NULL, err) < 0)
				goto out;
		} else {
			cands_add(&cs, c->basename, "", i, NULL);
		}
	}
	const struct cand *hit = choose(c, &cs, &im->ref, res, err);
	if (!hit)
		goto out;
	desc = pick_platform(c, json_array_get(mans, hit->idx), 0, err);
	if (!desc)
		goto out;
	const char *md = json_string_value(json_object_get(desc, "digest"));
	mp = md ? blob_path(md, err) : NULL;
	if (!mp) {
		if (!md)
			ac_error_set(err, EBADMSG, "index.json: descriptor without a digest");
		goto out;
	}
	man = read_json(c, mp, md, err);
	if (!man)
		goto out;
	json_t *cd = json_object_get(man, "config");
	const char *cdig = json_string_value(json_object_get(cd, "digest"));
	if (!cdig) {
		ac_error_set(err, EBADMSG, "manifest does not contain a config");
		goto out;
	}
	cp = blob_path(cdig, err);
	if (!cp)
		goto out;
	json_t *config = read_json(c, cp, cdig, err);
	if (!config)
		goto out;
	json_t *lys = json_object_get(man, "layers");
	size_t n = json_array_size(lys);
	char **paths = xcalloc(n + 1, sizeof(*paths)), **digs = xcalloc(n + 1, sizeof(*digs));
	int bad = 0;
	for (i = 0; i < n; i++) {
		const char *ld = json_string_value(json_object_get(json_array_get(lys, i), "digest"));
		if (!ld || !(paths[i] = blob_path(ld, err))) {
			if (!ld)
				ac_error_set(err, EBADMSG, "layer %zu without a digest", i);
			bad = 1;
			break;
		}
		digs[i] = xstrdup(ld);
	}
	im->manhash = xstrdup(cdig);
	ret = bad ? -1 : set_v22_layers(im, config, paths, digs, n, err);
	for (i = 0; i < n; i++) {
		free(paths[i]);
		free(digs[i]);
	}
	free(paths);
	free(digs);
	json_decref(config);
out:
	json_decref(man);
	json_decref(desc);
	cands_free(&cs);
	return ret;
}

/* Docker <= 24 writes the legacy layout next to manifest.json; the
 * original reads that one, so we do too when it is complete. */
static int legacy_usable(struct ctx *c, json_t *repos)
{
	const char *key, *tag;
	json_t *tags, *id;
	json_object_foreach(repos, key, tags) {
		json_object_foreach(tags, tag, id) {
			const char *s = json_string_value(id);
			if (!s || ac_docker_check_layer_id(s, NULL) < 0)
				return 0;
			_cleanup_free_ char *p = xasprintf("%s/json", s);
			if (!exists(c, p))
				return 0;
		}
	}
	return 1;
}

/* Docker 1.10-24: the legacy layer.tar files are the layers of the
 * manifest.json entry listing the same chain, so its config's diff_ids
 * check them while they are read.  A chain no entry lists is left as is. */
static int legacy_diff_ids(struct ctx *c, json_t *mf, struct image *im, ac_error **err)
{
	size_t i, j;
	json_t *e;
	json_array_foreach(mf, i, e) {
		json_t *lys = json_object_get(e, "Layers");
		if (json_array_size(lys) != im->n)
			continue;
		for (j = 0; j < im->n; j++) {
			const char *p = json_string_value(json_array_get(lys, j));
			_cleanup_free_ char *cl = p ? ac_path_clean(p) : NULL;
			if (!cl || strcmp(cl, im->layers[j].path))
				break;
		}
		const char *cfgp = json_string_value(json_object_get(e, "Config"));
		if (j < im->n || !cfgp)
			continue;
		_cleanup_free_ char *cdig = digest_of_path(cfgp);
		json_t *config = read_json(c, cfgp, cdig, err);
		if (!config)
			return -1;
		json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
		int ret = 0;
		if (json_array_size(diff_ids) != im->n)
			ret = ac_error_set(err, EINVAL, "the image config lists %zu layers (diff_ids), the manifest %zu",
					   json_array_size(diff_ids), im->n);
		for (j = 0; ret == 0 && j < im->n; j++) {
			const char *di = json_string_value(json_array_get(diff_ids, j));
			if (!di || ac_docker_check_digest(di, err) < 0)
				ret = di ? ac_error_wrap(err, "image config")
					 : ac_error_set(err, EINVAL, "image config: diff_ids[%zu] is not a string", j);
			else
				im->layers[j].diff_id = xstrdup(di);
		}
		json_decref(config);
		return ret;
	}
	return 0;
}

/* The pre-1.0 OCI layout: refs/<tag> files hold the descriptors that
 * index.json lists now; made into an index (tags sorted). */
static json_t *refs_index(struct ctx *c, ac_error **err)
{
	int fd = ac_open_in_root(c->rootfd, "refs", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, err);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		ac_error_errno(err, "refs");
		close(fd);
		return NULL;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 2) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
		names[n] = NULL;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_cstr);
	json_t *mans = json_array();
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = xasprintf("refs/%s", names[i]);
		json_t *desc = read_json(c, p, NULL, err);
		if (!desc || !json_is_object(desc)) {
			if (desc)
				ac_error_set(err, EBADMSG, "%s: not a descriptor", p);
			json_decref(desc);
			json_decref(mans);
			mans = NULL;
			break;
		}
		json_t *an = json_object_get(desc, "annotations");
		if (!json_is_object(an))
			json_object_set_new(desc, "annotations", an = json_object());
		json_object_set_new(an, "org.opencontainers.image.ref.name", json_string(names[i]));
		json_array_append_new(mans, desc);
	}
	ac_strv_free(names);
	return mans ? json_pack("{s:o}", "manifests", mans) : NULL;
}

static int load_image(struct ctx *c, struct image *im, struct ac_docker_result *res, ac_error **err)
{
	logf_(c->o, 1, "Getting image info...");
	int have_repos = exists(c, "repositories"), have_mf = exists(c, "manifest.json");
	if (have_repos) {
		json_t *repos = read_json(c, "repositories", NULL, err);
		if (!repos)
			return -1;
		if (!json_is_object(repos)) {
			json_decref(repos);
			return ac_error_set(err, EBADMSG, "error unmarshaling repositories file");
		}
		if (!have_mf || legacy_usable(c, repos)) {
			int r = load_legacy(c, repos, im, res, err);
			json_decref(repos);
			if (r == 0 && have_mf) {
				json_t *mf = read_json(c, "manifest.json", NULL, err);
				r = mf ? legacy_diff_ids(c, mf, im, err) : -1;
				json_decref(mf);
			}
			return r;
		}
		json_decref(repos);
	}
	if (have_mf) {
		json_t *mf = read_json(c, "manifest.json", NULL, err);
		if (!mf)
			return -1;
		int r = load_docker_manifest(c, mf, im, res, err);
		json_decref(mf);
		return r;
	}
	if (exists(c, "index.json")) {
		json_t *idx = read_json(c, "index.json", NULL, err);
		if (!idx)
			return -1;
		int r = load_oci(c, idx, im, res, err);
		json_decref(idx);
		return r;
	}
	if (exists(c, "refs")) {
		json_t *idx = refs_index(c, err);
		if (!idx)
			return -1;
		int r = load_oci(c, idx, im, res, err);
		json_decref(idx);
		return r;
	}
	return ac_error_set(err, ENOENT, "Could not find image");
}

/* ---- writing ACIs ---- */

static json_t *canonical(json_t *m, ac_error **err)
{
	_cleanup_free_ char *s = json_dumps(m, JSON_COMPACT);
	json_t *cm = ac_manifest_parse(s, strlen(s), err);
	if (!cm)
		ac_error_wrap(err, "invalid manifest generated");
	return cm;
}

static int write_aci(struct ctx *c, ac_layer_tree *t, json_t *cm, int only_last, const char *path, ac_error **err)
{
	_cleanup_free_ char *dir = xstrdup(path);
	char *sl = strrchr(dir, '/');
	if (sl) {
		*sl = '\0';
		if (*dir && ac_mkdir_p(dir, 0755, err) < 0)
			return ac_error_wrap(err, "error creating ACI parent dir");
	}
	_cleanup_free_ char *json = ac_manifest_serialize(cm, 0, err);
	if (!json)
		return ac_error_wrap(err, "invalid manifest generated");
	ac_outfile out;
	if (ac_outfile_open(&out, path, 0644, AC_OUT_OVERWRITE, err) < 0)
		return -1;
	struct ac_aci_write_opts wo = { 0 };
	wo.comp = c->o->comp;
	wo.no_image_id = 1; /* nobody asks for it: spares hashing the whole tar */
	ac_aci_writer *w = ac_aci_writer_new(out.fd, &wo, err);
	int r = -1;
	if (!w)
		goto fail;
	if (ac_aci_writer_add_manifest(w, json, strlen(json), 0, err) < 0 || ac_layer_tree_write(t, w, only_last, err) < 0 ||
	    ac_aci_writer_finish(w, NULL, err) < 0)
		goto fail;
	/* Not read back to validate: the tree gives each path once, sorted,
	 * cleaned and below rootfs, hard links only to earlier non-directory
	 * entries, nothing below a non-directory (the tests validate every
	 * output with actool).  Reading it back cost a fifth of a conversion. */
	r = ac_outfile_commit(&out, err);
	if (r < 0)
		goto fail;
	ac_aci_writer_free(w);
	return 0;
fail:
	ac_aci_writer_free(w);
	ac_outfile_abort(&out);
	return -1;
}

static char *join_out(struct ctx *c, const char *name)
{
	const char *d = c->o->output_dir && *c->o->output_dir ? c->o->output_dir : ".";
	_cleanup_free_ char *p = xasprintf("%s/%s", d, name);
	return ac_path_clean(p);
}

/* generateACIPath */
static char *layer_aci_path(struct ctx *c, const char *base, const char *tag, const char *os, const char *arch, long num)
{
	_cleanup_free_ char *s = xstrdup(base);
	char *t;
#define APPEND(fmt, ...) (t = xasprintf("%s" fmt, s, __VA_ARGS__), free(s), s = t)
	if (*tag)
		APPEND("-%s", tag);
	if (*os) {
		APPEND("-%s", os);
		if (*arch)
			APPEND("-%s", arch);
	}
	if (num >= 0)
		APPEND("-%ld", num);
#undef APPEND
	_cleanup_free_ char *f = xasprintf("%s.aci", s);
	/* path.Join keeps the "/" of a v22 base: a subdirectory of the output */
	const char *rel = f;
	while (*rel == '/')
		rel++;
	_cleanup_free_ char *clean = ac_path_clean(rel);
	if (!strcmp(clean, "..") || ac_str_has_prefix(clean, "../"))
		return NULL;
	return join_out(c, clean);
}

static char *squashed_path(struct ctx *c, const struct ac_docker_ref *u)
{
	if (c->o->output_file)
		return xstrdup(c->o->output_file);
	_cleanup_free_ char *n = xstrdup(u->image_name);
	for (char *p = n; *p; p++)
		if (*p == '/')
			*p = '-';
	_cleanup_free_ char *f = *u->tag ? xasprintf("%s-%s.aci", n, u->tag) : xasprintf("%s.aci", n);
	return join_out(c, f);
}

static void res_add(struct ac_docker_result *res, const char *path)
{
	size_t n = ac_strv_len(res->acis);
	res->acis = xrealloc(res->acis, (n + 2) * sizeof(*res->acis));
	res->acis[n] = xstrdup(path);
	res->acis[n + 1] = NULL;
}

static int apply_layer(struct ctx *c, ac_layer_tree *t, const struct layer *l, int quiet, ac_error **err)
{
	logf_(c->o, quiet, "Extracting  %s", l->path);
	_cleanup_close_ int fd = ac_open_in_root(c->rootfd, l->path, O_RDONLY | O_CLOEXEC, 0, err);
	if (fd < 0)
		return ac_error_wrap(err, "error getting layer from file");
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return ac_error_set(err, EINVAL, "error getting layer from file: %s is not a regular file", l->path);
	struct ac_layer_src src = { fd, l->path, l->digest, l->diff_id };
	return ac_layer_tree_apply(t, &src, err);
}

/* The manifest of layer i (its ACI name and labels; v22 lower layers get
 * only a name). */
static json_t *layer_manifest(struct image *im, size_t i, json_t *lower, ac_error **err)
{
	const struct layer *l = &im->layers[i];
	if (im->kind == KIND_V1)
		return ac_docker_manifest_v1(l->v1, l->id, im->manhash, &im->ref, err);
	_cleanup_free_ char *raw = xasprintf("%s/%s-%s", im->ref.index_url, im->ref.image_name, l->id);
	_cleanup_free_ char *name = ac_sanitize_acidentifier(raw);
	if (!name) {
		ac_error_set(err, EINVAL, "cannot make an image name of \"%s\"", raw);
		return NULL;
	}
	if (i + 1 < im->n)
		return ac_docker_manifest_empty(name, err);
	return ac_docker_manifest_v22(name, im->manhash, im->image_digest, &im->ref, im->config, lower, err);
}

static int convert(struct ctx *c, struct image *im, struct ac_docker_result *res, ac_error **err)
{
	ac_layer_tree *t = ac_layer_tree_new(c->o->tmp_dir, err);
	if (!t)
		return -1;
	int ret = -1;
	json_t *lower = json_array(), *m = NULL, *cm = NULL;
	for (size_t i = 0; i < im->n; i++) {
		if (im->wait_layer && im->wait_layer(im->wait_arg, i, err) < 0)
			goto out;
		if (apply_layer(c, t, &im->layers[i], im->remote, err) < 0)
			goto out;
		if (!c->o->nosquash)
			continue;
		logf_(c->o, 1, "Generating layer ACI...");
		m = layer_manifest(im, i, lower, err);
		if (!m || ac_layer_tree_add_stdio(t, err) < 0)
			goto out;
		json_object_set_new(m, "pathWhitelist", ac_layer_tree_whitelist(t));
		if (!(cm = canonical(m, err)))
			goto out;
		_cleanup_free_ char *path = NULL;
		if (im->kind == KIND_V1) {
			const struct layer *l = &im->layers[i];
			_cleanup_free_ char *base = xstrdup(im->ref.image_name);
			for (char *p = base; *p; p++)
				if (*p == '/')
					*p = '-';
			json_t *os = json_object_get(l->v1, "os"), *arch = json_object_get(l->v1, "architecture");
			path = layer_aci_path(c, base, im->ref.tag, json_is_string(os) ? json_string_value(os) : "",
					      json_is_string(arch) ? json_string_value(arch) : "", (long)(im->n - 1 - i));
		} else {
			const char *os, *arch;
			ac_docker_host_platform(&os, &arch);
			_cleanup_free_ char *base = xasprintf("%s/%s-%s", im->ref.index_url, im->ref.image_name,
							      im->layers[i].id);
			path = layer_aci_path(c, base, im->ref.tag, os, arch, -1);
		}
		if (!path) {
			ac_error_set(err, EINVAL, "image name \"%s\" leads outside the output directory", im->ref.image_name);
			goto out;
		}
		if (write_aci(c, t, cm, 1, path, err) < 0)
			goto out;
		res_add(res, path);
		json_array_append_new(lower, m);
		m = NULL;
		json_decref(res->manifest);
		res->manifest = cm;
		cm = NULL;
	}
	if (!c->o->nosquash) {
		logf_(c->o, 1, "Squashing layers...");
		m = layer_manifest(im, im->n - 1, NULL, err);
		if (!m || ac_docker_manifest_squash(m, err) < 0 || !(cm = canonical(m, err)) ||
		    ac_layer_tree_add_stdio(t, err) < 0)
			goto out;
		_cleanup_free_ char *path = squashed_path(c, &im->ref);
		logf_(c->o, 1, "Writing squashed ACI...");
		if (write_aci(c, t, cm, 0, path, err) < 0)
			goto out;
		logf_(c->o, 1, "ACI squashed!");
		res_add(res, path);
		res->manifest = cm;
		cm = NULL;
	}
	ret = 0;
out:
	json_decref(m);
	json_decref(cm);
	json_decref(lower);
	ac_layer_tree_free(t);
	return ret;
}

/* ---- entry point ---- */

static int open_input(struct ctx *c, const char *path, ac_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return ac_error_errno(err, "error opening file");
	if (S_ISDIR(st.st_mode)) {
		c->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return c->rootfd < 0 ? ac_error_errno(err, "error opening %s", path) : 0;
	}
	c->tmp = ac_mkdtemp(c->o->tmp_dir && *c->o->tmp_dir ? c->o->tmp_dir : ac_tmpdir(), "docker2aci", err);
	if (!c->tmp)
		return -1;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "error opening file");
	ac_aci_reader *r = ac_aci_reader_open(fd, path, err);
	if (!r)
		return -1;
	struct ac_extract_opts eo;
	ac_extract_opts_default(&eo);
	eo.same_owner = 0;
	eo.allow_devices = 0;
	_cleanup_free_ char *root = xasprintf("%s/in", c->tmp);
	int ret = ac_extract(r, root, &eo, err);
	ac_aci_reader_free(r);
	if (ret < 0)
		return -1;
	c->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c->rootfd < 0 ? ac_error_errno(err, "error opening %s", root) : 0;
}

int ac_docker_convert_file(const char *path, const struct ac_docker_opts *o, struct ac_docker_result *res,
			   ac_error **err)
{
	memset(res, 0, sizeof(*res));
	struct ctx c = { .o = o, .rootfd = -1 };
	const char *b = strrchr(path, '/');
	_cleanup_free_ char *bn = xstrdup(b && b[1] ? b + 1 : path);
	bn[strcspn(bn, ".")] = '\0';
	c.basename = *bn ? bn : (char *)"image";
	struct image im = { 0 };
	int ret = open_input(&c, path, err);
	if (ret == 0)
		ret = load_image(&c, &im, res, err);
	if (ret == 0)
		ret = convert(&c, &im, res, err);
	image_free(&im);
	if (c.rootfd >= 0)
		close(c.rootfd);
	if (c.tmp) {
		ac_rm_rf(c.tmp, NULL);
		free(c.tmp);
	}
	if (ret < 0 && res->acis) {
		ac_strv_free(res->acis);
		res->acis = NULL;
	}
	return ret;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int ac_docker_convert_pulled(int rootfd, const struct ac_docker_pulled *p, const struct ac_docker_opts *o,
			     struct ac_docker_result *res, ac_error **err)
{
	memset(res, 0, sizeof(*res));
	if (!p->n)
		return ac_error_set(err, EINVAL, "insufficient layers for oci image");
	struct ctx c = { .o = o, .rootfd = rootfd, .basename = (char *)"image" };
	struct image im = { 0 };
	im.kind = p->schema1 ? KIND_V1 : KIND_V22;
	im.remote = 1;
	im.wait_layer = p->wait_layer;
	im.wait_arg = p->wait_arg;
	im.ref.original = xstrdup(p->ref->original);
	im.ref.index_url = xstrdup(p->ref->index_url);
	im.ref.image_name = xstrdup(p->ref->image_name);
	im.ref.tag = xstrdup(p->ref->tag);
	im.ref.digest = xstrdup(p->ref->digest);
	im.config = json_incref(p->config);
	im.manhash = dup_or_null(p->manhash);
	im.image_digest = dup_or_null(p->image_digest);
	for (size_t i = 0; i < p->n; i++) {
		struct layer *l = add_layer(&im);
		l->path = xstrdup(p->layers[i].path);
		l->digest = dup_or_null(p->layers[i].digest);
		l->diff_id = dup_or_null(p->layers[i].diff_id);
		l->id = xstrdup(p->layers[i].id);
		l->v1 = json_incref(p->layers[i].v1);
	}
	int ret = convert(&c, &im, res, err);
	image_free(&im);
	if (ret < 0 && res->acis) {
		ac_strv_free(res->acis);
		res->acis = NULL;
	}
	return ret;
}

void ac_docker_result_free(struct ac_docker_result *r)
{
	ac_strv_free(r->acis);
	ac_strv_free(r->images);
	json_decref(r->manifest);
	memset(r, 0, sizeof(*r));
}
