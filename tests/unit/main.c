/* Runs the unit tests (all, or those named on the command line) and prints
 * TAP.  -k keeps the temporary directories. */
#include "test.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "ac/fs.h"

#undef DEFINE_TEST
#define DEFINE_TEST(n) void n(void);
#include "list.h"
#undef DEFINE_TEST
#define DEFINE_TEST(n) { #n, n },
static const struct { const char *name; void (*fn)(void); } tests[] = {
#include "list.h"
};

int test_failures;
const char *test_tmpdir;
static int skipped;
static char skip_reason[256];

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	test_failures++;
}

void test_skip(const char *why)
{
	skipped = 1;
	snprintf(skip_reason, sizeof(skip_reason), "%s", why);
}

int main(int argc, char **argv)
{
	int keep = 0, nsel = 0, failed = 0;
	const char *sel[256];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-k"))
			keep = 1;
		else if (nsel < 256)
			sel[nsel++] = argv[i];
	}
	size_t total = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		int want = !nsel;
		for (int j = 0; j < nsel; j++)
			want |= !strcmp(sel[j], tests[i].name);
		total += want;
	}
	printf("1..%zu\n", total);
	fflush(stdout);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		int want = !nsel;
		for (int j = 0; j < nsel; j++)
			want |= !strcmp(sel[j], tests[i].name);
		if (!want)
			continue;
		n++;
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s/ac-unit-%s-XXXXXX", base, tests[i].name);
		if (!mkdtemp(dir)) {
			printf("not ok %zu - %s # cannot create temp dir\n", n, tests[i].name);
			failed++;
			continue;
		}
		/* Each test runs in a child, so a crash fails one test only. */
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			if (chdir(dir) < 0)
				_exit(3);
			test_tmpdir = dir;
			tests[i].fn();
			fflush(stdout);
			if (skipped) {
				printf("ok %zu - %s # SKIP %s\n", n, tests[i].name, skip_reason);
				fflush(stdout);
				_exit(0);
			}
			if (test_failures)
				_exit(1);
			printf("ok %zu - %s\n", n, tests[i].name);
			fflush(stdout);
			_exit(0);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		if (chdir(cwd) < 0)
			return 1;
		/* The child printed its own "ok" line; failures are told here,
		 * crashes included. */
		int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (!ok) {
			if (WIFSIGNALED(status))
				printf("# killed by signal %d\n", WTERMSIG(status));
			printf("not ok %zu - %s\n", n, tests[i].name);
			failed++;
		}
		if (!keep) {
			ac_error *err = NULL;
			if (ac_rm_rf(dir, &err) < 0)
				ac_error_free(&err);
		} else if (!ok) {
			printf("# kept %s\n", dir);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
