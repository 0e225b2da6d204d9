/* PodManifest decoding and validation (appc/spec v0.8.11 schema/pod.go,
 * schema/types/volume.go), with the ImageManifest's building blocks. As in
 * the original, only the decoding hooks and PodManifest.assertValid run:
 * acVersion is not required, pod-level isolators get no set rules (an
 * unknown one passes), and Mount.assertValid is never called. */
#include "manifest-internal.h"

#include <arpa/inet.h>
#include <inttypes.h>

static const struct mf_field mf_pod_volume[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "kind", MF_STR, NULL, 0 },
	{ "source", MF_STR, NULL, 1 },
	{ "readOnly", MF_OPTBOOL, NULL, 1 },
	{ "recursive", MF_OPTBOOL, NULL, 1 },
	{ "mode", MF_OPTSTR, NULL, 1 },
	{ "uid", MF_OPTINT, NULL, 1 },
	{ "gid", MF_OPTINT, NULL, 1 },
	{ NULL, 0, NULL, 0 },
};
static const struct mf_field mf_pod_mount[] = {
	{ "volume", MF_STR, NULL, 0 },
	{ "path", MF_STR, NULL, 0 },
	{ "appVolume", MF_STRUCT, mf_pod_volume, 1 },
	{ NULL, 0, NULL, 0 },
};
static const struct mf_field mf_pod_image[] = {
	{ "name", MF_OPTSTR, NULL, 1 },
	{ "id", MF_STR, NULL, 0 },
	{ "labels", MF_LIST, mf_label, 1 },
	{ NULL, 0, NULL, 0 },
};
static const struct mf_field mf_pod_app[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "image", MF_STRUCT, mf_pod_image, 0 },
	{ "app", MF_STRUCT, mf_app, 1 },
	{ "readOnlyRootFS", MF_BOOL, NULL, 1 },
	{ "mounts", MF_LIST, mf_pod_mount, 1 },
	{ "annotations", MF_LIST, mf_label, 1 },
	{ NULL, 0, NULL, 0 },
};
static const struct mf_field mf_pod_exposed_port[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "hostPort", MF_UINT, NULL, 0 },
	{ "hostIP", MF_STR, NULL, 1 },
	{ "podPort", MF_STRUCT, mf_port, 1 },
	{ NULL, 0, NULL, 0 },
};
static const struct mf_field mf_pod_top[] = {
	{ "acVersion", MF_STR, NULL, 0 },
	{ "acKind", MF_STR, NULL, 0 },
	{ "apps", MF_LIST, mf_pod_app, 0 },
	{ "volumes", MF_LIST, mf_pod_volume, 0 },
	{ "isolators", MF_LIST, mf_isolator, 0 },
	{ "annotations", MF_LIST, mf_label, 0 },
	{ "ports", MF_LIST, mf_pod_exposed_port, 0 },
	{ "userAnnotations", MF_STRMAP, NULL, 1 },
	{ "userLabels", MF_STRMAP, NULL, 1 },
	{ NULL, 0, NULL, 0 },
};

static int field_err(ac_error **err, const char *path, const char *key, const char *msg)
{
	char p[MF_PATH_MAX];
	mf_path_key(p, path, key);
	return mf_err(err, p, "%s", msg);
}

/* An optional integer (Go *int); 1 present, 0 absent. */
static int get_optint(json_t *o, const char *key, const char *path, ac_error **err)
{
	json_t *v = json_object_get(o, key);
	char p[MF_PATH_MAX];
	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		mf_path_key(p, path, key);
		return mf_type_error(err, p, "an integer", v);
	}
	return 1;
}

/* Volume.UnmarshalJSON: the ACName hook, maybeSetDefaults, assertValid. */
static int v_volume(json_t *vol, const char *path, ac_error **err)
{
	const char *name, *kind, *source, *mode;
	int has_mode, has_uid, has_gid;
	if (mf_check_id_field(vol, "name", path, 1, MF_DECODE, err) < 0 ||
	    mf_get_str(vol, "name", path, &name, err) < 0 || mf_get_str(vol, "kind", path, &kind, err) < 0 ||
	    mf_get_str(vol, "source", path, &source, err) < 0 || mf_get_bool(vol, "readOnly", path, err) < 0 ||
	    mf_get_bool(vol, "recursive", path, err) < 0 || (has_mode = mf_get_str(vol, "mode", path, &mode, err)) < 0 ||
	    (has_uid = get_optint(vol, "uid", path, err)) < 0 || (has_gid = get_optint(vol, "gid", path, err)) < 0)
		return -1;
	if (!strcmp(kind, "empty")) {
		if (!has_mode)
			json_object_set_new(vol, "mode", json_string("0755"));
		if (!has_uid)
			json_object_set_new(vol, "uid", json_integer(0));
		if (!has_gid)
			json_object_set_new(vol, "gid", json_integer(0));
	}
	if (!*name)
		return field_err(err, path, "name", "name must be set");
	if (!strcmp(kind, "empty")) {
		if (*source)
			return field_err(err, path, "source", "source for empty volume must be empty");
		return 0;
	}
	if (!strcmp(kind, "host")) {
		if (!*source)
			return field_err(err, path, "source", "source for host volume cannot be empty");
		if (has_mode)
			return field_err(err, path, "mode", "mode for host volume cannot be set");
		if (has_uid)
			return field_err(err, path, "uid", "uid for host volume cannot be set");
		if (has_gid)
			return field_err(err, path, "gid", "gid for host volume cannot be set");
		if (source[0] != '/')
			return field_err(err, path, "source", "source for host volume must be absolute path");
		return 0;
	}
	return field_err(err, path, "kind", "unrecognized volume kind: should be one of \"empty\", \"host\"");
}

/* RuntimeImage: name (*ACIdentifier), id (Hash), labels. */
static int v_image(json_t *img, const char *path, ac_error **err)
{
	const char *id, *msg;
	json_t *labels;
	char p[MF_PATH_MAX];
	int has_id;
	if (mf_check_id_field(img, "name", path, 0, MF_DECODE, err) < 0)
		return -1;
	if ((has_id = mf_get_str(img, "id", path, &id, err)) < 0)
		return -1;
	if (has_id && ac_check_hash(id, &msg) < 0)
		return field_err(err, path, "id", msg);
	mf_path_key(p, path, "labels");
	if (mf_get_list(img, "labels", path, MF_STRUCT, &labels, err) < 0 ||
	    mf_v_labels(labels, p, MF_DECODE, err) < 0)
		return -1;
	return 0;
}

static int v_apps(json_t *apps, const char *path, ac_error **err)
{
	size_t i;
	json_t *a, *list, *e;
	char p[MF_PATH_MAX], pf[MF_PATH_MAX], pe[MF_PATH_MAX];
	json_array_foreach(apps, i, a) {
		mf_path_index(p, path, i);
		if (mf_check_id_field(a, "name", p, 1, MF_DECODE, err) < 0)
			return -1;
		json_t *img = json_object_get(a, "image");
		mf_path_key(pf, p, "image");
		if (img && !json_is_null(img)) {
			if (!json_is_object(img))
				return mf_type_error(err, pf, "an object", img);
			if (v_image(img, pf, err) < 0)
				return -1;
		}
		json_t *app = json_object_get(a, "app");
		mf_path_key(pf, p, "app");
		if (app && !json_is_null(app)) {
			if (!json_is_object(app))
				return mf_type_error(err, pf, "an object", app);
			if (mf_v_app(app, pf, MF_DECODE, err) < 0)
				return -1;
		}
		if (mf_get_bool(a, "readOnlyRootFS", p, err) < 0)
			return -1;
		mf_path_key(pf, p, "mounts");
		if (mf_get_list(a, "mounts", p, MF_STRUCT, &list, err) < 0)
			return -1;
		size_t j;
		json_array_foreach(list, j, e) {
			const char *s;
			mf_path_index(pe, pf, j);
			if (mf_check_id_field(e, "volume", pe, 1, MF_DECODE, err) < 0 ||
			    mf_get_str(e, "path", pe, &s, err) < 0)
				return -1;
			json_t *av = json_object_get(e, "appVolume");
			if (av && !json_is_null(av)) {
				char pv[MF_PATH_MAX];
				mf_path_key(pv, pe, "appVolume");
				if (!json_is_object(av))
					return mf_type_error(err, pv, "an object", av);
				if (v_volume(av, pv, err) < 0)
					return -1;
			}
		}
		mf_path_key(pf, p, "annotations");
		if (mf_get_list(a, "annotations", p, MF_STRUCT, &list, err) < 0 ||
		    mf_v_annotations(list, pf, MF_DECODE, err) < 0)
			return -1;
	}
	/* AppList.assertValid */
	for (i = 0; i < json_array_size(apps); i++) {
		const char *name;
		mf_get_str(json_array_get(apps, i), "name", "", &name, NULL);
		for (size_t j = 0; j < i; j++) {
			const char *other;
			mf_get_str(json_array_get(apps, j), "name", "", &other, NULL);
			if (!strcmp(name, other)) {
				_cleanup_free_ char *q = mf_goquote(name);
				mf_path_index(p, path, i);
				mf_path_key(pf, p, "name");
				return mf_err(err, pf, "duplicate apps of name %s", q);
			}
		}
	}
	return 0;
}

/* Port.UnmarshalJSON's checks (types/port.go). */
static int v_port(json_t *port, const char *path, ac_error **err)
{
	const char *s;
	uint64_t n, count;
	char pf[MF_PATH_MAX];
	if (mf_check_id_field(port, "name", path, 1, MF_DECODE, err) < 0 ||
	    mf_get_str(port, "protocol", path, &s, err) < 0 || mf_get_uint(port, "port", path, &n, err) < 0 ||
	    mf_get_uint(port, "count", path, &count, err) < 0 || mf_get_bool(port, "socketActivated", path, err) < 0)
		return -1;
	if (n < 1 || n > 65535) {
		mf_path_key(pf, path, "port");
		return mf_err(err, pf, "port must be in 1-65535 range (got %" PRIu64 ")", n);
	}
	if (count > 65536 - n) {
		mf_path_key(pf, path, "count");
		return mf_err(err, pf, "end of port range must be in 1-65535 range (got port %" PRIu64 " count %" PRIu64 ")",
			      n, count);
	}
	return 0;
}

static int v_exposed_ports(json_t *ports, const char *path, ac_error **err)
{
	size_t i;
	json_t *e;
	char p[MF_PATH_MAX], pf[MF_PATH_MAX];
	json_array_foreach(ports, i, e) {
		const char *ip;
		uint64_t host_port;
		mf_path_index(p, path, i);
		if (mf_check_id_field(e, "name", p, 1, MF_DECODE, err) < 0 ||
		    mf_get_uint(e, "hostPort", p, &host_port, err) < 0 || mf_get_str(e, "hostIP", p, &ip, err) < 0)
			return -1;
		/* net.IP.UnmarshalText: "" is the nil IP */
		unsigned char addr[16];
		if (*ip && inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1) {
			mf_path_key(pf, p, "hostIP");
			return mf_err(err, pf, "invalid IP address: %s", ip);
		}
		json_t *pp = json_object_get(e, "podPort");
		if (pp && !json_is_null(pp)) {
			mf_path_key(pf, p, "podPort");
			if (!json_is_object(pp))
				return mf_type_error(err, pf, "an object", pp);
			if (v_port(pp, pf, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int v_pod(json_t *m, ac_error **err)
{
	const char *kind, *version, *msg;
	json_t *list;
	int has_kind, has_version;
	char p[MF_PATH_MAX], pf[MF_PATH_MAX];

	if ((has_version = mf_get_str(m, "acVersion", "", &version, err)) < 0)
		return -1;
	if (has_version && (msg = mf_check_semver(version, NULL)))
		return mf_err(err, "acVersion", "%s", msg);
	if ((has_kind = mf_get_str(m, "acKind", "", &kind, err)) < 0)
		return -1;
	if (has_kind && strcmp(kind, "ImageManifest") && strcmp(kind, "PodManifest")) {
		if (!*kind)
			return mf_err(err, "acKind", "ACKind must be set");
		return mf_err(err, "acKind", "bad ACKind: %s", kind);
	}
	if (mf_get_list(m, "apps", "", MF_STRUCT, &list, err) < 0 || v_apps(list, "apps", err) < 0)
		return -1;
	if (mf_get_list(m, "volumes", "", MF_STRUCT, &list, err) < 0)
		return -1;
	for (size_t i = 0; i < json_array_size(list); i++) {
		mf_path_index(p, "volumes", i);
		if (v_volume(json_array_get(list, i), p, err) < 0)
			return -1;
	}
	if (mf_get_list(m, "isolators", "", MF_STRUCT, &list, err) < 0 ||
	    mf_v_isolators(list, "isolators", MF_DECODE, err) < 0)
		return -1;
	if (mf_get_list(m, "annotations", "", MF_STRUCT, &list, err) < 0 ||
	    mf_v_annotations(list, "annotations", MF_DECODE, err) < 0)
		return -1;
	if (mf_get_list(m, "ports", "", MF_STRUCT, &list, err) < 0 || v_exposed_ports(list, "ports", err) < 0)
		return -1;
	if (mf_get_strmap(m, "userAnnotations", "", err) < 0 || mf_get_strmap(m, "userLabels", "", err) < 0)
		return -1;

	/* PodManifest.assertValid */
	if (!has_kind || strcmp(kind, "PodManifest"))
		return mf_err(err, "acKind", "missing or bad ACKind (must be \"PodManifest\")");
	mf_get_list(m, "volumes", "", MF_STRUCT, &list, NULL);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *name;
		mf_get_str(json_array_get(list, i), "name", "", &name, NULL);
		for (size_t j = 0; j < i; j++) {
			const char *other;
			mf_get_str(json_array_get(list, j), "name", "", &other, NULL);
			if (!strcmp(name, other)) {
				_cleanup_free_ char *q = mf_goquote(name);
				mf_path_index(p, "volumes", i);
				mf_path_key(pf, p, "name");
				return mf_err(err, pf, "duplicate volume name %s", q);
			}
		}
	}
	return 0;
}

/* The decoders' defaults, then the canonical key order. */
static void fill(json_t *m)
{
	const char *v = json_string_value(json_object_get(m, "acVersion"));
	char *canon = NULL;
	if (v && !mf_check_semver(v, &canon))
		json_object_set_new(m, "acVersion", json_string(canon));
	free(canon);
	json_t *apps = json_object_get(m, "apps");
	for (size_t i = 0; i < json_array_size(apps); i++)
		mf_fill_port_counts(json_object_get(json_object_get(json_array_get(apps, i), "app"), "ports"));
	json_t *ports = json_object_get(m, "ports");
	for (size_t i = 0; i < json_array_size(ports); i++) {
		json_t *pp = json_object_get(json_array_get(ports, i), "podPort");
		if (json_is_object(pp)) {
			json_t *one = json_pack("[O]", pp);
			mf_fill_port_counts(one);
			json_decref(one);
		}
	}
	mf_canonicalise(m, mf_pod_top);
}

json_t *ac_pod_manifest_parse(const char *buf, size_t len, ac_error **err)
{
	json_t *in = mf_load(buf, len, err);
	if (!in)
		return NULL;
	json_t *m = mf_norm_struct(in, mf_pod_top, "", err);
	json_decref(in);
	if (!m)
		return NULL;
	if (v_pod(m, err) < 0) {
		json_decref(m);
		return NULL;
	}
	fill(m);
	return m;
}
