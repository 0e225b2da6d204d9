/* libcurl, loaded on first use.
 *
 * The tools are linked without -lcurl: mapping libcurl and its ~25
 * dependencies at every start costs more than most commands take (a label
 * edit, a manifest print). This file defines every curl_* function the code
 * base calls; each resolves the real one with dlopen + dlsym the first time
 * any of them runs (pthread_once, so thread-safe). Adding a curl call
 * elsewhere means adding it here, or the link fails.
 *
 * When libcurl cannot be loaded nothing crashes: curl_easy_init hands out a
 * placeholder handle, setopt/getinfo fail, and curl_easy_perform fails with
 * the dlerror() text in CURLOPT_ERRORBUFFER (curl_easy_strerror returns it
 * too), so the callers' usual error path prints one line, e.g.
 *   GET https://...: cannot load libcurl (libcurl.so.4: cannot open shared object file: ...)
 *
 * The soname is the one of the Debian runtime package libcurl4 (OpenSSL
 * flavour), which libcurl4-openssl-dev, our build dependency, pulls in. */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef AC_CURL_SONAME
#define AC_CURL_SONAME "libcurl.so.4"
#endif

/* name (without curl_), return type, parameters */
#define CURL_FUNCS(X)                                                   \
	X(global_init, CURLcode, (long))                                \
	X(easy_init, CURL *, (void))                                    \
	X(easy_setopt, CURLcode, (CURL *, CURLoption, ...))             \
	X(easy_getinfo, CURLcode, (CURL *, CURLINFO, ...))              \
	X(easy_perform, CURLcode, (CURL *))                             \
	X(easy_cleanup, void, (CURL *))                                 \
	X(easy_strerror, const char *, (CURLcode))                      \
	X(slist_append, struct curl_slist *, (struct curl_slist *, const char *)) \
	X(slist_free_all, void, (struct curl_slist *))

#define CURL_MEMBER(name, ret, params) ret(*name) params;
static struct {
	CURL_FUNCS(CURL_MEMBER)
} real;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[CURL_ERROR_SIZE];

static void load(void)
{
	void *h = dlopen(AC_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof(load_error), "cannot load libcurl (%s)", dlerror());
		return;
	}
	/* POSIX: a void * from dlsym converts to a function pointer this way */
#define CURL_RESOLVE(name, ret, params)                                                      \
	if (!(*(void **)&real.name = dlsym(h, "curl_" #name))) {                             \
		snprintf(load_error, sizeof(load_error), "cannot load libcurl (%s)", dlerror()); \
		return;                                                                      \
	}
	CURL_FUNCS(CURL_RESOLVE)
	loaded = true;
}

static bool curl_loaded(void)
{
	pthread_once(&load_once, load);
	return loaded;
}

/* What curl_easy_init returns when libcurl is missing: only remembers where
 * to put the error message. */
struct placeholder {
	char *errbuf;
};

CURLcode curl_global_init(long flags)
{
	return curl_loaded() ? real.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *curl_easy_init(void)
{
	if (curl_loaded())
		return real.easy_init();
	return calloc(1, sizeof(struct placeholder));
}

/* The variadic argument is forwarded with the type curl itself reads it as,
 * which the option number encodes (CURLOPTTYPE_*): a long, an object or
 * function pointer, or a curl_off_t; so nothing depends on those having the
 * same size (they do on LP64). */
CURLcode(curl_easy_setopt)(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;
	va_start(ap, opt);
	if (!curl_loaded()) {
		rc = CURLE_FAILED_INIT;
		if (opt == CURLOPT_ERRORBUFFER) {
			((struct placeholder *)c)->errbuf = va_arg(ap, char *);
			rc = CURLE_OK;
		}
	} else if (opt < CURLOPTTYPE_OBJECTPOINT) {
		rc = real.easy_setopt(c, opt, va_arg(ap, long));
	} else if (opt < CURLOPTTYPE_FUNCTIONPOINT) {
		rc = real.easy_setopt(c, opt, va_arg(ap, void *));
	} else if (opt < CURLOPTTYPE_OFF_T) {
		rc = real.easy_setopt(c, opt, va_arg(ap, void (*)(void)));
	} else if (opt < CURLOPTTYPE_BLOB) {
		rc = real.easy_setopt(c, opt, va_arg(ap, curl_off_t));
	} else {
		rc = real.easy_setopt(c, opt, va_arg(ap, struct curl_blob *));
	}
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode(curl_easy_getinfo)(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	va_start(ap, info);
	void *p = va_arg(ap, void *);
	va_end(ap);
	return curl_loaded() ? real.easy_getinfo(c, info, p) : CURLE_FAILED_INIT;
}

CURLcode curl_easy_perform(CURL *c)
{
	if (curl_loaded())
		return real.easy_perform(c);
	struct placeholder *ph = c;
	if (ph && ph->errbuf)
		snprintf(ph->errbuf, CURL_ERROR_SIZE, "%s", load_error);
	return CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *c)
{
	if (curl_loaded())
		real.easy_cleanup(c);
	else
		free(c);
}

const char *curl_easy_strerror(CURLcode rc)
{
	return curl_loaded() ? real.easy_strerror(rc) : load_error;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return curl_loaded() ? real.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (curl_loaded())
		real.slist_free_all(l);
}
