/* Docker/OCI image → ACI conversion (docker2aci), shared by docker2aci,
 * acbuild and acrun.
 *
 * Local inputs (a tar, optionally compressed, or a directory): legacy
 * "docker save" (repositories, <id>/json, <id>/layer.tar), Docker 1.10+
 * "docker save" (manifest.json; Docker >= 25 adds an OCI layout), skopeo
 * docker-archive (layer.tar symlinks), and OCI image layouts (index.json).
 * The manifest mapping and the output file names follow docker2aci v0.17.2
 * (see docker2aci.md); layers are squashed with full whiteout semantics
 * (docker-layer.h). */
#ifndef AC_DOCKER_H
#define AC_DOCKER_H

#include <jansson.h>
#include "ac/aci.h"
#include "ac/compress.h"
#include "ac/error.h"

#define AC_DOCKER2ACI_VERSION "v0.17.2"
#define AC_DOCKER_APPC_VERSION "0.8.10" /* acVersion of converted manifests */

/* ---- image references (common.ParsedDockerURL) ---- */
struct ac_docker_ref {
	char *original;   /* as typed */
	char *index_url;  /* "registry-1.docker.io", "quay.io", "" for file input */
	char *image_name; /* "library/busybox" */
	char *tag;        /* "latest" by default; "" for digest references */
	char *digest;     /* "" unless name@sha256:... */
};

/* reference.ParseNormalizedNamed + SplitReposName, as the original. */
int ac_docker_parse_ref(const char *s, struct ac_docker_ref *out, ac_error **err);
void ac_docker_ref_free(struct ac_docker_ref *r);
/* `^(\w+:)?([A-Fa-f0-9]+)$`, else `invalid layer ID "X"` (CVE-2016-7569). */
int ac_docker_check_layer_id(const char *id, ac_error **err);
/* "sha256:<64 lowercase hex>" (the only digest we accept in paths). */
int ac_docker_check_digest(const char *d, ac_error **err);

/* ---- manifest mapping (docker-manifest.c) ---- */

/* GenerateManifest: a v1 layer JSON ("docker save" <id>/json, schema1
 * v1Compatibility).  Returns a new manifest tree (not yet canonical). */
json_t *ac_docker_manifest_v1(json_t *layer, const char *id, const char *manhash, const struct ac_docker_ref *u,
			      ac_error **err);
/* GenerateEmptyManifest: name + os/arch of the running machine. */
json_t *ac_docker_manifest_empty(const char *name, ac_error **err);
/* GenerateManifestV22: an image config (schema2/OCI); lower is an array of
 * lower-layer manifests (for dependencies) or NULL. */
json_t *ac_docker_manifest_v22(const char *name, const char *manhash, const char *image_digest,
			       const struct ac_docker_ref *u, json_t *config, json_t *lower, ac_error **err);
/* The squashed manifest: the top layer's without the "layer" label,
 * dependencies and pathWhitelist, its name cut at the last "-". */
int ac_docker_manifest_squash(json_t *m, ac_error **err);
/* ToAppcOSArch (without variant): 0, or -1 when untranslatable. */
int ac_docker_appc_os_arch(const char *os, const char *arch, const char **aos, const char **aarch);
/* The Go GOOS/GOARCH of the running machine. */
void ac_docker_host_platform(const char **os, const char **arch);

/* ---- file conversion (docker-file.c) ---- */
typedef void (*ac_docker_log_fn)(void *arg, int debug, const char *msg);

struct ac_docker_opts {
	const char *image;       /* -image NAME[:TAG]; NULL or "": the only image */
	int nosquash;            /* one ACI per layer */
	struct ac_compress_opts comp;
	const char *output_dir;  /* NULL: "." */
	const char *output_file; /* squash only: write here instead of the original's name */
	const char *tmp_dir;     /* NULL: $TMPDIR or /tmp */
	ac_docker_log_fn log;    /* info (debug == 0) and debug lines; NULL: none */
	void *log_arg;
};

struct ac_docker_result {
	char **acis;      /* NULL-terminated paths of the written ACIs (base first) */
	json_t *manifest; /* canonical manifest of the last one */
	char **images;    /* with AC_DOCKER_ESEVERAL: sorted names to choose from */
};

/* err->code of "several images found" (the CLI appends the list). */
#define AC_DOCKER_ESEVERAL 0x5e7e

int ac_docker_convert_file(const char *path, const struct ac_docker_opts *o, struct ac_docker_result *res,
			   ac_error **err);
void ac_docker_result_free(struct ac_docker_result *r);

/* ---- pulled images (registry.h hands them over) ---- */
struct ac_docker_pulled_layer {
	const char *path;    /* inside the root directory */
	const char *digest;  /* "sha256:..." to check again while reading, or NULL */
	const char *diff_id; /* "sha256:..." of the uncompressed tar, or NULL */
	const char *id;      /* schema1: the v1 layer ID; v22: the name part as the
			      * original (the digest at the top, "sha256-<hex>" below) */
	json_t *v1;          /* schema1: the layer's v1Compatibility */
};

struct ac_docker_pulled {
	int schema1;
	const struct ac_docker_ref *ref;
	json_t *config;          /* v22: the image config */
	const char *manhash;     /* "sha256:..." of the manifest bytes */
	const char *image_digest; /* v22: the top layer's digest */
	const struct ac_docker_pulled_layer *layers; /* base first */
	size_t n;
	/* Blocks until layer i is complete in the root (downloads run in
	 * parallel with the conversion); NULL: all are there. */
	int (*wait_layer)(void *arg, size_t i, ac_error **err);
	void *wait_arg;
};

int ac_docker_convert_pulled(int rootfd, const struct ac_docker_pulled *p, const struct ac_docker_opts *o,
			     struct ac_docker_result *res, ac_error **err);

#endif
