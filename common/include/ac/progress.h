/* Progress on a terminal for long work: a line on stderr, redrawn at most
 * ten times a second, erased at the end.  Nothing is drawn when stderr is
 * not a terminal or the user asked for quiet, so scripts and logs never see
 * it.  A UI helper for the tools; the library proper never draws. */
#ifndef AC_PROGRESS_H
#define AC_PROGRESS_H

#include <stdint.h>

typedef struct ac_progress ac_progress;

/* Follows how far fd has been read or written (its file offset, which the
 * work advances) from a small thread; total 0 shows bytes only.  Returns
 * NULL (and does nothing) when quiet or stderr is not a terminal. */
ac_progress *ac_progress_follow_fd(const char *what, int fd, uint64_t total, int quiet);
/* For work that reports itself (downloads): the same line, no thread. */
ac_progress *ac_progress_new(const char *what, int quiet);
void ac_progress_update(ac_progress *p, uint64_t done, int64_t total);
/* Stops, erases the line, frees.  p may be NULL. */
void ac_progress_end(ac_progress *p);

#endif
