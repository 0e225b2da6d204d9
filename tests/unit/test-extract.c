/* Unit tests of the safe extractor (ac/extract.h).  Every hostile archive is
 * extracted into box/root with a sibling "outside" directory (and "host",
 * holding a file that must never change); after each attempt the test checks
 * that nothing was written outside box/root. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include "ac/aci.h"
#include "ac/buf.h"
#include "ac/extract.h"
#include "ac/fs.h"

/* ---- builders from test-aci-read.c ---- */
struct tb;
struct tb *tb_new(int filter);
void tb_entry(struct tb *t, struct archive_entry *e, const void *data, size_t len);
void tb_add(struct tb *t, const char *name, unsigned type, unsigned perm, const char *data, size_t len);
void tb_file(struct tb *t, const char *name, const char *data);
void tb_dir(struct tb *t, const char *name);
void tb_symlink(struct tb *t, const char *name, const char *target);
void tb_hardlink(struct tb *t, const char *name, const char *target);
void tb_finish(struct tb *t, ac_buf *out);
void tb_save(struct tb *t, const char *path);
void raw_hdr(ac_buf *m, const char *name, char type, uint64_t size, const char *link, unsigned mode);
void raw_data(ac_buf *m, const void *data, size_t len);
void raw_pax(ac_buf *m, const char *key, const char *value);
void raw_end(ac_buf *m);
void save_buf(const char *path, const void *data, size_t len);
unsigned char *pseudo_random(size_t n, uint32_t seed);
int open_ro(const char *path);
extern const char test_manifest[];

#define ROOT "box/root"
#define SECRET "host secret\n"

/* box/root's surroundings: outside/ (empty) and host/secret. */
static void setup(void)
{
	check_int(mkdir("outside", 0755), ==, 0);
	check_int(mkdir("host", 0755), ==, 0);
	save_buf("host/secret", SECRET, strlen(SECRET));
	check_int(mkdir("box", 0755), ==, 0);
}

static int dir_count(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Nothing outside box/root changed: outside/ is empty, box/ holds root
 * only, host/secret is intact with one link, the test directory holds only
 * what setup() made and archives, and its parent has no "escaped". */
static void check_confined_at(const char *file, int line)
{
	if (dir_count("outside") != 0)
		test_fail(file, line, "something was written to outside/");
	int n = dir_count("box");
	struct stat st;
	if (n > 1 || (n == 1 && lstat(ROOT, &st) < 0))
		test_fail(file, line, "something was written to box/");
	if (lstat("host/secret", &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_size != (off_t)strlen(SECRET) || dir_count("host") != 1)
		test_fail(file, line, "host/secret changed");
	DIR *d = opendir(".");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *s = de->d_name;
		if (strcmp(s, ".") && strcmp(s, "..") && strcmp(s, "outside") && strcmp(s, "box") &&
		    strcmp(s, "host") && !ac_str_has_suffix(s, ".aci"))
			test_fail(file, line, "unexpected \"%s\" in the test directory", s);
	}
	if (d)
		closedir(d);
	_cleanup_free_ char *tmp = xstrdup(test_tmpdir);
	_cleanup_free_ char *esc = xasprintf("%s/escaped", dirname(tmp));
	if (lstat(esc, &st) == 0)
		test_fail(file, line, "%s exists", esc);
	if (lstat("/escaped", &st) == 0)
		test_fail(file, line, "/escaped exists");
}
#define check_confined() check_confined_at(__FILE__, __LINE__)

/* Extracts path into ROOT; on success the reader is finished too. */
static int extract_path(const char *path, const struct ac_extract_opts *o, ac_error **err)
{
	_cleanup_close_ int fd = open_ro(path);
	ac_aci_reader *r = ac_aci_reader_open(fd, path, err);
	if (!r)
		return -1;
	int ret = ac_extract(r, ROOT, o, err);
	char id[AC_IMAGE_ID_LEN + 1];
	if (ret == 0)
		ret = ac_aci_reader_finish(r, id, err);
	ac_aci_reader_free(r);
	return ret;
}

static int extract_buf(ac_buf *b, const struct ac_extract_opts *o, ac_error **err)
{
	save_buf("x.aci", b->buf, b->len);
	return extract_path("x.aci", o, err);
}

static struct ac_extract_opts rootfs_opts(void)
{
	struct ac_extract_opts o;
	ac_extract_opts_default(&o);
	o.strip_prefix = "rootfs";
	return o;
}

/* A fresh root for the next attempt. */
static void reset_root(void)
{
	ac_error *err = NULL;
	check_ok(ac_rm_rf(ROOT, &err), err);
}

static char *read_text(const char *path)
{
	char *data = NULL;
	size_t len;
	ac_error *err = NULL;
	if (ac_read_file_at(AT_FDCWD, path, 1 << 26, &data, &len, &err) < 0) {
		ac_error_free(&err);
		return NULL;
	}
	return data;
}

#define check_file(path, want) \
	do { char *_d = read_text(path); check_str(_d, want); free(_d); } while (0)

static struct archive_entry *ent(const char *name, unsigned type, unsigned perm)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, 1000000000, 0);
	return e;
}

static void tb_put(struct tb *t, struct archive_entry *e, const char *data)
{
	if (data)
		archive_entry_set_size(e, (la_int64_t)strlen(data));
	tb_entry(t, e, data, data ? strlen(data) : 0);
	archive_entry_free(e);
}

/* Whether the kernel has openat2 (the extractor then follows symlinks
 * inside the root instead of refusing them). */
static int openat2_works(void)
{
	const char *e = getenv("AC_EXTRACT_NO_OPENAT2");
	if (e && *e && strcmp(e, "0"))
		return 0;
	return syscall(SYS_openat2, -1, "", NULL, 0) < 0 && errno != ENOSYS;
}

/* ---- ordinary content ---- */

DEFINE_TEST(test_extract_basic)
{
	setup();
	struct tb *t = tb_new(ARCHIVE_FILTER_GZIP);
	tb_file(t, "manifest", test_manifest);
	tb_put(t, ent("rootfs", AE_IFDIR, 0751), NULL);
	tb_put(t, ent("rootfs/etc", AE_IFDIR, 0700), NULL);
	tb_put(t, ent("rootfs/etc/passwd", AE_IFREG, 0640), "root:x:0:0\n");
	tb_put(t, ent("rootfs/etc/empty", AE_IFREG, 0600), "");
	tb_symlink(t, "rootfs/etc/link", "passwd");
	tb_symlink(t, "rootfs/abs", "/etc/passwd");
	tb_hardlink(t, "rootfs/hard", "rootfs/etc/passwd");
	tb_put(t, ent("rootfs/deep/er/file", AE_IFREG, 0755), "x");  /* parents missing */
	tb_put(t, ent("rootfs/ro", AE_IFDIR, 0555), NULL);           /* read-only, then filled */
	tb_put(t, ent("rootfs/ro/f", AE_IFREG, 0444), "ro");
	tb_file(t, "rootfsX/evil", "skipped");
	tb_file(t, "other", "skipped");
	tb_save(t, "a.aci");
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	check_ok(extract_path("a.aci", &o, &err), err);
	check_confined();
	struct stat st;
	check_file(ROOT "/etc/passwd", "root:x:0:0\n");
	check_file(ROOT "/etc/empty", "");
	check_int(stat(ROOT, &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0751);
	check_int(stat(ROOT "/etc", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0700);
	check_int(stat(ROOT "/etc/passwd", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0640);
	check_int(st.st_nlink, ==, 2);
	struct stat st2;
	check_int(stat(ROOT "/hard", &st2), ==, 0);
	check_int(st2.st_ino, ==, st.st_ino);
	char buf[PATH_MAX];
	ssize_t n = readlink(ROOT "/etc/link", buf, sizeof(buf));
	check(n == 6 && !memcmp(buf, "passwd", 6));
	n = readlink(ROOT "/abs", buf, sizeof(buf));
	check(n == 11 && !memcmp(buf, "/etc/passwd", 11));
	check_file(ROOT "/deep/er/file", "x");
	check_int(stat(ROOT "/deep", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0755);
	check_int(stat(ROOT "/ro", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0555);
	check_file(ROOT "/ro/f", "ro");
	check(access(ROOT "/manifest", F_OK) < 0);
	check(access(ROOT "/evil", F_OK) < 0);
	check(access(ROOT "X", F_OK) < 0);
	check_int(dir_count(ROOT), ==, 5); /* etc abs hard deep ro */

	/* without a prefix everything is extracted as named */
	reset_root();
	check_ok(extract_path("a.aci", NULL, &err), err);
	check_confined();
	check_file(ROOT "/manifest", test_manifest);
	check_file(ROOT "/rootfs/etc/passwd", "root:x:0:0\n");
	check_file(ROOT "/rootfsX/evil", "skipped");

	/* extracting again over the result replaces everything */
	check_ok(extract_path("a.aci", NULL, &err), err);
	check_confined();
	check_file(ROOT "/rootfs/hard", "root:x:0:0\n");
	check_int(stat(ROOT "/rootfs/hard", &st), ==, 0);
	check_int(st.st_nlink, ==, 2);
}

/* Modes are exact whatever the umask; missing parents get 0755. */
DEFINE_TEST(test_extract_umask)
{
	setup();
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_put(t, ent("rootfs/implicit/f", AE_IFREG, 0666), "f");
	tb_put(t, ent("rootfs/d", AE_IFDIR, 0777), NULL);
	tb_put(t, ent("rootfs/p", AE_IFIFO, 0666), NULL);
	tb_save(t, "u.aci");
	mode_t old = umask(077);
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	check_ok(extract_path("u.aci", &o, &err), err);
	umask(old);
	struct stat st;
	check_int(stat(ROOT "/implicit", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0755);
	check_int(stat(ROOT "/implicit/f", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0666);
	check_int(stat(ROOT "/d", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0777);
	check_int(lstat(ROOT "/p", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0666);
	check_confined();
}

/* A directory named twice: the later entry's mode and times win. */
DEFINE_TEST(test_extract_duplicate_directory)
{
	setup();
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	struct archive_entry *e = ent("d", AE_IFDIR, 0700);
	archive_entry_set_mtime(e, 1100000000, 0);
	tb_put(t, e, NULL);
	tb_file(t, "d/f", "f");
	tb_put(t, ent("d/sub", AE_IFDIR, 0700), NULL);
	e = ent("d", AE_IFDIR, 0751);
	archive_entry_set_mtime(e, 1200000000, 0);
	tb_put(t, e, NULL);
	tb_put(t, ent("d/sub", AE_IFDIR, 0750), NULL);
	tb_save(t, "d.aci");
	ac_error *err = NULL;
	check_ok(extract_path("d.aci", NULL, &err), err);
	struct stat st;
	check_int(stat(ROOT "/d", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0751);
	check_int(st.st_mtim.tv_sec, ==, 1200000000);
	check_int(stat(ROOT "/d/sub", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0750);
	check_file(ROOT "/d/f", "f");
	check_confined();
}

static int only_etc(const char *path, void *arg)
{
	(*(int *)arg)++;
	return !strcmp(path, "etc") || ac_str_has_prefix(path, "etc/");
}

DEFINE_TEST(test_extract_filter)
{
	setup();
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs");
	tb_dir(t, "rootfs/etc");
	tb_file(t, "rootfs/etc/a", "a");
	tb_file(t, "rootfs/usr/b", "b");
	tb_save(t, "f.aci");
	int calls = 0;
	struct ac_extract_opts o = rootfs_opts();
	o.filter = only_etc;
	o.filter_arg = &calls;
	ac_error *err = NULL;
	check_ok(extract_path("f.aci", &o, &err), err);
	check_int(calls, ==, 3); /* not for the root */
	check_file(ROOT "/etc/a", "a");
	check(access(ROOT "/usr", F_OK) < 0);
	check_confined();
}

/* ---- hostile names ---- */

DEFINE_TEST(test_extract_dotdot_names)
{
	setup();
	static const char *names[] = {
		"../escaped", "../../escaped", "../../../escaped", "rootfs/../../escaped",
		"rootfs/a/../../../escaped", "rootfs/../../../../../../../escaped", "./../escaped", "..",
		"rootfs/../..",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		for (int prefix = 0; prefix < 2; prefix++) {
			ac_buf b;
			ac_buf_init(&b, 0);
			raw_hdr(&b, "rootfs/", '5', 0, NULL, 0755);
			raw_hdr(&b, names[i], '0', 4, NULL, 0644);
			raw_data(&b, "evil", 4);
			raw_end(&b);
			ac_error *err = NULL;
			struct ac_extract_opts o = rootfs_opts();
			if (!prefix)
				o.strip_prefix = NULL;
			check_err(extract_buf(&b, &o, &err), err, "the path leads outside the extraction root");
			ac_buf_release(&b);
			check_confined();
			reset_root();
		}
	}
	/* the message names the entry as written */
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "rootfs/../../escaped", '0', 0, NULL, 0644);
	raw_end(&b);
	ac_error *err = NULL;
	check_err(extract_buf(&b, NULL, &err), err,
		  "x.aci: entry \"rootfs/../../escaped\": the path leads outside the extraction root");
	/* a name that only passes through ".." inside the root is fine */
	ac_buf_reset(&b);
	raw_hdr(&b, "rootfs/a/../b", '0', 1, NULL, 0644);
	raw_data(&b, "b", 1);
	raw_end(&b);
	struct ac_extract_opts o = rootfs_opts();
	check_ok(extract_buf(&b, &o, &err), err);
	check_file(ROOT "/b", "b");
	check_confined();
	ac_buf_release(&b);
}

DEFINE_TEST(test_extract_absolute_names)
{
	setup();
	_cleanup_free_ char *abs = xasprintf("%s/outside/escaped", test_tmpdir);
	const char *names[] = { "/escaped", "/rootfs/escaped", "//escaped", abs, "/" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		for (int prefix = 0; prefix < 2; prefix++) {
			ac_buf b;
			ac_buf_init(&b, 0);
			if (!strcmp(names[i], "/")) {
				raw_hdr(&b, "/", '5', 0, NULL, 0755);
			} else {
				raw_hdr(&b, names[i], '0', 4, NULL, 0644);
				raw_data(&b, "evil", 4);
			}
			raw_end(&b);
			ac_error *err = NULL;
			struct ac_extract_opts o = rootfs_opts();
			if (!prefix)
				o.strip_prefix = NULL;
			check_err(extract_buf(&b, &o, &err), err, "absolute path names are refused");
			ac_buf_release(&b);
			check_confined();
			reset_root();
		}
	}
}

/* 200+ byte names (pax), unicode, odd bytes. */
DEFINE_TEST(test_extract_long_and_unicode_names)
{
	setup();
	char longdir[300], longname[600];
	memset(longdir, 'd', 250);
	longdir[250] = '\0';
	snprintf(longname, sizeof(longname), "rootfs/%s/%s", longdir, "f-with-a-fairly-long-name-as-well.txt");
	char longbase[256];
	memset(longbase, 'n', 255);
	longbase[255] = '\0';
	_cleanup_free_ char *maxname = xasprintf("rootfs/%s", longbase);
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs");
	tb_file(t, longname, "long");
	tb_file(t, maxname, "max");
	tb_file(t, "rootfs/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "unicode");
	tb_file(t, "rootfs/\xf0\x9f\x90\xb3 space\ttab", "emoji");
	tb_symlink(t, "rootfs/ul", "\xc3\xa9t\xc3\xa9");
	tb_save(t, "l.aci");
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	check_ok(extract_path("l.aci", &o, &err), err);
	_cleanup_free_ char *p = xasprintf(ROOT "/%s/f-with-a-fairly-long-name-as-well.txt", longdir);
	check_file(p, "long");
	_cleanup_free_ char *p2 = xasprintf(ROOT "/%s", longbase);
	check_file(p2, "max");
	check_file(ROOT "/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "unicode");
	check_file(ROOT "/\xf0\x9f\x90\xb3 space\ttab", "emoji");
	check_file(ROOT "/ul/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "unicode");
	check_confined();

	/* a component longer than NAME_MAX: a clean error */
	char toolong[400];
	memset(toolong, 'z', 300);
	toolong[300] = '\0';
	_cleanup_free_ char *bad = xasprintf("rootfs/%s", toolong);
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, bad, "x");
	tb_save(t, "t.aci");
	reset_root();
	check_err(extract_path("t.aci", &o, &err), err, "File name too long");
	check_confined();
}

/* ---- symlinks ---- */

/* "l -> /abs/outside" then "l/f": with openat2 the path is followed inside
 * the root (ROOT/abs/outside/f), without it refused; never outside. */
DEFINE_TEST(test_extract_symlink_then_write_through)
{
	setup();
	_cleanup_free_ char *abs_out = xasprintf("%s/outside", test_tmpdir);
	const char *targets[] = { abs_out, "../../outside", "../../../../../../../..", "/", "/tmp", "." };
	unsetenv("AC_EXTRACT_NO_OPENAT2"); /* both ways are tried here */
	int have2 = openat2_works();
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		for (int fallback = 0; fallback < 2; fallback++) {
			if (fallback)
				setenv("AC_EXTRACT_NO_OPENAT2", "1", 1);
			else
				unsetenv("AC_EXTRACT_NO_OPENAT2");
			struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
			tb_dir(t, "rootfs");
			tb_symlink(t, "rootfs/l", targets[i]);
			tb_file(t, "rootfs/l/escaped", "evil");
			tb_dir(t, "rootfs/l/dir");
			tb_save(t, "s.aci");
			ac_error *err = NULL;
			struct ac_extract_opts o = rootfs_opts();
			int rc = extract_path("s.aci", &o, &err);
			/* the ".." and "/" all stop at the root: the targets that
			 * do not lead to the root itself dangle inside it */
			const char *tg = targets[i];
			while (*tg == '/' || *tg == '.')
				tg++;
			if (fallback || !have2) {
				check_int(rc, ==, -1);
				check(err && strstr(err->msg, "entry \"rootfs/l/escaped\": ") &&
				      strstr(err->msg, "symlink"));
				ac_error_free(&err);
			} else if (*tg) {
				check_err(rc, err, "entry \"rootfs/l/escaped\": cannot open the parent directory");
			} else {
				check_ok(rc, err);
				/* resolved inside the root */
				check_file(ROOT "/escaped", "evil");
				struct stat st;
				check_int(lstat(ROOT "/dir", &st), ==, 0);
				check(S_ISDIR(st.st_mode));
			}
			check_confined();
			reset_root();
		}
	}
	unsetenv("AC_EXTRACT_NO_OPENAT2");

	/* a chain of symlinks, and a loop */
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_symlink(t, "a", "b");
	tb_symlink(t, "b", "../../../outside");
	tb_dir(t, "outside"); /* so that the chain leads to ROOT/outside */
	tb_file(t, "a/escaped", "evil");
	tb_save(t, "c.aci");
	ac_error *err = NULL;
	int rc = extract_path("c.aci", NULL, &err);
	if (have2) {
		check_ok(rc, err);
		check_file(ROOT "/outside/escaped", "evil");
	} else {
		check_int(rc, ==, -1);
		ac_error_free(&err);
	}
	check_confined();
	reset_root();
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_symlink(t, "a", "b");
	tb_symlink(t, "b", "a");
	tb_file(t, "a/escaped", "evil");
	tb_save(t, "loop.aci");
	check_err(extract_path("loop.aci", NULL, &err), err, "entry \"a/escaped\": ");
	check_confined();
}

/* The root itself may only be a directory entry (CVE-2021-29136). */
DEFINE_TEST(test_extract_symlink_as_root)
{
	setup();
	_cleanup_free_ char *abs_out = xasprintf("%s/outside", test_tmpdir);
	static const struct { const char *name; int prefix; } cases[] = {
		{ ".", 0 }, { "./", 0 }, { "", 0 }, { "rootfs", 1 }, { "rootfs/", 1 }, { "rootfs/.", 1 }, { "./rootfs", 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		for (int kind = 0; kind < 3; kind++) {
			ac_buf b;
			ac_buf_init(&b, 0);
			if (kind == 0) {
				raw_hdr(&b, cases[i].name, '2', 0, abs_out, 0777);
			} else if (kind == 1) {
				raw_hdr(&b, cases[i].name, '2', 0, "..", 0777);
			} else {
				raw_hdr(&b, "rootfs/f", '0', 0, NULL, 0644);
				raw_hdr(&b, cases[i].name, '1', 0, "rootfs/f", 0644);
			}
			raw_hdr(&b, cases[i].prefix ? "rootfs/escaped" : "escaped", '0', 4, NULL, 0644);
			raw_data(&b, "evil", 4);
			raw_end(&b);
			ac_error *err = NULL;
			struct ac_extract_opts o = rootfs_opts();
			if (!cases[i].prefix)
				o.strip_prefix = NULL;
			check_err(extract_buf(&b, &o, &err), err, "only a directory can stand for the extraction root");
			ac_buf_release(&b);
			struct stat st;
			check_int(lstat(ROOT, &st), ==, 0);
			check(S_ISDIR(st.st_mode));
			check_confined();
			reset_root();
		}
	}
	/* a regular file standing for the root */
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "rootfs", '0', 4, NULL, 0644);
	raw_data(&b, "evil", 4);
	raw_end(&b);
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	check_err(extract_buf(&b, &o, &err), err, "only a directory can stand for the extraction root");
	ac_buf_release(&b);
	check_confined();
	reset_root();

	/* a directory entry for the root sets its mode and times */
	ac_buf_init(&b, 0);
	raw_pax(&b, "mtime", "1234567890.000000005");
	raw_hdr(&b, "rootfs/", '5', 0, NULL, 0710);
	raw_hdr(&b, "rootfs/a", '0', 1, NULL, 0644);
	raw_data(&b, "a", 1);
	raw_end(&b);
	save_buf("r.aci", b.buf, b.len);
	ac_buf_release(&b);
	check_ok(extract_path("r.aci", &o, &err), err);
	struct stat st;
	check_int(stat(ROOT, &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0710);
	check_int(st.st_mtim.tv_sec, ==, 1234567890);
	check_int(st.st_mtim.tv_nsec, ==, 5);
	check_confined();
}

/* An existing symlink is replaced by the entry, never followed. */
DEFINE_TEST(test_extract_replace_symlink)
{
	setup();
	_cleanup_free_ char *abs_victim = xasprintf("%s/host/secret", test_tmpdir);
	_cleanup_free_ char *abs_out = xasprintf("%s/outside", test_tmpdir);
	static const unsigned types[] = { AE_IFREG, AE_IFLNK, AE_IFIFO, AE_IFDIR, 0 /* hard link */ };
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		for (int pre = 0; pre < 2; pre++) {
			/* the symlink exists before (pre) or comes from the archive */
			check_int(mkdir(ROOT, 0755), ==, 0);
			struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
			tb_file(t, "other", "other");
			const char *target = types[i] == AE_IFDIR ? abs_out : abs_victim;
			if (pre)
				check_int(symlink(target, ROOT "/v"), ==, 0);
			else
				tb_symlink(t, "v", target);
			if (types[i] == AE_IFREG)
				tb_put(t, ent("v", AE_IFREG, 0666), "overwritten");
			else if (types[i] == AE_IFLNK)
				tb_symlink(t, "v", "elsewhere");
			else if (types[i] == AE_IFIFO)
				tb_put(t, ent("v", AE_IFIFO, 0666), NULL);
			else if (types[i] == AE_IFDIR)
				tb_put(t, ent("v", AE_IFDIR, 0777), NULL);
			else
				tb_hardlink(t, "v", "other");
			if (types[i] == AE_IFDIR)
				tb_file(t, "v/escaped", "evil");
			tb_save(t, "r.aci");
			ac_error *err = NULL;
			check_ok(extract_path("r.aci", NULL, &err), err);
			struct stat st;
			check_int(lstat(ROOT "/v", &st), ==, 0);
			if (types[i])
				check_int(st.st_mode & S_IFMT, ==, types[i]);
			else
				check_int(st.st_nlink, ==, 2);
			check_file("host/secret", SECRET);
			check_int(stat("outside", &st), ==, 0);
			check_int(st.st_mode & 07777, ==, 0755);
			if (types[i] == AE_IFDIR) {
				check_file(ROOT "/v/escaped", "evil");
				check_int(lstat(ROOT "/v", &st), ==, 0);
				check_int(st.st_mode & 07777, ==, 0777);
			}
			check_confined();
			reset_root();
		}
	}
}

/* An existing directory is removed for a non-directory entry, without
 * following the symlinks inside it. */
DEFINE_TEST(test_extract_replace_directory)
{
	setup();
	check_int(mkdir(ROOT, 0755), ==, 0);
	check_int(mkdir(ROOT "/d", 0755), ==, 0);
	check_int(mkdir(ROOT "/d/sub", 0500), ==, 0);
	save_buf(ROOT "/d/f", "f", 1);
	_cleanup_free_ char *abs_host = xasprintf("%s/host", test_tmpdir);
	check_int(symlink(abs_host, ROOT "/d/hostlink"), ==, 0);
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "d", "now a file");
	tb_save(t, "d.aci");
	ac_error *err = NULL;
	check_ok(extract_path("d.aci", NULL, &err), err);
	check_file(ROOT "/d", "now a file");
	check_confined();
	/* a directory entry merges with an existing directory */
	reset_root();
	check_int(mkdir(ROOT, 0755), ==, 0);
	check_int(mkdir(ROOT "/d", 0700), ==, 0);
	save_buf(ROOT "/d/keep", "keep", 4);
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_put(t, ent("d", AE_IFDIR, 0755), NULL);
	tb_file(t, "d/new", "new");
	tb_save(t, "m.aci");
	check_ok(extract_path("m.aci", NULL, &err), err);
	check_file(ROOT "/d/keep", "keep");
	check_file(ROOT "/d/new", "new");
	struct stat st;
	check_int(stat(ROOT "/d", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0755);
	check_confined();
	/* an entry below a file of the archive */
	reset_root();
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "f", "f");
	tb_file(t, "f/g", "g");
	tb_save(t, "n.aci");
	check_err(extract_path("n.aci", NULL, &err), err, "entry \"f/g\": a parent is not a directory");
	check_confined();
}

/* ---- hard links ---- */

DEFINE_TEST(test_extract_hardlinks_hostile)
{
	setup();
	_cleanup_free_ char *abs_secret = xasprintf("%s/host/secret", test_tmpdir);
	static const struct { const char *target, *msg; } cases[] = {
		{ "/etc/passwd", "is outside the extraction root" },
		{ "ABS", "is outside the extraction root" },
		{ "../../host/secret", "is outside the extraction root" },
		{ "rootfs/../../../host/secret", "is outside the extraction root" },
		{ "host/secret", "is outside rootfs" },          /* not below the prefix */
		{ "manifest", "is outside rootfs" },
		{ "rootfsX/a", "is outside rootfs" },
		{ "rootfs", "hard link target \"rootfs\" is outside rootfs" },
		{ "rootfs/.", "is outside rootfs" },
		{ "rootfs/d", "hard link to a directory refused" },
		{ "rootfs/missing", "does not exist" },
		{ "rootfs/f/below-a-file", "does not exist" },
		{ "rootfs/h", "hard link to itself" },
		{ "rootfs/later", "does not exist" },
		/* through a symlink to the host: resolved inside the root */
		{ "rootfs/hostlink/secret", "does not exist" },
		{ "rootfs/rel/host/secret", "does not exist" },
	};
	_cleanup_free_ char *abs_host = xasprintf("%s/host", test_tmpdir);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ac_buf b;
		ac_buf_init(&b, 0);
		raw_hdr(&b, "rootfs/", '5', 0, NULL, 0755);
		raw_hdr(&b, "rootfs/d/", '5', 0, NULL, 0755);
		raw_hdr(&b, "rootfs/f", '0', 1, NULL, 0644);
		raw_data(&b, "f", 1);
		raw_hdr(&b, "rootfs/hostlink", '2', 0, abs_host, 0777);
		raw_hdr(&b, "rootfs/rel", '2', 0, "../../..", 0777);
		raw_hdr(&b, "manifest", '0', 0, NULL, 0644);
		raw_hdr(&b, "rootfs/h", '1', 0, strcmp(cases[i].target, "ABS") ? cases[i].target : abs_secret, 0644);
		raw_hdr(&b, "rootfs/later", '0', 0, NULL, 0644);
		raw_end(&b);
		ac_error *err = NULL;
		struct ac_extract_opts o = rootfs_opts();
		int rc = extract_buf(&b, &o, &err);
		ac_buf_release(&b);
		check_int(rc, ==, -1);
		/* without openat2 the symlinks on the way are refused */
		const char *want = cases[i].msg;
		if (!openat2_works() && (ac_str_has_prefix(cases[i].target, "rootfs/rel/") ||
					 ac_str_has_prefix(cases[i].target, "rootfs/hostlink/")))
			want = "Too many levels of symbolic links";
		if (err && !strstr(err->msg, want))
			test_fail(__FILE__, __LINE__, "target %s: \"%s\" lacks \"%s\"", cases[i].target, err->msg,
				  want);
		if (err)
			check_contains(err->msg, "x.aci: entry \"rootfs/h\": ");
		ac_error_free(&err);
		check_confined();
		reset_root();
	}

	/* CVE-2016-5418: a hard link carrying data (pax keeps the size) */
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "rootfs/f", '0', 1, NULL, 0644);
	raw_data(&b, "f", 1);
	raw_pax(&b, "size", "5");
	raw_hdr(&b, "rootfs/h", '1', 0, "rootfs/f", 0644);
	raw_data(&b, "evil!", 5);
	raw_end(&b);
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	check_err(extract_buf(&b, &o, &err), err, "hard link carrying data refused");
	check_file(ROOT "/f", "f");
	check_confined();
	reset_root();
	/* in ustar the data is a damaged header */
	ac_buf_reset(&b);
	raw_hdr(&b, "rootfs/f", '0', 1, NULL, 0644);
	raw_data(&b, "f", 1);
	raw_hdr(&b, "rootfs/h", '1', 5, "rootfs/f", 0644);
	raw_data(&b, "evil!", 5);
	raw_end(&b);
	check_err(extract_buf(&b, &o, &err), err, "Damaged tar archive");
	check_file(ROOT "/f", "f");
	check_confined();
	ac_buf_release(&b);
	reset_root();
	/* an absolute target without a prefix too */
	ac_buf_init(&b, 0);
	raw_hdr(&b, "h", '1', 0, abs_secret, 0644);
	raw_end(&b);
	check_err(extract_buf(&b, NULL, &err), err, "is outside the extraction root");
	check_confined();
	ac_buf_release(&b);
}

DEFINE_TEST(test_extract_hardlinks_good)
{
	setup();
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs");
	tb_put(t, ent("rootfs/a", AE_IFREG, 0640), "data");
	tb_hardlink(t, "rootfs/sub/b", "rootfs/a");   /* parent created */
	tb_hardlink(t, "rootfs/c", "./rootfs/sub/../a");
	tb_symlink(t, "rootfs/s", "/nowhere");
	tb_hardlink(t, "rootfs/s2", "rootfs/s");       /* links the symlink itself */
	tb_put(t, ent("rootfs/fifo", AE_IFIFO, 0600), NULL);
	tb_hardlink(t, "rootfs/fifo2", "rootfs/fifo");
	tb_file(t, "rootfs/old", "old");
	tb_hardlink(t, "rootfs/old", "rootfs/a");      /* replaces an earlier file */
	tb_save(t, "g.aci");
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	check_ok(extract_path("g.aci", &o, &err), err);
	struct stat a, st;
	check_int(lstat(ROOT "/a", &a), ==, 0);
	check_int(a.st_nlink, ==, 4);
	check_int(lstat(ROOT "/sub/b", &st), ==, 0);
	check_int(st.st_ino, ==, a.st_ino);
	check_int(lstat(ROOT "/c", &st), ==, 0);
	check_int(st.st_ino, ==, a.st_ino);
	check_int(lstat(ROOT "/old", &st), ==, 0);
	check_int(st.st_ino, ==, a.st_ino);
	struct stat s;
	check_int(lstat(ROOT "/s", &s), ==, 0);
	check_int(lstat(ROOT "/s2", &st), ==, 0);
	check(S_ISLNK(st.st_mode));
	check_int(st.st_ino, ==, s.st_ino);
	check_int(lstat(ROOT "/fifo2", &st), ==, 0);
	check(S_ISFIFO(st.st_mode));
	check_confined();
}

/* ---- special files, modes, owners, xattrs, times ---- */

static void build_devices(const char *path)
{
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs");
	tb_dir(t, "rootfs/dev");
	struct archive_entry *e = ent("rootfs/dev/null", AE_IFCHR, 0666);
	archive_entry_set_rdevmajor(e, 1);
	archive_entry_set_rdevminor(e, 3);
	tb_put(t, e, NULL);
	e = ent("rootfs/dev/sda", AE_IFBLK, 0660);
	archive_entry_set_rdevmajor(e, 8);
	archive_entry_set_rdevminor(e, 0);
	tb_put(t, e, NULL);
	tb_put(t, ent("rootfs/dev/fifo", AE_IFIFO, 0620), NULL);
	tb_put(t, ent("rootfs/suid", AE_IFREG, 06755), "#!/bin/sh\n");
	tb_put(t, ent("rootfs/sgid-dir", AE_IFDIR, 02775), NULL);
	e = ent("rootfs/owned", AE_IFREG, 0644);
	archive_entry_set_uid(e, 1234);
	archive_entry_set_gid(e, 5678);
	archive_entry_set_uname(e, "nosuchuser");
	tb_put(t, e, "owned");
	e = ent("rootfs/xattrs", AE_IFREG, 0644);
	archive_entry_xattr_add_entry(e, "trusted.t", "t", 1);
	archive_entry_xattr_add_entry(e, "user.u", "u", 1);
	tb_put(t, e, "x");
	e = ent("rootfs/owned-link", AE_IFLNK, 0777);
	archive_entry_set_symlink(e, "owned");
	archive_entry_set_uid(e, 4321);
	archive_entry_set_gid(e, 8765);
	tb_put(t, e, NULL);
	tb_save(t, path);
}

DEFINE_TEST(test_extract_devices_as_root)
{
	if (geteuid() != 0) {
		test_skip("needs root");
		return;
	}
	setup();
	build_devices("d.aci");
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	check_int(o.same_owner, ==, 1);
	check_int(o.allow_devices, ==, 1);
	check_ok(extract_path("d.aci", &o, &err), err);
	struct stat st;
	check_int(lstat(ROOT "/dev/null", &st), ==, 0);
	check(S_ISCHR(st.st_mode));
	check_int(major(st.st_rdev), ==, 1);
	check_int(minor(st.st_rdev), ==, 3);
	check_int(st.st_mode & 07777, ==, 0666);
	check_int(lstat(ROOT "/dev/sda", &st), ==, 0);
	check(S_ISBLK(st.st_mode));
	check_int(major(st.st_rdev), ==, 8);
	check_int(st.st_mode & 07777, ==, 0660);
	check_int(lstat(ROOT "/dev/fifo", &st), ==, 0);
	check(S_ISFIFO(st.st_mode));
	check_int(st.st_mode & 07777, ==, 0620);
	/* same_owner: owners numerically, setuid/setgid kept */
	check_int(lstat(ROOT "/suid", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 06755);
	check_int(lstat(ROOT "/sgid-dir", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 02775);
	check_int(lstat(ROOT "/owned", &st), ==, 0);
	check_int(st.st_uid, ==, 1234);
	check_int(st.st_gid, ==, 5678);
	check_int(lstat(ROOT "/owned-link", &st), ==, 0);
	check_int(st.st_uid, ==, 4321);
	check_int(st.st_gid, ==, 8765);
	char v[4];
	check_int(getxattr(ROOT "/xattrs", "trusted.t", v, sizeof(v)), ==, 1);
	check_int(getxattr(ROOT "/xattrs", "user.u", v, sizeof(v)), ==, 1);
	check_confined();

	/* without allow_devices and same_owner: devices skipped, bits stripped */
	reset_root();
	o.allow_devices = 0;
	o.same_owner = 0;
	check_ok(extract_path("d.aci", &o, &err), err);
	check(access(ROOT "/dev/null", F_OK) < 0);
	check(access(ROOT "/dev/sda", F_OK) < 0);
	check_int(lstat(ROOT "/dev/fifo", &st), ==, 0);
	check(S_ISFIFO(st.st_mode));
	check_int(lstat(ROOT "/suid", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0755);
	check_int(lstat(ROOT "/sgid-dir", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0775);
	check_int(lstat(ROOT "/owned", &st), ==, 0);
	check_int(st.st_uid, ==, 0);
	check_confined();

	/* a device over an existing file replaces it */
	reset_root();
	check_int(mkdir(ROOT, 0755), ==, 0);
	check_int(mkdir(ROOT "/dev", 0755), ==, 0);
	check_int(symlink("/dev/null", ROOT "/dev/null"), ==, 0);
	o.allow_devices = 1;
	check_ok(extract_path("d.aci", &o, &err), err);
	check_int(lstat(ROOT "/dev/null", &st), ==, 0);
	check(S_ISCHR(st.st_mode));
	check_confined();
}

/* As an unprivileged user, with the defaults: devices skipped without an
 * error, FIFOs made, setuid/setgid stripped, owners not restored. */
DEFINE_TEST(test_extract_devices_unprivileged)
{
	if (geteuid() == 0) {
		/* become nobody in a child, in a directory it may write */
		check_int(chmod(test_tmpdir, 0755), ==, 0);
		check_int(mkdir("nr", 0777), ==, 0);
		check_int(chmod("nr", 0777), ==, 0);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			if (chdir("nr") < 0 || setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
				_exit(99);
			test_extract_devices_unprivileged();
			fflush(stdout);
			_exit(test_failures ? 1 : 0);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		check(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		return;
	}
	setup();
	build_devices("d.aci");
	struct ac_extract_opts o;
	ac_extract_opts_default(&o);
	check_int(o.same_owner, ==, 0);
	check_int(o.allow_devices, ==, 0);
	o.strip_prefix = "rootfs";
	ac_error *err = NULL;
	check_ok(extract_path("d.aci", &o, &err), err);
	struct stat st;
	check(access(ROOT "/dev/null", F_OK) < 0);
	check(access(ROOT "/dev/sda", F_OK) < 0);
	check_int(lstat(ROOT "/dev/fifo", &st), ==, 0);
	check(S_ISFIFO(st.st_mode));
	check_int(lstat(ROOT "/suid", &st), ==, 0);
	check_int(st.st_mode & 07777, ==, 0755);
	check_int(lstat(ROOT "/owned", &st), ==, 0);
	check_int(st.st_uid, ==, geteuid());
	/* trusted.* needs privileges: skipped, user.* restored */
	char v[4];
	check_int(getxattr(ROOT "/xattrs", "user.u", v, sizeof(v)), ==, 1);
	check_int(getxattr(ROOT "/xattrs", "trusted.t", v, sizeof(v)), ==, -1);
	check_confined();
	/* asking for devices anyway fails cleanly */
	reset_root();
	o.allow_devices = 1;
	check_err(extract_path("d.aci", &o, &err), err, "entry \"rootfs/dev/null\": cannot create the device node");
	check_confined();
}

DEFINE_TEST(test_extract_xattrs_and_times)
{
	setup();
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	struct archive_entry *e = ent("rootfs", AE_IFDIR, 0755);
	tb_put(t, e, NULL);
	e = ent("rootfs/d", AE_IFDIR, 0750);
	archive_entry_set_mtime(e, 1500000000, 123456789);
	archive_entry_xattr_add_entry(e, "user.dir", "dv", 2);
	tb_put(t, e, NULL);
	e = ent("rootfs/d/f", AE_IFREG, 0644);
	archive_entry_set_mtime(e, 1600000000, 987654321);
	archive_entry_xattr_add_entry(e, "user.one", "1", 1);
	archive_entry_xattr_add_entry(e, "user.bin", "\0\1\2", 3);
	archive_entry_xattr_add_entry(e, "user.empty", "", 0);
	tb_put(t, e, "f");
	e = ent("rootfs/old", AE_IFREG, 0644);
	archive_entry_set_mtime(e, -100, 0); /* before the epoch */
	tb_put(t, e, "old");
	tb_save(t, "x.aci");
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	check_ok(extract_path("x.aci", &o, &err), err);
	char v[16];
	ssize_t n = getxattr(ROOT "/d/f", "user.one", v, sizeof(v));
	check(n == 1 && v[0] == '1');
	n = getxattr(ROOT "/d/f", "user.bin", v, sizeof(v));
	check(n == 3 && !memcmp(v, "\0\1\2", 3));
	n = getxattr(ROOT "/d/f", "user.empty", v, sizeof(v));
	check_int(n, ==, 0);
	n = getxattr(ROOT "/d", "user.dir", v, sizeof(v));
	check(n == 2 && !memcmp(v, "dv", 2));
	struct stat st;
	check_int(lstat(ROOT "/d/f", &st), ==, 0);
	check_int(st.st_mtim.tv_sec, ==, 1600000000);
	check_int(st.st_mtim.tv_nsec, ==, 987654321);
	check_int(st.st_atim.tv_sec, ==, 1600000000); /* atime = mtime when absent */
	check_int(lstat(ROOT "/d", &st), ==, 0);      /* after its children were made */
	check_int(st.st_mtim.tv_sec, ==, 1500000000);
	check_int(st.st_mtim.tv_nsec, ==, 123456789);
	check_int(st.st_mode & 07777, ==, 0750);
	check_int(lstat(ROOT "/old", &st), ==, 0);
	check_int(st.st_mtim.tv_sec, ==, -100);
	check_confined();

	/* times of a symlink, a fifo, and atime (pax records written here:
	 * libarchive's restricted pax leaves them out) */
	reset_root();
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "rootfs/f", '0', 0, NULL, 0644);
	raw_pax(&b, "mtime", "1300000000.000000042");
	raw_hdr(&b, "rootfs/l", '2', 0, "f", 0777);
	raw_pax(&b, "mtime", "1200000000.000000007");
	raw_hdr(&b, "rootfs/p", '6', 0, NULL, 0644);
	raw_pax(&b, "atime", "1100000000.5");
	raw_hdr(&b, "rootfs/a", '0', 0, NULL, 0644);
	raw_end(&b);
	check_ok(extract_buf(&b, &o, &err), err);
	ac_buf_release(&b);
	check_int(lstat(ROOT "/l", &st), ==, 0);
	check(S_ISLNK(st.st_mode));
	check_int(st.st_mtim.tv_sec, ==, 1300000000);
	check_int(st.st_mtim.tv_nsec, ==, 42);
	check_int(lstat(ROOT "/p", &st), ==, 0);
	check(S_ISFIFO(st.st_mode));
	check_int(st.st_mtim.tv_sec, ==, 1200000000);
	check_int(st.st_mtim.tv_nsec, ==, 7);
	check_int(lstat(ROOT "/a", &st), ==, 0);
	check_int(st.st_atim.tv_sec, ==, 1100000000);
	check_int(st.st_atim.tv_nsec, ==, 500000000);
	check_int(st.st_mtim.tv_sec, ==, 1000000000);
	check_confined();
}

/* ---- sizes ---- */

DEFINE_TEST(test_extract_max_bytes)
{
	setup();
	unsigned char *data = pseudo_random(1 << 20, 3);
	struct tb *t = tb_new(ARCHIVE_FILTER_GZIP);
	tb_dir(t, "rootfs");
	tb_add(t, "rootfs/a", AE_IFREG, 0644, (const char *)data, 600000);
	tb_add(t, "rootfs/b", AE_IFREG, 0644, (const char *)data, 600000);
	tb_save(t, "m.aci");
	free(data);
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	o.max_bytes = 1000000;
	check_err(extract_path("m.aci", &o, &err), err, "m.aci: entry \"rootfs/b\": extracted data exceeds 1000000 bytes");
	struct stat st;
	check_int(stat(ROOT "/a", &st), ==, 0);
	check_int(st.st_size, ==, 600000);
	check(access(ROOT "/b", F_OK) < 0); /* refused before it was made */
	check_confined();
	reset_root();
	o.max_bytes = 1200000; /* exactly enough */
	check_ok(extract_path("m.aci", &o, &err), err);
	reset_root();
	o.max_bytes = 599999; /* one file alone is too much */
	check_err(extract_path("m.aci", &o, &err), err, "entry \"rootfs/a\": extracted data exceeds 599999 bytes");
	check(access(ROOT "/a", F_OK) < 0);
	check_confined();

	/* a bomb: 64 MiB of zeros, gzip-compressed to a few KiB */
	reset_root();
	size_t big = 64u << 20;
	char *zeros = xcalloc(1, big);
	t = tb_new(ARCHIVE_FILTER_GZIP);
	tb_add(t, "rootfs/bomb", AE_IFREG, 0644, zeros, big);
	ac_buf b;
	tb_finish(t, &b);
	free(zeros);
	check_int(b.len, <, 1 << 20);
	o.max_bytes = 1 << 20;
	check_err(extract_buf(&b, &o, &err), err, "extracted data exceeds 1048576 bytes");
	check(access(ROOT "/bomb", F_OK) < 0);
	check_confined();
	ac_buf_release(&b);
}

/* A header declaring far more data than follows. */
DEFINE_TEST(test_extract_truncated_and_absurd)
{
	setup();
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "rootfs/", '5', 0, NULL, 0755);
	raw_hdr(&b, "rootfs/huge", '0', (uint64_t)1 << 33, NULL, 0644);
	raw_data(&b, "little", 6);
	raw_end(&b);
	ac_error *err = NULL;
	struct ac_extract_opts o = rootfs_opts();
	o.max_bytes = 1 << 20;
	check_err(extract_buf(&b, &o, &err), err, "entry \"rootfs/huge\": extracted data exceeds 1048576 bytes");
	check(access(ROOT "/huge", F_OK) < 0);
	check_confined();
	reset_root();
	/* without a cap: the stream ends early */
	o.max_bytes = 0;
	check_err(extract_buf(&b, &o, &err), err, "x.aci: ");
	check_confined();
	reset_root();

	/* absurd: a base-256 size near 2^63 */
	ac_buf_reset(&b);
	raw_hdr(&b, "rootfs/absurd", '0', 0, NULL, 0644);
	char *h = b.buf;
	memset(h + 124, 0xff, 12);
	h[124] = (char)0x80;
	h[125] = 0;
	h[126] = 0;
	h[127] = 0;
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	raw_data(&b, "x", 1);
	raw_end(&b);
	check_err(extract_buf(&b, &o, &err), err, "x.aci: ");
	check_confined();
	reset_root();
	/* garbage instead of a header */
	ac_buf_reset(&b);
	raw_hdr(&b, "rootfs/ok", '0', 2, NULL, 0644);
	raw_data(&b, "ok", 2);
	raw_data(&b, "garbage where a header should be", 32);
	raw_hdr(&b, "rootfs/hidden", '0', 0, NULL, 0644);
	raw_end(&b);
	check_err(extract_buf(&b, &o, &err), err, "x.aci: Damaged tar archive");
	check(access(ROOT "/hidden", F_OK) < 0);
	check_confined();
	ac_buf_release(&b);
}

/* ---- ac_open_in_root ---- */

DEFINE_TEST(test_open_in_root)
{
	setup();
	check_int(mkdir(ROOT, 0755), ==, 0);
	check_int(mkdir(ROOT "/etc", 0755), ==, 0);
	save_buf(ROOT "/etc/passwd", "inside", 6);
	check_int(symlink("/", ROOT "/up"), ==, 0);
	check_int(symlink("../../../../..", ROOT "/rel"), ==, 0);
	check_int(symlink("/etc/passwd", ROOT "/pw"), ==, 0);
	int rootfd = open(ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ac_error *err = NULL;
	const char *paths[] = { "etc/passwd", "/etc/passwd", "../../../etc/passwd", "up/etc/passwd",
				"rel/etc/passwd", "pw", "up/up/rel/pw" };
	int have2 = openat2_works();
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		int fd = ac_open_in_root(rootfd, paths[i], O_RDONLY, 0, &err);
		int through_link = i >= 3;
		if (!have2 && through_link) {
			check_int(fd, ==, -1);
			check_err(fd, err, "without openat2");
			continue;
		}
		check_ok(fd, err);
		char buf[16] = { 0 };
		if (fd >= 0) {
			check_int(read(fd, buf, sizeof(buf)), ==, 6);
			check_str(buf, "inside");
			close(fd);
		}
	}
	/* the fallback refuses any symlink on the way */
	setenv("AC_EXTRACT_NO_OPENAT2", "1", 1);
	check_err(ac_open_in_root(rootfd, "up/etc/passwd", O_RDONLY, 0, &err), err,
		  "up/etc/passwd: symlinks in the path can not be resolved safely without openat2");
	check_err(ac_open_in_root(rootfd, "pw", O_RDONLY, 0, &err), err, "without openat2");
	int fd = ac_open_in_root(rootfd, "../etc/passwd", O_RDONLY, 0, &err);
	check_ok(fd, err);
	if (fd >= 0)
		close(fd);
	unsetenv("AC_EXTRACT_NO_OPENAT2");
	/* O_NOFOLLOW refuses a symlink as the last component */
	check_err(ac_open_in_root(rootfd, "pw", O_RDONLY | O_NOFOLLOW, 0, &err), err, "pw: ");
	/* creation inside the root */
	fd = ac_open_in_root(rootfd, "/../new", O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
	check_ok(fd, err);
	if (fd >= 0)
		close(fd);
	check(access(ROOT "/new", F_OK) == 0);
	check_err(ac_open_in_root(rootfd, "missing/x", O_RDONLY, 0, &err), err, "missing/x: No such file");
	close(rootfd);
	check_confined();
}

/* ---- a large round trip: writer -> reader -> extractor ---- */

static void compare_trees(const char *a, const char *b, int *nfiles)
{
	DIR *d = opendir(a);
	check(d != NULL);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *pa = xasprintf("%s/%s", a, de->d_name);
		_cleanup_free_ char *pb = xasprintf("%s/%s", b, de->d_name);
		struct stat sa, sb;
		check_int(lstat(pa, &sa), ==, 0);
		if (lstat(pb, &sb) < 0) {
			test_fail(__FILE__, __LINE__, "%s missing", pb);
			continue;
		}
		if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT) || (sa.st_mode & 07777) != (sb.st_mode & 07777)) {
			test_fail(__FILE__, __LINE__, "%s: mode %o vs %o", pb, sa.st_mode, sb.st_mode);
			continue;
		}
		if (!S_ISLNK(sa.st_mode) && sa.st_mtim.tv_sec != sb.st_mtim.tv_sec)
			test_fail(__FILE__, __LINE__, "%s: mtime differs", pb);
		if (S_ISDIR(sa.st_mode)) {
			compare_trees(pa, pb, nfiles);
		} else if (S_ISREG(sa.st_mode)) {
			(*nfiles)++;
			char *da = NULL, *db = NULL;
			size_t la = 0, lb = 0;
			ac_error *err = NULL;
			check_ok(ac_read_file_at(AT_FDCWD, pa, 1 << 26, &da, &la, &err), err);
			check_ok(ac_read_file_at(AT_FDCWD, pb, 1 << 26, &db, &lb, &err), err);
			if (la != lb || (la && memcmp(da, db, la)))
				test_fail(__FILE__, __LINE__, "%s: content differs", pb);
			if (sa.st_nlink != sb.st_nlink)
				test_fail(__FILE__, __LINE__, "%s: %ju links vs %ju", pb, (uintmax_t)sa.st_nlink,
					  (uintmax_t)sb.st_nlink);
			free(da);
			free(db);
		} else if (S_ISLNK(sa.st_mode)) {
			char ta[PATH_MAX], tb2[PATH_MAX];
			ssize_t na = readlink(pa, ta, sizeof(ta)), nb = readlink(pb, tb2, sizeof(tb2));
			if (na != nb || na < 0 || memcmp(ta, tb2, (size_t)na))
				test_fail(__FILE__, __LINE__, "%s: symlink differs", pb);
		}
	}
	closedir(d);
}

DEFINE_TEST(test_extract_large_roundtrip)
{
	setup();
	check_int(mkdir("src.aci", 0755), ==, 0); /* ".aci" keeps check_confined quiet */
	check_int(mkdir("src.aci/rootfs", 0755), ==, 0);
	save_buf("src.aci/manifest", test_manifest, strlen(test_manifest));
	unsigned char *rnd = pseudo_random(8 << 20, 9);
	size_t used = 0;
	char path[PATH_MAX];
	for (int dir = 0; dir < 40; dir++) {
		snprintf(path, sizeof(path), "src.aci/rootfs/d%02d", dir);
		check_int(mkdir(path, dir % 7 ? 0755 : 0700), ==, 0);
		for (int f = 0; f < 50; f++) {
			int i = dir * 50 + f;
			snprintf(path, sizeof(path), "src.aci/rootfs/d%02d/f%04d", dir, i);
			/* mostly small files, a few of 100 KiB - 1 MiB */
			size_t len = i % 97 == 0 ? (size_t)(100 << 10) + (size_t)i * 331 % (900 << 10) : (size_t)(i * 37) % 3000;
			if (used + len > (8u << 20))
				used = 0;
			save_buf(path, rnd + used, len);
			used += len;
			check_int(chmod(path, i % 5 ? 0644 : 0755), ==, 0);
			struct timespec ts[2] = { { 1000000000 + i, 0 }, { 1000000000 + i, 0 } };
			check_int(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
			if (i % 100 == 1) {
				char l[PATH_MAX];
				snprintf(l, sizeof(l), "src.aci/rootfs/d%02d/hard%04d", dir, i);
				check_int(link(path, l), ==, 0);
				snprintf(l, sizeof(l), "src.aci/rootfs/d%02d/sym%04d", dir, i);
				check_int(symlink(path + strlen("src.aci/rootfs/d00/"), l), ==, 0);
			}
		}
	}
	free(rnd);
	ac_error *err = NULL;
	char wid[AC_IMAGE_ID_LEN + 1], rid[AC_IMAGE_ID_LEN + 1];
	struct ac_aci_write_opts wo = { .comp = { .type = AC_COMP_GZIP, .level = 1, .threads = 2 } };
	int fd = open("big.aci", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int dfd = open("src.aci", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ac_aci_writer *w = ac_aci_writer_new(fd, &wo, &err);
	check(w != NULL);
	check_ok(ac_aci_writer_add_manifest(w, test_manifest, strlen(test_manifest), 0, &err), err);
	check_ok(ac_aci_writer_add_rootfs(w, dfd, &err), err);
	check_ok(ac_aci_writer_finish(w, wid, &err), err);
	ac_aci_writer_free(w);
	close(fd);
	close(dfd);
	/* directory mtimes last, after all the files were made */
	for (int dir = 0; dir < 40; dir++) {
		snprintf(path, sizeof(path), "src.aci/rootfs/d%02d", dir);
		struct timespec ts[2] = { { 1100000000, 0 }, { 1100000000, 0 } };
		check_int(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
	}

	fd = open_ro("big.aci");
	ac_aci_reader *r = ac_aci_reader_open(fd, "big.aci", &err);
	check(r != NULL);
	if (!r) {
		ac_error_free(&err);
		close(fd);
		return;
	}
	struct ac_extract_opts o = rootfs_opts();
	check_ok(ac_extract(r, ROOT, &o, &err), err);
	check_ok(ac_aci_reader_finish(r, rid, &err), err);
	check_str(rid, wid);
	ac_aci_reader_free(r);
	close(fd);
	int nfiles = 0;
	/* the writer stored the tree before the directory times changed */
	for (int dir = 0; dir < 40; dir++) {
		snprintf(path, sizeof(path), ROOT "/d%02d", dir);
		struct timespec ts[2] = { { 1100000000, 0 }, { 1100000000, 0 } };
		check_int(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
	}
	compare_trees("src.aci/rootfs", ROOT, &nfiles);
	check_int(nfiles, ==, 2000 + 20);
	/* and nothing more */
	check_int(dir_count(ROOT), ==, 40);
	check_confined();
}
