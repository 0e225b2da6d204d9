/* Helpers for the fuzz targets: input as fd or string, and a scratch area
 * that detects writes outside the directory handed to the extractor. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ac/fs.h"
#include "ac/util.h"

static void cleanup(void);

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	cleanup(); /* abort() skips atexit */
	abort();
}

char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

int fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (fd < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	if (ac_write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) != 0)
		fuzz_fail("memfd write: %s", strerror(errno));
	return fd;
}

static char *base, *work, *outside, *dir_a, *dir_b, *secret;
static char canary[64];

static void cleanup(void)
{
	if (base) {
		ac_rm_rf(base, NULL);
	}
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	base = xasprintf("%s/ac-fuzz-%d-XXXXXX", t && *t ? t : "/tmp", (int)getpid());
	if (!mkdtemp(base))
		fuzz_fail("mkdtemp %s: %s", base, strerror(errno));
	atexit(cleanup);
	outside = xasprintf("%s/outside", base);
	dir_a = xasprintf("%s/a", base);
	dir_b = xasprintf("%s/a/b", base);
	work = xasprintf("%s/a/b/work", base);
	if (mkdir(outside, 0755) < 0 || mkdir(dir_a, 0755) < 0 || mkdir(dir_b, 0755) < 0)
		fuzz_fail("mkdir in %s: %s", base, strerror(errno));
	/* a host file no output may ever contain: random, so no input can */
	unsigned char rnd[12];
	int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (rfd < 0 || read(rfd, rnd, sizeof(rnd)) != (ssize_t)sizeof(rnd))
		fuzz_fail("/dev/urandom: %s", strerror(errno));
	close(rfd);
	int n = snprintf(canary, sizeof(canary), "ac-fuzz-canary-");
	for (size_t i = 0; i < sizeof(rnd); i++)
		n += snprintf(canary + n, sizeof(canary) - n, "%02x", rnd[i]);
	secret = xasprintf("%s/secret", base);
	if (ac_write_file_atomic(secret, canary, strlen(canary), 0644, NULL) < 0)
		fuzz_fail("cannot write %s", secret);
}

const char *fuzz_base_dir(void)
{
	if (!base)
		setup();
	return base;
}

static void scan_canary(int dirfd, const char *path)
{
	DIR *d = fdopendir(dirfd);
	if (!d)
		fuzz_fail("canary scan: %s: %s", path, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				char *p = xasprintf("%s/%s", path, de->d_name);
				scan_canary(sub, p);
				free(p);
			}
		} else if (S_ISREG(st.st_mode)) {
			char *data = NULL;
			size_t len = 0;
			if (ac_read_file_at(dirfd, de->d_name, 256u << 20, &data, &len, NULL) == 0 &&
			    memmem(data, len, canary, strlen(canary)))
				fuzz_fail("host file content leaked into %s/%s", path, de->d_name);
			free(data);
		}
	}
	closedir(d);
}

void fuzz_check_canary(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		scan_canary(fd, dir);
}

const char *fuzz_work_dir(void)
{
	if (!base)
		setup();
	ac_rm_rf(work, NULL);
	if (mkdir(work, 0755) < 0)
		fuzz_fail("mkdir %s: %s", work, strerror(errno));
	return work;
}

/* dir must hold exactly the names given (NULL-terminated). */
static void expect_entries(const char *dir, const char *const *names)
{
	DIR *d = opendir(dir);
	if (!d)
		fuzz_fail("escape check: %s: %s", dir, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int ok = 0;
		for (const char *const *n = names; *n; n++)
			ok |= !strcmp(*n, de->d_name);
		if (!ok)
			fuzz_fail("escape: %s/%s was created outside the work directory", dir, de->d_name);
	}
	closedir(d);
}

void fuzz_work_check(void)
{
	if (!base)
		return;
	/* the top must not have become a symlink, nor the levels below it */
	struct stat st;
	if (lstat(dir_a, &st) < 0 || !S_ISDIR(st.st_mode) || lstat(dir_b, &st) < 0 || !S_ISDIR(st.st_mode))
		fuzz_fail("escape: %s or %s was replaced", dir_a, dir_b);
	expect_entries(base, (const char *const[]){ "outside", "a", "secret", NULL });
	struct stat sst;
	if (lstat(secret, &sst) < 0 || !S_ISREG(sst.st_mode) || sst.st_size != (off_t)strlen(canary))
		fuzz_fail("escape: %s was changed", secret);
	expect_entries(dir_a, (const char *const[]){ "b", NULL });
	expect_entries(dir_b, (const char *const[]){ "work", NULL });
	expect_entries(outside, (const char *const[]){ NULL });
	if (ac_rm_rf(work, NULL) < 0)
		fuzz_fail("cannot remove %s", work);
}
