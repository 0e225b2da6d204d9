#include "ac/util.h"

#include <inttypes.h>

static AC_NORETURN void oom(void)
{
	static const char msg[] = "fatal: out of memory\n";
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be done */
	}
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void ac_freep(void *p)
{
	free(*(void **)p);
}

void ac_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

void ac_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

void ac_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void ac_strv_freep(char ***v)
{
	ac_strv_free(*v);
	*v = NULL;
}

size_t ac_strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int ac_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

int ac_parse_i64(const char *s, int64_t *out)
{
	if (!s || !*s) {
		errno = EINVAL;
		return -1;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno)
		return -1;
	if (*end || end == s) {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

int ac_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int ac_str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int ac_source_date_epoch(int64_t *out)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;
	if (!s || !*s)
		return 0;
	if (ac_parse_u64(s, &v) < 0 || v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 1;
}
