/* Internal helpers shared by the runner's files. */
#ifndef ACRUN_RUNNER_INTERNAL_H
#define ACRUN_RUNNER_INTERNAL_H

#include "runner.h"
#include "pods.h"

/* The capability bounding set the app gets: the default set changed by
 * the capabilities isolators (bit i = capability i). */
int acr_caps_from_isolators(json_t *manifest, uint64_t *caps, ac_error **err);
/* 1 when the os/linux/no-new-privileges isolator asks for it. */
int acr_no_new_privs(json_t *manifest);
/* Writes the sysctl isolator's keys below procfd (a /proc of the pod). */
int acr_apply_sysctls(json_t *manifest, int procfd, ac_error **err);

/* copy.c: layers.  Copies src over dst: existing directories are merged,
 * anything else replaced (a symlink to a directory too). */
int acr_copy_over(const char *src, const char *dst, ac_error **err);
/* Adds what src has and dst lacks, below dst's own entries (a non-directory
 * in dst hides src's subtree); only paths the filter accepts (relative, no
 * leading slash; NULL: all). */
int acr_merge_under(const char *src, const char *dst, int (*filter)(const char *path, void *arg), void *arg,
		    ac_error **err);
/* Makes upper hold the changes that turned (lowers + upper) into merged. */
int acr_write_back(const char *merged, const char *upper, const char *const *lowers, ac_error **err);
/* Removes overlayfs whiteouts and its xattrs from an upper layer; *n
 * counts the whiteouts. */
int acr_drop_whiteouts(const char *upper, size_t *n, ac_error **err);

/* cgroup.c: a cgroup per pod for resource/memory and resource/cpu. */
struct acr_cgroup {
	char *dirs[2];
	int procs[2]; /* their cgroup.procs, open for writing */
	size_t n;
};
/* "128Mi", "1G", "500m": bytes, or thousandths when milli (CPU). */
int acr_quantity_parse(const char *s, int milli, long long *out);
/* The limits of the isolators (0: none); *request_only when an isolator
 * has a request and no limit (nothing to enforce). */
int acr_resource_limits(json_t *manifest, long long *mem, long long *cpu, int *request_only, ac_error **err);
/* Creates the cgroup(s) NAME with the limits (nothing when both are 0). */
int acr_cgroup_setup(struct acr_cgroup *cg, const char *name, long long mem, long long cpu, ac_error **err);
/* Moves the calling process into them. */
int acr_cgroup_join(struct acr_cgroup *cg, ac_error **err);
void acr_cgroup_remove(struct acr_cgroup *cg);

/* store.c: DIR/scaffold, made on first use (malloc'ed path). */
char *acr_store_scaffold(struct acr_store *s, ac_error **err);
/* store.c: drops records of files whose image is gone (exclusive lock). */
void acr_store_prune_files(struct acr_store *s);

#endif
