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

#endif
