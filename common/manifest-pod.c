/* PodManifest decoding and validation (appc/spec v0.8.11 schema/pod.go,
 * schema/types/volume.go), with the ImageManifest's building blocks. As in
 * the original, only the decoding hooks and PodManifest.assertValid run:
 * acVersion is not required, pod-level isolators get no set rules (an
 * unknown one passes), and Mount.assertValid is never called. */
#include "manifest-internal.h"

#include <arpa/inet.h>

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

/* Volume.UnmarshalJSON: the ACName hook, maybeSetDefaults, assertValid. */
static int v_volume(json_t *vol, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *name, *kind, *source, *mode_s;
	json_t *num;
	int has_mode, has_uid, has_gid;
	if (mf_check_id_field(vol, "name", path, 1, mode, err) < 0 ||
	    mf_get_str(vol, "name", path, &name, err) < 0 || mf_get_str(vol, "kind", path, &kind, err) < 0 ||
	    mf_get_str(vol, "source", path, &source, err) < 0 || mf_get_bool(vol, "readOnly", path, err) < 0 ||
	    mf_get_bool(vol, "recursive", path, err) < 0 ||
	    (has_mode = mf_get_str(vol, "mode", path, &mode_s, err)) < 0 ||
	    (has_uid = mf_get_scalar(vol, "uid", path, MF_OPTINT, &num, err)) < 0 ||
	    (has_gid = mf_get_scalar(vol, "gid", path, MF_OPTINT, &num, err)) < 0)
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
		return mf_key_err(err, path, "name", "name must be set");
	if (!strcmp(kind, "empty")) {
		if (*source)
			return mf_key_err(err, path, "source", "source for empty volume must be empty");
		return 0;
	}
	if (!strcmp(kind, "host")) {
		if (!*source)
			return mf_key_err(err, path, "source", "source for host volume cannot be empty");
		if (has_mode)
			return mf_key_err(err, path, "mode", "mode for host volume cannot be set");
		if (has_uid)
			return mf_key_err(err, path, "uid", "uid for host volume cannot be set");
		if (has_gid)
			return mf_key_err(err, path, "gid", "gid for host volume cannot be set");
		if (source[0] != '/')
			return mf_key_err(err, path, "source", "source for host volume must be absolute path");
		return 0;
	}
	return mf_key_err(err, path, "kind", "unrecognized volume kind: should be one of \"empty\", \"host\"");
}

/* RuntimeImage: name (*ACIdentifier), id (Hash), labels. */
static int v_image(json_t *img, const char *path, enum mf_mode mode, ac_error **err)
{
	if (mf_check_id_field(img, "name", path, 0, mode, err) < 0 || mf_check_hash_field(img, "id", path, err) < 0 ||
	    mf_v_list(img, "labels", path, NULL, mf_v_labels, mode, err) < 0)
		return -1;
	return 0;
}

static int v_mount(json_t *mnt, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *s;
	if (mf_check_id_field(mnt, "volume", path, 1, mode, err) < 0 || mf_get_str(mnt, "path", path, &s, err) < 0 ||
	    mf_v_object(mnt, "appVolume", path, v_volume, mode, err) < 0)
		return -1;
	return 0;
}

static int v_app(json_t *a, const char *path, enum mf_mode mode, ac_error **err)
{
	if (mf_check_id_field(a, "name", path, 1, mode, err) < 0 ||
	    mf_v_object(a, "image", path, v_image, mode, err) < 0 ||
	    mf_v_object(a, "app", path, mf_v_app, mode, err) < 0 || mf_get_bool(a, "readOnlyRootFS", path, err) < 0 ||
	    mf_v_list(a, "mounts", path, v_mount, NULL, mode, err) < 0 ||
	    mf_v_list(a, "annotations", path, NULL, mf_v_annotations, mode, err) < 0)
		return -1;
	return 0;
}

/* AppList.assertValid */
static int v_app_names(json_t *apps, const char *path, enum mf_mode mode, ac_error **err)
{
	(void)mode;
	return mf_v_unique_names(apps, path, "duplicate apps of name ", "", err);
}

static int v_exposed_port(json_t *e, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *ip;
	uint64_t host_port;
	unsigned char addr[16];
	if (mf_check_id_field(e, "name", path, 1, mode, err) < 0 ||
	    mf_get_uint(e, "hostPort", path, &host_port, err) < 0 || mf_get_str(e, "hostIP", path, &ip, err) < 0)
		return -1;
	/* net.IP.UnmarshalText: "" is the nil IP */
	if (*ip && inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1)
		return mf_key_err(err, path, "hostIP", "invalid IP address: %s", ip);
	return mf_v_object(e, "podPort", path, mf_v_port, mode, err);
}

static int v_pod(json_t *m, enum mf_mode mode, ac_error **err)
{
	const char *kind;
	int has_kind = 0;
	if (mf_v_version(m, err) < 0 || (has_kind = mf_v_kind(m, &kind, err)) < 0 ||
	    mf_v_list(m, "apps", "", v_app, v_app_names, mode, err) < 0 ||
	    mf_v_list(m, "volumes", "", v_volume, NULL, mode, err) < 0 ||
	    mf_v_list(m, "isolators", "", mf_v_isolator, NULL, mode, err) < 0 ||
	    mf_v_list(m, "annotations", "", NULL, mf_v_annotations, mode, err) < 0 ||
	    mf_v_list(m, "ports", "", v_exposed_port, NULL, mode, err) < 0 ||
	    mf_get_strmap(m, "userAnnotations", "", err) < 0 || mf_get_strmap(m, "userLabels", "", err) < 0)
		return -1;

	/* PodManifest.assertValid */
	if (!has_kind || strcmp(kind, "PodManifest"))
		return mf_err(err, "acKind", "missing or bad ACKind (must be \"PodManifest\")");
	return mf_v_unique_names(json_object_get(m, "volumes"), "volumes", "duplicate volume name ", "", err);
}

/* The decoders' defaults, then the canonical key order. */
static void fill(json_t *m)
{
	mf_fill_version(m);
	json_t *apps = json_object_get(m, "apps");
	for (size_t i = 0; i < json_array_size(apps); i++)
		mf_fill_app(json_object_get(json_array_get(apps, i), "app"));
	json_t *ports = json_object_get(m, "ports");
	for (size_t i = 0; i < json_array_size(ports); i++)
		mf_fill_port_count(json_object_get(json_array_get(ports, i), "podPort"));
	mf_canonicalise(m, mf_pod_top);
}

json_t *ac_pod_manifest_parse(const char *buf, size_t len, ac_error **err)
{
	return mf_parse(buf, len, mf_pod_top, v_pod, fill, err);
}
