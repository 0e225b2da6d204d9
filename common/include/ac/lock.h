/* Advisory whole-file locks (flock) on a lock file, as the original acbuild
 * takes on ".acbuild/lock" for each command. */
#ifndef AC_LOCK_H
#define AC_LOCK_H

#include "ac/error.h"

typedef struct ac_lock {
	int fd;     /* -1 when not held */
	char *path; /* owned */
} ac_lock;

#define AC_LOCK_INIT { -1, NULL }

/* Opens (creating it 0644 if needed) and locks path exclusively without
 * waiting.  Busy: -1 with err->code == EWOULDBLOCK.  Permission problems:
 * err->code == EACCES/EPERM.  The lock is checked to be on the file that is
 * at path once taken (a lock on a file unlinked meanwhile is retried), so a
 * holder may remove the file while it holds it. */
int ac_lock_acquire(ac_lock *l, const char *path, ac_error **err);
/* Unlocks and closes; the file stays.  Safe on a lock never taken. */
void ac_lock_release(ac_lock *l);

#endif
