/* A growable byte buffer (git's strbuf invariants: .buf is never NULL and is
 * always NUL-terminated) with an optional size cap. */
#ifndef AC_BUF_H
#define AC_BUF_H

#include "ac/util.h"

typedef struct ac_buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max; /* 0: no cap; otherwise appends beyond max fail with EFBIG */
} ac_buf;

extern char ac_buf_empty[];
#define AC_BUF_INIT { ac_buf_empty, 0, 0, 0 }

void ac_buf_init(ac_buf *b, size_t max);
void ac_buf_release(ac_buf *b);
void ac_buf_reset(ac_buf *b);
/* Returns 0, or -1 with errno = EFBIG when the cap would be passed. */
int ac_buf_add(ac_buf *b, const void *data, size_t n);
int ac_buf_addstr(ac_buf *b, const char *s);
int ac_buf_addf(ac_buf *b, const char *fmt, ...) AC_PRINTF(2, 3);
int ac_buf_addch(ac_buf *b, char c);
/* Hands over the buffer (always malloc'ed, NUL-terminated) and resets b. */
char *ac_buf_detach(ac_buf *b, size_t *len);

#endif
