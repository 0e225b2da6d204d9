/* The runner library: an image store keyed by image ID, rendered trees
 * cached by image ID, signature trust, and running one app in namespaces.
 * Library code never prints and never exits; errors go through ac_error,
 * warnings through a callback the CLI provides. */
#ifndef ACRUN_RUNNER_H
#define ACRUN_RUNNER_H

#include <sys/types.h>
#include <jansson.h>
#include "ac/digest.h"
#include "ac/error.h"
#include "ac/trust.h"

/* ---- the store ----
 *   DIR/images/<id>/image.aci      the archive as fetched (its ID verified)
 *   DIR/images/<id>/manifest       canonical manifest
 *   DIR/images/<id>/rendered/      the rendered tree (rootfs/), read-only use
 *   DIR/files/<sha256 of a file>   image ID of a file seen before
 *   DIR/pods/<uuid>/               one run: state, upper/work layers
 *   DIR/tmp/                       work in progress, renamed into place
 *   DIR/lock                       shared by importers, exclusive for gc */
struct acr_store {
	char *dir;
	int dirfd;
	int lockfd; /* -1, or the store lock while held */
};

int acr_store_open(struct acr_store *s, const char *dir, ac_error **err);
void acr_store_close(struct acr_store *s);
/* The shared (importers, runs while rendering) or exclusive (gc, rm) lock. */
int acr_store_lock(struct acr_store *s, int exclusive, ac_error **err);
void acr_store_unlock(struct acr_store *s);

/* Copies the ACI file into the store (verifying its image ID while reading
 * it) unless an identical file is already known.  id receives the image ID.
 * If sig_ok is given it is called on the stored copy (fd at offset 0) and
 * the manifest before anything is renamed into place; it returns 0 or -1. */
typedef int (*acr_verify_fn)(int aci_fd, const char *aci_name, json_t *manifest, void *arg, ac_error **err);
int acr_store_import(struct acr_store *s, const char *path, acr_verify_fn verify, void *varg,
		     char id[AC_IMAGE_ID_LEN + 1], ac_error **err);
/* Resolves an image ID or an unambiguous prefix of one ("sha512-abcd"). */
int acr_store_resolve(struct acr_store *s, const char *ref, char id[AC_IMAGE_ID_LEN + 1], ac_error **err);
/* The stored manifest (new reference). */
json_t *acr_store_manifest(struct acr_store *s, const char *id, ac_error **err);
/* Renders the image (cached): *rootfs is the malloc'ed path of its tree.
 * Dependencies are resolved as acr_deps_resolve does with default options
 * (the store, then discovery over HTTPS) and flattened into the tree. */
int acr_store_render(struct acr_store *s, const char *id, char **rootfs, ac_error **err);

/* ---- dependencies ---- */
struct ac_fetch_opts;
struct acr_deps_opts {
	const struct ac_fetch_opts *fetch; /* discovery for what the stores lack */
	int no_fetch;                      /* the stores only */
	struct acr_store *also;            /* searched after the store (read-only); found images are copied */
	acr_verify_fn verify;              /* checks a fetched image before it is stored (optional) */
	void *varg;
	void (*debug)(const char *msg);
};
/* Finds the dependencies of manifest, in the spec's order: by imageID or by
 * name and labels in the store (then o->also), else fetched by name and
 * stored; name, labels, imageID and size (the archive's bytes, enforced
 * while downloading) checked; their own dependencies resolved the same way
 * and cycles refused.  *ids receives the direct dependencies' image IDs
 * (NULL-terminated, ac_strv_free). */
int acr_deps_resolve(struct acr_store *s, json_t *manifest, const struct acr_deps_opts *o, char ***ids,
		     ac_error **err);
/* acr_store_render with the dependencies resolved by o (NULL: defaults):
 * each image's tree is its dependencies' trees in order, its own rootfs on
 * top, filtered by its pathWhitelist. */
int acr_store_render_deps(struct acr_store *s, const char *id, const struct acr_deps_opts *o, char **rootfs,
			  ac_error **err);
/* Sorted list of stored image IDs (NULL-terminated, ac_strv_free). */
char **acr_store_images(struct acr_store *s, ac_error **err);
/* Removes an image (refused while a running pod uses it). */
int acr_store_remove(struct acr_store *s, const char *id, ac_error **err);
/* Copies the stored archive to path (atomically). */
int acr_store_export(struct acr_store *s, const char *id, const char *path, ac_error **err);
/* Size in bytes of the stored archive; -1 on error. */
long long acr_store_image_size(struct acr_store *s, const char *id);

/* ---- pods (runs) ---- */
struct acr_pod_info {
	char uuid[37];
	char image_id[AC_IMAGE_ID_LEN + 1];
	char *app_name;
	int running;       /* its acrun process holds the pod lock */
	int exited;        /* an exit status was recorded */
	int status;        /* exit status when exited */
	long long created; /* seconds since the epoch */
};
int acr_pods_list(struct acr_store *s, struct acr_pod_info **out, size_t *n, ac_error **err);
void acr_pods_free(struct acr_pod_info *p, size_t n);
/* Removes finished pods older than grace seconds and leftovers in tmp/;
 * *removed counts the pods removed. */
int acr_gc(struct acr_store *s, long long grace, size_t *removed, ac_error **err);
/* Removes rendered trees (they are rebuilt on demand). */
int acr_image_gc(struct acr_store *s, size_t *removed, ac_error **err);

/* ---- users and groups, from the image's own files (never host NSS) ---- */
/* user: a number, a name in ROOT/etc/passwd, or an absolute path (the
 * file's owner inside the rootfs).  *home and *shell (malloc'ed or NULL)
 * come from the passwd entry when there is one. */
int acr_lookup_user(int rootfd, const char *user, uid_t *uid, gid_t *pgid, char **home, char **shell,
		    ac_error **err);
int acr_lookup_group(int rootfd, const char *group, gid_t *gid, ac_error **err);

/* ---- paths inside a rootfs ---- */
/* Opens path below rootfd walking one component at a time: symlinks and
 * ".." are refused, missing components are created (directories 0755; the
 * last one a directory, or an empty file when create_file) when create is
 * set.  Returns an O_PATH fd. */
int acr_open_beneath(int rootfd, const char *path, int create, int create_file, ac_error **err);
/* A host path with no symlink in any component (made absolute first);
 * returns an O_PATH fd. */
int acr_open_host_nofollow(const char *path, ac_error **err);

/* Copies the tree below src into the existing directory dst (owners,
 * modes, times, symlinks and device nodes kept; nothing followed). */
int acr_copy_tree(const char *src, const char *dst, ac_error **err);

/* ---- running ---- */
struct acr_volume {
	char *name;
	char *kind;   /* "host" or "empty" */
	char *source; /* host path for kind=host */
	int read_only;
};

enum acr_net { ACR_NET_HOST, ACR_NET_NONE };

struct acr_run_opts {
	struct acr_store *store;
	const char *image_id;
	const char *rootfs;       /* rendered tree (read-only lower layer) */
	/* Instead of rootfs: a tree the app changes in place (acbuild run),
	 * with read-only layers stacked under it (top-most first) through
	 * overlayfs, whose work directory must be on upper's filesystem; else
	 * a merged copy whose changes are written back to upper.  The mount
	 * points, /etc/resolv.conf and /etc/hosts made for the run are removed
	 * from upper afterwards. */
	const char *upper;
	const char *const *lowers;
	const char *workdir;
	int build_step;           /* ignore the image's isolators, mount points and user */
	int remove_pod;           /* remove the pod's directory after the run */
	json_t *manifest;         /* the image manifest */
	char **exec_override;     /* --exec plus -- ARGS, or NULL */
	char **extra_args;        /* -- ARGS appended to the image's exec */
	char **set_env;           /* "K=V" from --set-env and --set-env-file */
	const char *user, *group, *working_dir, *hostname;
	struct acr_volume *volumes;
	size_t n_volumes;
	enum acr_net net;
	int no_overlay;           /* copy the tree instead of overlayfs */
	void (*warn)(const char *msg);
	void (*debug)(const char *msg);
};

/* Runs the app in a new pod and returns its exit status (128+N when killed
 * by signal N), or -1 with err set when it could not be started; *fail_status
 * (optional) is then 125 for a setup failure, 126 for an app that could not
 * be executed, 127 for one that does not exist. */
int acr_run(const struct acr_run_opts *o, int *fail_status, ac_error **err);

/* Parses a --volume value: NAME,kind=host,source=PATH[,readOnly=true] or
 * NAME,kind=empty[,readOnly=true]. */
int acr_volume_parse(const char *s, struct acr_volume *v, ac_error **err);
void acr_volume_release(struct acr_volume *v);
/* Checks a NAME=VALUE environment entry. */
int acr_env_check(const char *kv, ac_error **err);
/* Reads KEY=VALUE lines (blank lines and # comments skipped). */
int acr_env_file_read(const char *path, char ***out, ac_error **err);
/* Checks the isolators: error for hostile or unusable ones (sysctl keys
 * outside a namespace), and a malloc'ed, comma-separated list of the ones
 * acrun does not enforce in *ignored (NULL when none). */
int acr_isolators_check(json_t *manifest, enum acr_net net, char **ignored, ac_error **err);

#endif
