#include "ac/buf.h"

char ac_buf_empty[1];

void ac_buf_init(ac_buf *b, size_t max)
{
	b->buf = ac_buf_empty;
	b->len = b->alloc = 0;
	b->max = max;
}

void ac_buf_release(ac_buf *b)
{
	if (b->alloc)
		free(b->buf);
	ac_buf_init(b, b->max);
}

void ac_buf_reset(ac_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->buf[0] = '\0';
}

static int grow(ac_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1 || (b->max && b->len + extra > b->max)) {
		errno = EFBIG;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (b->alloc) {
		b->buf = xrealloc(b->buf, n);
	} else {
		b->buf = xmalloc(n);
		b->buf[0] = '\0';
	}
	b->alloc = n;
	return 0;
}

int ac_buf_add(ac_buf *b, const void *data, size_t n)
{
	if (grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

int ac_buf_addstr(ac_buf *b, const char *s)
{
	return ac_buf_add(b, s, strlen(s));
}

int ac_buf_addch(ac_buf *b, char c)
{
	return ac_buf_add(b, &c, 1);
}

int ac_buf_addf(ac_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return ac_buf_addstr(b, s);
}

char *ac_buf_detach(ac_buf *b, size_t *len)
{
	char *r;
	if (len)
		*len = b->len;
	if (b->alloc) {
		r = b->buf;
	} else {
		r = xmalloc(1);
		r[0] = '\0';
	}
	ac_buf_init(b, b->max);
	return r;
}
