/* libarchive, loaded on first use (see lazy-curl.c for why).
 *
 * libarchive pulls in libxml2, ICU, libstdc++, nettle, libacl and lz4:
 * mapping them took about two thirds of every command's start-up, even of
 * those that never read or write a tar stream (a label edit, a repeat run of
 * a stored image). This file defines every archive_* function the code base
 * (tests included) calls; each resolves the real one with dlopen + dlsym the
 * first time any of them runs (pthread_once, so thread-safe). Adding an
 * archive call elsewhere means adding it here, or the link fails.
 *
 * When libarchive cannot be loaded nothing crashes: archive_read_new,
 * archive_write_new and archive_entry_new hand out placeholders (freed by
 * the matching *_free), every call that can fail returns ARCHIVE_FATAL,
 * archive_errno returns ELIBACC and archive_error_string the dlerror() text,
 * so the callers' usual error path prints one line, e.g.
 *   cannot start the tar stream: cannot load libarchive (libarchive.so.13: cannot open shared object file: ...)
 * The entry setters do nothing and the getters return 0 or NULL (no entry
 * is ever read then: archive_read_open already failed).
 *
 * The only variadic function, archive_set_error, formats the message here
 * and hands it on as "%s".
 *
 * The soname is the one of the Debian runtime package libarchive13, which
 * libarchive-dev, our build dependency, pulls in. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef AC_ARCHIVE_SONAME
#define AC_ARCHIVE_SONAME "libarchive.so.13"
#endif

typedef struct archive A;
typedef struct archive_entry E;

/* Plain forwarders:
 *   R(return type, name without archive_, parameters, arguments, value when not loaded)
 *   V(name, parameters, arguments)                   for void functions
 * S(return type, name, parameter types): resolved here, shim written below. */
#define ARCHIVE_FUNCS(R, V, S)                                                                     \
	R(time_t, entry_atime, (E * e), (e), 0)                                                    \
	R(int, entry_atime_is_set, (E * e), (e), 0)                                                \
	R(long, entry_atime_nsec, (E * e), (e), 0)                                                 \
	S(E *, entry_clone, (E *))                                                                 \
	R(__LA_MODE_T, entry_filetype, (E * e), (e), 0)                                            \
	S(void, entry_free, (E *))                                                                 \
	R(la_int64_t, entry_gid, (E * e), (e), 0)                                                  \
	R(const char *, entry_hardlink, (E * e), (e), NULL)                                        \
	R(time_t, entry_mtime, (E * e), (e), 0)                                                    \
	R(int, entry_mtime_is_set, (E * e), (e), 0)                                                \
	R(long, entry_mtime_nsec, (E * e), (e), 0)                                                 \
	S(E *, entry_new, (void))                                                                  \
	R(const char *, entry_pathname, (E * e), (e), NULL)                                        \
	R(const char *, entry_pathname_utf8, (E * e), (e), NULL)                                   \
	R(__LA_MODE_T, entry_perm, (E * e), (e), 0)                                                \
	R(dev_t, entry_rdevmajor, (E * e), (e), 0)                                                 \
	R(dev_t, entry_rdevminor, (E * e), (e), 0)                                                 \
	V(entry_set_filetype, (E * e, unsigned int t), (e, t))                                     \
	V(entry_set_gid, (E * e, la_int64_t g), (e, g))                                            \
	V(entry_set_gname, (E * e, const char *s), (e, s))                                         \
	V(entry_set_hardlink, (E * e, const char *s), (e, s))                                      \
	V(entry_set_mode, (E * e, __LA_MODE_T m), (e, m))                                          \
	V(entry_set_mtime, (E * e, time_t t, long ns), (e, t, ns))                                 \
	V(entry_set_pathname, (E * e, const char *s), (e, s))                                      \
	V(entry_set_perm, (E * e, __LA_MODE_T m), (e, m))                                          \
	V(entry_set_rdevmajor, (E * e, dev_t d), (e, d))                                           \
	V(entry_set_rdevminor, (E * e, dev_t d), (e, d))                                           \
	V(entry_set_size, (E * e, la_int64_t n), (e, n))                                           \
	V(entry_set_symlink, (E * e, const char *s), (e, s))                                       \
	V(entry_set_uid, (E * e, la_int64_t u), (e, u))                                            \
	V(entry_set_uname, (E * e, const char *s), (e, s))                                         \
	R(la_int64_t, entry_size, (E * e), (e), 0)                                                 \
	R(int, entry_size_is_set, (E * e), (e), 0)                                                 \
	V(entry_sparse_add_entry, (E * e, la_int64_t off, la_int64_t len), (e, off, len))          \
	R(const char *, entry_symlink, (E * e), (e), NULL)                                         \
	R(la_int64_t, entry_uid, (E * e), (e), 0)                                                  \
	V(entry_unset_atime, (E * e), (e))                                                         \
	V(entry_unset_birthtime, (E * e), (e))                                                     \
	V(entry_unset_ctime, (E * e), (e))                                                         \
	V(entry_xattr_add_entry, (E * e, const char *n, const void *v, size_t sz), (e, n, v, sz))  \
	R(int, entry_xattr_next, (E * e, const char **n, const void **v, size_t *sz), (e, n, v, sz), \
	  ARCHIVE_WARN)                                                                            \
	R(int, entry_xattr_reset, (E * e), (e), 0)                                                 \
	S(const char *, error_string, (A *))                                                       \
	R(la_ssize_t, read_data, (A * a, void *buf, size_t n), (a, buf, n), ARCHIVE_FATAL)         \
	R(int, read_data_block, (A * a, const void **buf, size_t *n, la_int64_t *off), (a, buf, n, off), \
	  ARCHIVE_FATAL)                                                                           \
	S(int, read_free, (A *))                                                                   \
	R(la_int64_t, read_header_position, (A * a), (a), ARCHIVE_FATAL)                           \
	S(A *, read_new, (void))                                                                   \
	R(int, read_next_header, (A * a, E **e), (a, e), ARCHIVE_FATAL)                            \
	R(int, read_open,                                                                          \
	  (A * a, void *cd, archive_open_callback *o, archive_read_callback *r, archive_close_callback *c), \
	  (a, cd, o, r, c), ARCHIVE_FATAL)                                                         \
	R(int, read_support_format_gnutar, (A * a), (a), ARCHIVE_FATAL)                            \
	R(int, read_support_format_tar, (A * a), (a), ARCHIVE_FATAL)                               \
	S(void, set_error, (A *, int, const char *, ...))                                          \
	R(int, write_add_filter_bzip2, (A * a), (a), ARCHIVE_FATAL)                                \
	R(int, write_add_filter_gzip, (A * a), (a), ARCHIVE_FATAL)                                 \
	R(int, write_add_filter_xz, (A * a), (a), ARCHIVE_FATAL)                                   \
	R(int, write_add_filter_zstd, (A * a), (a), ARCHIVE_FATAL)                                 \
	R(int, write_close, (A * a), (a), ARCHIVE_FATAL)                                           \
	R(la_ssize_t, write_data, (A * a, const void *buf, size_t n), (a, buf, n), ARCHIVE_FATAL)  \
	S(int, write_free, (A *))                                                                  \
	R(int, write_header, (A * a, E * e), (a, e), ARCHIVE_FATAL)                                \
	S(A *, write_new, (void))                                                                  \
	R(int, write_open,                                                                         \
	  (A * a, void *cd, archive_open_callback *o, archive_write_callback *w, archive_close_callback *c), \
	  (a, cd, o, w, c), ARCHIVE_FATAL)                                                         \
	R(int, write_open2,                                                                        \
	  (A * a, void *cd, archive_open_callback *o, archive_write_callback *w, archive_close_callback *c, \
	   archive_free_callback *f),                                                              \
	  (a, cd, o, w, c, f), ARCHIVE_FATAL)                                                      \
	R(int, write_open_filename, (A * a, const char *file), (a, file), ARCHIVE_FATAL)           \
	R(int, write_set_bytes_in_last_block, (A * a, int n), (a, n), ARCHIVE_FATAL)               \
	R(int, write_set_bytes_per_block, (A * a, int n), (a, n), ARCHIVE_FATAL)                   \
	R(int, write_set_format_pax_restricted, (A * a), (a), ARCHIVE_FATAL)                       \
	R(int, write_set_format_raw, (A * a), (a), ARCHIVE_FATAL)

#define ARCHIVE_MEMBER_R(ret, name, params, args, fail) ret(*name) params;
#define ARCHIVE_MEMBER_V(name, params, args) void(*name) params;
#define ARCHIVE_MEMBER_S(ret, name, params) ret(*name) params;
static struct {
	ARCHIVE_FUNCS(ARCHIVE_MEMBER_R, ARCHIVE_MEMBER_V, ARCHIVE_MEMBER_S)
	int (*errno_)(A *); /* errno is a macro: not in the table */
} real;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;
static char load_error[512];

static void load(void)
{
	void *h = dlopen(AC_ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof(load_error), "cannot load libarchive (%s)", dlerror());
		return;
	}
	/* POSIX: a void * from dlsym converts to a function pointer this way */
#define ARCHIVE_RESOLVE(name)                                                                   \
	if (!(*(void **)&real.name = dlsym(h, "archive_" #name))) {                             \
		snprintf(load_error, sizeof(load_error), "cannot load libarchive (%s)", dlerror()); \
		return;                                                                         \
	}
#define ARCHIVE_RESOLVE_R(ret, name, params, args, fail) ARCHIVE_RESOLVE(name)
#define ARCHIVE_RESOLVE_V(name, params, args) ARCHIVE_RESOLVE(name)
#define ARCHIVE_RESOLVE_S(ret, name, params) ARCHIVE_RESOLVE(name)
	ARCHIVE_FUNCS(ARCHIVE_RESOLVE_R, ARCHIVE_RESOLVE_V, ARCHIVE_RESOLVE_S)
	if (!(*(void **)&real.errno_ = dlsym(h, "archive_errno"))) {
		snprintf(load_error, sizeof(load_error), "cannot load libarchive (%s)", dlerror());
		return;
	}
	loaded = true;
}

static bool archive_loaded(void)
{
	pthread_once(&load_once, load);
	return loaded;
}

#define ARCHIVE_SHIM_R(ret, name, params, args, fail) \
	ret archive_##name params                     \
	{                                             \
		if (archive_loaded())                 \
			return real.name args;        \
		return fail;                          \
	}
#define ARCHIVE_SHIM_V(name, params, args) \
	void archive_##name params         \
	{                                  \
		if (archive_loaded())      \
			real.name args;    \
	}
#define ARCHIVE_SHIM_S(ret, name, params)
ARCHIVE_FUNCS(ARCHIVE_SHIM_R, ARCHIVE_SHIM_V, ARCHIVE_SHIM_S)

/* What archive_read_new, archive_write_new and archive_entry_new return
 * when libarchive is missing: nothing reads it, *_free frees it. */
static void *placeholder(void)
{
	void *p = calloc(1, 1);
	if (!p)
		abort(); /* like xmalloc */
	return p;
}

A *archive_read_new(void)
{
	return archive_loaded() ? real.read_new() : placeholder();
}

A *archive_write_new(void)
{
	return archive_loaded() ? real.write_new() : placeholder();
}

E *archive_entry_new(void)
{
	return archive_loaded() ? real.entry_new() : placeholder();
}

E *archive_entry_clone(E *e)
{
	return archive_loaded() ? real.entry_clone(e) : placeholder();
}

int archive_read_free(A *a)
{
	if (archive_loaded())
		return real.read_free(a);
	free(a);
	return ARCHIVE_OK;
}

int archive_write_free(A *a)
{
	if (archive_loaded())
		return real.write_free(a);
	free(a);
	return ARCHIVE_OK;
}

void archive_entry_free(E *e)
{
	if (archive_loaded())
		real.entry_free(e);
	else
		free(e);
}

int archive_errno(A *a)
{
	return archive_loaded() ? real.errno_(a) : ELIBACC;
}

const char *archive_error_string(A *a)
{
	return archive_loaded() ? real.error_string(a) : load_error;
}

/* Only called by our own read and write callbacks, so libarchive is loaded
 * then; libarchive copies the message. */
void archive_set_error(A *a, int err, const char *fmt, ...)
{
	if (!archive_loaded())
		return;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	real.set_error(a, err, "%s", n >= 0 ? msg : "out of memory");
	if (n >= 0)
		free(msg);
}
