/* Small shared helpers: allocation that never returns NULL, cleanup
 * attributes, and a few macros. */
#ifndef AC_UTIL_H
#define AC_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define AC_NORETURN __attribute__((noreturn))
#define AC_UNUSED __attribute__((unused))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Allocation failure aborts (as in git, crun, bwrap): no caller handles it. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) AC_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) AC_PRINTF(1, 0);

void ac_freep(void *p);
void ac_closep(int *fd);
void ac_fclosep(FILE **f);
void ac_strv_freep(char ***v);
#define _cleanup_free_ __attribute__((cleanup(ac_freep)))
#define _cleanup_close_ __attribute__((cleanup(ac_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(ac_fclosep)))
#define _cleanup_strv_ __attribute__((cleanup(ac_strv_freep)))

/* Take ownership away from a cleanup variable. */
static inline void *ac_steal_ptr(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) ac_steal_ptr(pp)
static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

void ac_strv_free(char **v);
size_t ac_strv_len(char *const *v);

/* Parses a whole decimal number; -1 (errno EINVAL/ERANGE) when s is not one. */
int ac_parse_u64(const char *s, uint64_t *out);
int ac_parse_i64(const char *s, int64_t *out);
int ac_str_has_prefix(const char *s, const char *prefix);
int ac_str_has_suffix(const char *s, const char *suffix);

/* SOURCE_DATE_EPOCH from the environment: 1 and *out set when it is present
 * and valid, 0 when unset, -1 when set but not a whole non-negative number. */
int ac_source_date_epoch(int64_t *out);

#endif
