#include "ac/error.h"

static int set_msg(ac_error **err, int code, char *msg)
{
	if (!err) {
		free(msg);
		return -1;
	}
	if (*err)
		ac_error_free(err);
	*err = xmalloc(sizeof(**err));
	(*err)->code = code;
	(*err)->msg = msg;
	return -1;
}

int ac_error_set(ac_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	return set_msg(err, code, msg);
}

int ac_error_errno(ac_error **err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = xasprintf("%s: %s", ctx, strerror(saved));
	set_msg(err, saved, msg);
	errno = saved;
	return -1;
}

int ac_error_wrap(ac_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	if (!err)
		return -1;
	if (!*err)
		return set_msg(err, 0, xasprintf("%s: unknown error", ctx));
	char *msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

void ac_error_free(ac_error **err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}
