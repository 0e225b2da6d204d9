/* A small TAP unit-test harness.  Each test is declared with
 * DEFINE_TEST(name) at the start of a line; the build collects them.  Every
 * test runs in a fresh temporary directory (its cwd), removed afterwards
 * unless "-k" is given.  Checks print both sides and file:line, and the test
 * goes on so that one run shows every failure. */
#ifndef AC_TEST_H
#define AC_TEST_H

#include <inttypes.h>
#include "ac/error.h"

#define DEFINE_TEST(name) void name(void); void name(void)

extern int test_failures;       /* failures in the current test */
extern const char *test_tmpdir; /* absolute path of the current test's directory */
void test_fail(const char *file, int line, const char *fmt, ...) AC_PRINTF(3, 4);
void test_skip(const char *why);  /* marks the current test as skipped */

#define check(cond) \
	do { if (!(cond)) test_fail(__FILE__, __LINE__, "check failed: %s", #cond); } while (0)
#define check_int(a, op, b) \
	do { long long _a = (long long)(a), _b = (long long)(b); \
	     if (!(_a op _b)) test_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op, #b, _a, _b); } while (0)
#define check_str(a, b) \
	do { const char *_a = (a), *_b = (b); \
	     if (!_a || !_b || strcmp(_a, _b)) test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
/* a contains b */
#define check_contains(a, b) \
	do { const char *_a = (a), *_b = (b); \
	     if (!_a || !_b || !strstr(_a, _b)) test_fail(__FILE__, __LINE__, "%s contains %s: \"%s\" lacks \"%s\"", #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define check_mem(a, b, n) \
	do { if (memcmp((a), (b), (n))) test_fail(__FILE__, __LINE__, "%s == %s (%zu bytes) differ", #a, #b, (size_t)(n)); } while (0)
/* ret must be >= 0 (or non-NULL); otherwise prints err's message. */
#define check_ok(ret, err) \
	do { if ((ret) < 0) test_fail(__FILE__, __LINE__, "%s failed: %s", #ret, (err) ? (err)->msg : "(no error set)"); \
	     ac_error_free(&(err)); } while (0)
/* ret must be < 0 and err's message must contain substr. */
#define check_err(ret, err, substr) \
	do { if ((ret) >= 0) test_fail(__FILE__, __LINE__, "%s succeeded, expected error containing \"%s\"", #ret, substr); \
	     else if (!(err) || !strstr((err)->msg, substr)) test_fail(__FILE__, __LINE__, "%s: error \"%s\" lacks \"%s\"", #ret, (err) ? (err)->msg : "(none)", substr); \
	     ac_error_free(&(err)); } while (0)

#endif
