/* Unit tests of ac_lock (flock on a lock file). */
#include "test.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include "ac/lock.h"

DEFINE_TEST(test_lock_exclusive)
{
	ac_error *err = NULL;
	ac_lock a = AC_LOCK_INIT, b = AC_LOCK_INIT;
	check_ok(ac_lock_acquire(&a, "lk", &err), err);
	/* flock locks belong to the open file description: a second open in
	 * the same process conflicts, as another process would. */
	int ret = ac_lock_acquire(&b, "lk", &err);
	check_int(ret, ==, -1);
	check(err && err->code == EWOULDBLOCK);
	ac_error_free(&err);
	check_int(b.fd, ==, -1);
	ac_lock_release(&a);
	check_ok(ac_lock_acquire(&b, "lk", &err), err);
	ac_lock_release(&b);
	ac_lock_release(&b); /* twice is harmless */
	struct stat st;
	check_int(stat("lk", &st), ==, 0);
}

DEFINE_TEST(test_lock_other_process)
{
	ac_error *err = NULL;
	ac_lock a = AC_LOCK_INIT;
	check_ok(ac_lock_acquire(&a, "lk2", &err), err);
	pid_t pid = fork();
	if (pid == 0) {
		ac_lock c = AC_LOCK_INIT;
		ac_error *e = NULL;
		int r = ac_lock_acquire(&c, "lk2", &e);
		_exit(r < 0 && e && e->code == EWOULDBLOCK ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ac_lock_release(&a);
}

DEFINE_TEST(test_lock_missing_dir)
{
	ac_error *err = NULL;
	ac_lock a = AC_LOCK_INIT;
	check_err(ac_lock_acquire(&a, "no/such/dir/lk", &err), err, "cannot open lock file");
}
