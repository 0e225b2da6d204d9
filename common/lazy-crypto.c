/* libcrypto's digest functions, loaded on first use (see lazy-curl.c for
 * why): libcrypto is a large library with many relocations, and most
 * commands (a label edit, a repeat run of a stored image, --help) never
 * hash anything. This file defines the EVP_* functions common/digest.c
 * calls; each resolves the real one with dlopen + dlsym the first time any
 * of them runs (pthread_once, so thread-safe). Adding a libcrypto call
 * elsewhere means adding it here, or the link fails.
 *
 * ac_digest_new has no error path (it cannot fail but for memory), so when
 * libcrypto cannot be loaded the first digest ends the program the way
 * running out of memory does, with one line, but exit status 1 and no core:
 *   fatal: cannot load libcrypto (libcrypto.so.3: cannot open shared object file: ...)
 * _exit, not exit: other threads (the compressor's) may still be running.
 *
 * The soname is the one of the Debian runtime package libssl3, which
 * libssl-dev, our build dependency, pulls in. */
#include <dlfcn.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#ifndef AC_CRYPTO_SONAME
#define AC_CRYPTO_SONAME "libcrypto.so.3"
#endif

/* name (without EVP_), return type, parameters */
#define CRYPTO_FUNCS(X)                                                       \
	X(MD_CTX_new, EVP_MD_CTX *, (void))                                   \
	X(MD_CTX_free, void, (EVP_MD_CTX *))                                  \
	X(DigestInit_ex, int, (EVP_MD_CTX *, const EVP_MD *, ENGINE *))      \
	X(DigestUpdate, int, (EVP_MD_CTX *, const void *, size_t))            \
	X(DigestFinal_ex, int, (EVP_MD_CTX *, unsigned char *, unsigned int *)) \
	X(sha256, const EVP_MD *, (void))                                     \
	X(sha512, const EVP_MD *, (void))

#define CRYPTO_MEMBER(name, ret, params) ret(*name) params;
static struct {
	CRYPTO_FUNCS(CRYPTO_MEMBER)
} real;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void fail(void)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "fatal: cannot load libcrypto (%s)\n", dlerror());
	if (n > 0 && write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0) {
		/* nothing more can be done */
	}
	_exit(1);
}

static void load(void)
{
	void *h = dlopen(AC_CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail();
	/* POSIX: a void * from dlsym converts to a function pointer this way */
#define CRYPTO_RESOLVE(name, ret, params)                   \
	if (!(*(void **)&real.name = dlsym(h, "EVP_" #name))) \
		fail();
	CRYPTO_FUNCS(CRYPTO_RESOLVE)
}

#define LOAD() pthread_once(&load_once, load)

EVP_MD_CTX *EVP_MD_CTX_new(void)
{
	LOAD();
	return real.MD_CTX_new();
}

void EVP_MD_CTX_free(EVP_MD_CTX *ctx)
{
	LOAD();
	real.MD_CTX_free(ctx);
}

int EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl)
{
	LOAD();
	return real.DigestInit_ex(ctx, type, impl);
}

int EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t cnt)
{
	LOAD();
	return real.DigestUpdate(ctx, d, cnt);
}

int EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s)
{
	LOAD();
	return real.DigestFinal_ex(ctx, md, s);
}

const EVP_MD *EVP_sha256(void)
{
	LOAD();
	return real.sha256();
}

const EVP_MD *EVP_sha512(void)
{
	LOAD();
	return real.sha512();
}
