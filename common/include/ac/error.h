/* Errors in library code: a fallible function returns -1 (or NULL) and sets
 * *err exactly once; it never prints and never exits.  Only a tool's main()
 * turns an ac_error into text and an exit status. */
#ifndef AC_ERROR_H
#define AC_ERROR_H

#include "ac/util.h"

typedef struct ac_error {
	int code;  /* errno-style value, or 0 when the error is not a system one */
	char *msg; /* owned, one line, no trailing newline */
} ac_error;

/* All return -1 so that "return ac_error_set(...)" reads naturally.
 * err may be NULL: the error is then dropped. If *err is already set it is
 * replaced (the newest error wins). */
int ac_error_set(ac_error **err, int code, const char *fmt, ...) AC_PRINTF(3, 4);
/* Appends ": strerror(errno)" and records errno. */
int ac_error_errno(ac_error **err, const char *fmt, ...) AC_PRINTF(2, 3);
/* Prefixes context: "ctx: old message". Sets a generic error if *err is NULL. */
int ac_error_wrap(ac_error **err, const char *fmt, ...) AC_PRINTF(2, 3);
void ac_error_free(ac_error **err);

#endif
