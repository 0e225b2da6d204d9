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

#endif
