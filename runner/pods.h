/* Internal: the pod of one run, held by the acrun process that runs it. */
#ifndef ACRUN_PODS_H
#define ACRUN_PODS_H

#include "runner.h"

struct acr_pod {
	char uuid[37];
	char *dir;  /* DIR/pods/<uuid> */
	int dirfd;
	int lockfd; /* held (exclusive) while the pod runs */
};

int acr_pod_create(struct acr_store *s, const char *image_id, const char *app_name, struct acr_pod *p,
		   ac_error **err);
/* Records the exit status. */
void acr_pod_finish(struct acr_pod *p, int status);
void acr_pod_release(struct acr_pod *p);

#endif
