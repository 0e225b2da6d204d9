/* libgpgme, loaded on first use (see lazy-curl.c for why).
 *
 * Defines every gpgme_* function the code base calls (the inline ones of
 * gpgme.h, gpgme_err_code and gpgme_error, need no library); each resolves
 * the real one with dlopen + dlsym the first time any of them runs
 * (pthread_once). Adding a gpgme call elsewhere means adding it here, or the
 * link fails.
 *
 * When libgpgme cannot be loaded nothing crashes: the calls that return an
 * error return GPG_ERR_NOT_OPERATIONAL, the others do nothing or return NULL,
 * and gpgme_strerror returns the dlerror() text, so the callers' usual error
 * path prints one line, e.g.
 *   gpgme: cannot load libgpgme (libgpgme.so.11: cannot open shared object file: ...)
 *
 * The soname is the one of the Debian runtime package libgpgme11, which
 * libgpgme-dev, our build dependency, pulls in. */
#include <dlfcn.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#ifndef AC_GPGME_SONAME
#define AC_GPGME_SONAME "libgpgme.so.11"
#endif

/* name (without gpgme_), return type, parameters */
#define GPGME_FUNCS(X)                                                                         \
	X(check_version_internal, const char *, (const char *, size_t))                        \
	X(ctx_set_engine_info, gpgme_error_t, (gpgme_ctx_t, gpgme_protocol_t, const char *, const char *)) \
	X(data_new, gpgme_error_t, (gpgme_data_t *))                                           \
	X(data_new_from_fd, gpgme_error_t, (gpgme_data_t *, int))                              \
	X(data_new_from_mem, gpgme_error_t, (gpgme_data_t *, const char *, size_t, int))       \
	X(data_release, void, (gpgme_data_t))                                                  \
	X(data_release_and_get_mem, char *, (gpgme_data_t, size_t *))                          \
	X(error_from_errno, gpgme_error_t, (int))                                              \
	X(free, void, (void *))                                                                \
	X(get_key, gpgme_error_t, (gpgme_ctx_t, const char *, gpgme_key_t *, int))             \
	X(key_unref, void, (gpgme_key_t))                                                      \
	X(new, gpgme_error_t, (gpgme_ctx_t *))                                                 \
	X(op_export, gpgme_error_t, (gpgme_ctx_t, const char *, gpgme_export_mode_t, gpgme_data_t)) \
	X(op_import, gpgme_error_t, (gpgme_ctx_t, gpgme_data_t))                               \
	X(op_import_result, gpgme_import_result_t, (gpgme_ctx_t))                              \
	X(op_sign, gpgme_error_t, (gpgme_ctx_t, gpgme_data_t, gpgme_data_t, gpgme_sig_mode_t)) \
	X(op_sign_result, gpgme_sign_result_t, (gpgme_ctx_t))                                  \
	X(op_verify, gpgme_error_t, (gpgme_ctx_t, gpgme_data_t, gpgme_data_t, gpgme_data_t))   \
	X(op_verify_result, gpgme_verify_result_t, (gpgme_ctx_t))                              \
	X(release, void, (gpgme_ctx_t))                                                        \
	X(set_armor, void, (gpgme_ctx_t, int))                                                 \
	X(set_passphrase_cb, void, (gpgme_ctx_t, gpgme_passphrase_cb_t, void *))               \
	X(set_pinentry_mode, gpgme_error_t, (gpgme_ctx_t, gpgme_pinentry_mode_t))              \
	X(signers_add, gpgme_error_t, (gpgme_ctx_t, const gpgme_key_t))                        \
	X(strerror, const char *, (gpgme_error_t))

#define GPGME_MEMBER(name, ret, params) ret(*name) params;
static struct {
	GPGME_FUNCS(GPGME_MEMBER)
} real;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[256];

static void load(void)
{
	void *h = dlopen(AC_GPGME_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof(load_error), "cannot load libgpgme (%s)", dlerror());
		return;
	}
	/* POSIX: a void * from dlsym converts to a function pointer this way */
#define GPGME_RESOLVE(name, ret, params)                                                      \
	if (!(*(void **)&real.name = dlsym(h, "gpgme_" #name))) {                             \
		snprintf(load_error, sizeof(load_error), "cannot load libgpgme (%s)", dlerror()); \
		return;                                                                       \
	}
	GPGME_FUNCS(GPGME_RESOLVE)
	loaded = true;
}

static bool gpgme_loaded(void)
{
	pthread_once(&load_once, load);
	return loaded;
}

/* Any error code would do: gpgme_strerror explains it. */
#define UNAVAILABLE gpgme_err_make(GPG_ERR_SOURCE_GPGME, GPG_ERR_NOT_OPERATIONAL)

/* One definition per function: a call when loaded, a fallback otherwise. */
#define LAZY(ret, name, params, args, fallback)                      \
	ret gpgme_##name params                                      \
	{                                                            \
		return gpgme_loaded() ? real.name args : (fallback); \
	}
#define LAZY_VOID(name, params, args)        \
	void gpgme_##name params             \
	{                                    \
		if (gpgme_loaded())          \
			real.name args;      \
	}

LAZY(const char *, check_version_internal, (const char *req, size_t off), (req, off), NULL)
LAZY(gpgme_error_t, ctx_set_engine_info, (gpgme_ctx_t ctx, gpgme_protocol_t proto, const char *file, const char *home),
     (ctx, proto, file, home), UNAVAILABLE)
LAZY(gpgme_error_t, data_new, (gpgme_data_t * dh), (dh), UNAVAILABLE)
LAZY(gpgme_error_t, data_new_from_fd, (gpgme_data_t * dh, int fd), (dh, fd), UNAVAILABLE)
LAZY(gpgme_error_t, data_new_from_mem, (gpgme_data_t * dh, const char *buf, size_t size, int copy),
     (dh, buf, size, copy), UNAVAILABLE)
LAZY_VOID(data_release, (gpgme_data_t dh), (dh))
LAZY(char *, data_release_and_get_mem, (gpgme_data_t dh, size_t *len), (dh, len), NULL)
LAZY(gpgme_error_t, error_from_errno, (int e), (e), UNAVAILABLE)
LAZY_VOID(free, (void *p), (p))
LAZY(gpgme_error_t, get_key, (gpgme_ctx_t ctx, const char *fpr, gpgme_key_t *key, int secret),
     (ctx, fpr, key, secret), UNAVAILABLE)
LAZY_VOID(key_unref, (gpgme_key_t key), (key))
LAZY(gpgme_error_t, new, (gpgme_ctx_t * ctx), (ctx), UNAVAILABLE)
LAZY(gpgme_error_t, op_export, (gpgme_ctx_t ctx, const char *pattern, gpgme_export_mode_t mode, gpgme_data_t keydata),
     (ctx, pattern, mode, keydata), UNAVAILABLE)
LAZY(gpgme_error_t, op_import, (gpgme_ctx_t ctx, gpgme_data_t keydata), (ctx, keydata), UNAVAILABLE)
LAZY(gpgme_import_result_t, op_import_result, (gpgme_ctx_t ctx), (ctx), NULL)
LAZY(gpgme_error_t, op_sign, (gpgme_ctx_t ctx, gpgme_data_t plain, gpgme_data_t sig, gpgme_sig_mode_t mode),
     (ctx, plain, sig, mode), UNAVAILABLE)
LAZY(gpgme_sign_result_t, op_sign_result, (gpgme_ctx_t ctx), (ctx), NULL)
LAZY(gpgme_error_t, op_verify, (gpgme_ctx_t ctx, gpgme_data_t sig, gpgme_data_t text, gpgme_data_t plain),
     (ctx, sig, text, plain), UNAVAILABLE)
LAZY(gpgme_verify_result_t, op_verify_result, (gpgme_ctx_t ctx), (ctx), NULL)
LAZY_VOID(release, (gpgme_ctx_t ctx), (ctx))
LAZY_VOID(set_armor, (gpgme_ctx_t ctx, int yes), (ctx, yes))
LAZY_VOID(set_passphrase_cb, (gpgme_ctx_t ctx, gpgme_passphrase_cb_t cb, void *hook), (ctx, cb, hook))
LAZY(gpgme_error_t, set_pinentry_mode, (gpgme_ctx_t ctx, gpgme_pinentry_mode_t mode), (ctx, mode), UNAVAILABLE)
LAZY(gpgme_error_t, signers_add, (gpgme_ctx_t ctx, const gpgme_key_t key), (ctx, key), UNAVAILABLE)
/* Any error when not loaded is the failed load. */
LAZY(const char *, strerror, (gpgme_error_t e), (e), load_error)
