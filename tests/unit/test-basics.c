/* Unit tests of the small shared helpers: errors, buffers, files, digests. */
#include "test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/buf.h"
#include "ac/digest.h"
#include "ac/fs.h"

DEFINE_TEST(test_error_wrap)
{
	ac_error *err = NULL;
	check_int(ac_error_set(&err, 5, "inner %d", 1), ==, -1);
	ac_error_wrap(&err, "outer '%s'", "x");
	check_str(err->msg, "outer 'x': inner 1");
	check_int(err->code, ==, 5);
	ac_error_free(&err);
	check(err == NULL);
	errno = ENOENT;
	ac_error_errno(&err, "open 'f'");
	check_str(err->msg, "open 'f': No such file or directory");
	ac_error_free(&err);
}

DEFINE_TEST(test_buf_cap)
{
	ac_buf b;
	ac_buf_init(&b, 10);
	check_int(ac_buf_addstr(&b, "0123456789"), ==, 0);
	check_int(ac_buf_addch(&b, 'x'), ==, -1);
	check_int(errno, ==, EFBIG);
	check_int(b.len, ==, 10);
	check_str(b.buf, "0123456789");
	size_t n;
	char *s = ac_buf_detach(&b, &n);
	check_int(n, ==, 10);
	check_str(b.buf, "");
	free(s);
	ac_buf_release(&b);
}

DEFINE_TEST(test_digest_known_values)
{
	unsigned char raw[64];
	char hex[129];
	ac_digest *d = ac_digest_new(AC_SHA256);
	ac_digest_update(d, "abc", 3);
	check_int(ac_digest_final(d, raw), ==, 32);
	ac_hex(raw, 32, hex);
	check_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ac_digest_free(d);
	d = ac_digest_new(AC_SHA512);
	ac_digest_update(d, "a", 1);
	ac_digest_update(d, "bc", 2);
	check_int(ac_digest_final(d, raw), ==, 64);
	char id[AC_IMAGE_ID_LEN + 1];
	ac_image_id_format(raw, id);
	check_str(id, "sha512-ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	ac_digest_free(d);
}

DEFINE_TEST(test_outfile_commit_and_abort)
{
	ac_error *err = NULL;
	ac_outfile o;
	check_ok(ac_outfile_open(&o, "out", 0644, 0, &err), err);
	check_int(ac_write_all(o.fd, "hello", 5), ==, 0);
	check(access("out", F_OK) < 0); /* nothing under the final name yet */
	check_ok(ac_outfile_commit(&o, &err), err);
	char *data = NULL;
	size_t len = 0;
	check_ok(ac_read_file_at(AT_FDCWD, "out", 100, &data, &len, &err), err);
	check_str(data, "hello");
	free(data);
	/* exists: refused without overwrite */
	check_err(ac_outfile_open(&o, "out", 0644, 0, &err), err, "exists");
	/* abort leaves the old file and no temporary */
	check_ok(ac_outfile_open(&o, "out", 0644, AC_OUT_OVERWRITE, &err), err);
	check_int(ac_write_all(o.fd, "partial", 7), ==, 0);
	ac_outfile_abort(&o);
	check_ok(ac_read_file_at(AT_FDCWD, "out", 100, &data, &len, &err), err);
	check_str(data, "hello");
	free(data);
	check_err(ac_read_file_at(AT_FDCWD, "out", 3, &data, &len, &err), err, "larger than");
}

DEFINE_TEST(test_mkdir_p_and_rm_rf)
{
	ac_error *err = NULL;
	check_ok(ac_mkdir_p("a/b/c/", 0755, &err), err);
	check_int(symlink("/", "a/b/link"), ==, 0);
	check_int(mkdir("a/b/c/d", 0), ==, 0);
	check_ok(ac_rm_rf("a", &err), err);
	check(access("a", F_OK) < 0);
	check(access("/etc/passwd", F_OK) == 0); /* the symlink was not followed */
	check_ok(ac_rm_rf("missing", &err), err);
}
