/* Unit tests of the ACI reader, the manifest fast path, the archive and
 * layout validators and ac_path_clean (ac/aci.h).  Archives are built here
 * with libarchive (or byte by byte, for what libarchive will not write) so
 * that the reader is checked against an independent writer; the builders are
 * shared with test-extract.c. */
#include "test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "ac/aci.h"
#include "ac/buf.h"
#include "ac/fs.h"
#include "ac/manifest.h"

/* ---- builders shared with test-extract.c (declared there too) ---- */
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
int compress_buf(int filter, const void *in, size_t len, ac_buf *out);
void sha512_id(const void *data, size_t len, char id[AC_IMAGE_ID_LEN + 1]);
unsigned char *pseudo_random(size_t n, uint32_t seed);
int open_ro(const char *path);
extern const char test_manifest[];

const char test_manifest[] = "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/test\"}";

struct tb {
	struct archive *a;
	ac_buf out;
};

static la_ssize_t tb_write_cb(struct archive *a, void *arg, const void *buf, size_t len)
{
	(void)a;
	ac_buf_add(arg, buf, len);
	return (la_ssize_t)len;
}

/* A pax archive in memory, compressed with filter (ARCHIVE_FILTER_*). */
struct tb *tb_new(int filter)
{
	struct tb *t = xcalloc(1, sizeof(*t));
	ac_buf_init(&t->out, 0);
	t->a = archive_write_new();
	archive_write_set_format_pax_restricted(t->a);
	int r = ARCHIVE_OK;
	switch (filter) {
	case ARCHIVE_FILTER_GZIP: r = archive_write_add_filter_gzip(t->a); break;
	case ARCHIVE_FILTER_BZIP2: r = archive_write_add_filter_bzip2(t->a); break;
	case ARCHIVE_FILTER_XZ: r = archive_write_add_filter_xz(t->a); break;
	case ARCHIVE_FILTER_ZSTD: r = archive_write_add_filter_zstd(t->a); break;
	default: break;
	}
	/* no zero padding after the compressed stream (see
	 * test_aci_read_libarchive_padding) */
	if (filter != ARCHIVE_FILTER_NONE)
		archive_write_set_bytes_in_last_block(t->a, 1);
	if (r != ARCHIVE_OK || archive_write_open(t->a, &t->out, NULL, tb_write_cb, NULL) != ARCHIVE_OK)
		test_fail(__FILE__, __LINE__, "libarchive: %s", archive_error_string(t->a));
	return t;
}

void tb_entry(struct tb *t, struct archive_entry *e, const void *data, size_t len)
{
	if (archive_write_header(t->a, e) < ARCHIVE_WARN)
		test_fail(__FILE__, __LINE__, "write header %s: %s", archive_entry_pathname(e),
			  archive_error_string(t->a));
	if (len && archive_write_data(t->a, data, len) != (la_ssize_t)len)
		test_fail(__FILE__, __LINE__, "write data %s: %s", archive_entry_pathname(e),
			  archive_error_string(t->a));
}

/* data: file contents (len bytes) or a symlink target. */
void tb_add(struct tb *t, const char *name, unsigned type, unsigned perm, const char *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, 1000000000, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, data);
	if (type == AE_IFREG)
		archive_entry_set_size(e, (la_int64_t)len);
	tb_entry(t, e, type == AE_IFREG ? data : NULL, type == AE_IFREG ? len : 0);
	archive_entry_free(e);
}

void tb_file(struct tb *t, const char *name, const char *data)
{
	tb_add(t, name, AE_IFREG, 0644, data, strlen(data));
}

void tb_dir(struct tb *t, const char *name)
{
	tb_add(t, name, AE_IFDIR, 0755, NULL, 0);
}

void tb_symlink(struct tb *t, const char *name, const char *target)
{
	tb_add(t, name, AE_IFLNK, 0777, target, 0);
}

void tb_hardlink(struct tb *t, const char *name, const char *target)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_hardlink(e, target);
	tb_entry(t, e, NULL, 0);
	archive_entry_free(e);
}

/* Ends the archive; out receives its bytes (and must be released). */
void tb_finish(struct tb *t, ac_buf *out)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		test_fail(__FILE__, __LINE__, "close: %s", archive_error_string(t->a));
	archive_write_free(t->a);
	*out = t->out;
	free(t);
}

void tb_save(struct tb *t, const char *path)
{
	ac_buf b;
	tb_finish(t, &b);
	save_buf(path, b.buf, b.len);
	ac_buf_release(&b);
}

/* A ustar header written byte by byte, for entries libarchive would not
 * write as they are. */
void raw_hdr(ac_buf *m, const char *name, char type, uint64_t size, const char *link, unsigned mode)
{
	char h[512] = { 0 };
	strncpy(h, name, 100);
	snprintf(h + 100, 8, "%07o", mode);
	snprintf(h + 108, 8, "%07o", 0);
	snprintf(h + 116, 8, "%07o", 0);
	snprintf(h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf(h + 136, 12, "%011o", 1000000000);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		strncpy(h + 157, link, 100);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	ac_buf_add(m, h, 512);
}

void raw_data(ac_buf *m, const void *data, size_t len)
{
	static const char pad[512];
	ac_buf_add(m, data, len);
	if (len % 512)
		ac_buf_add(m, pad, 512 - len % 512);
}

/* A pax extended header holding one record for the next entry. */
void raw_pax(ac_buf *m, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3; /* " k=v\n" without the length */
	size_t n = body + 1;
	while (n != body + (size_t)snprintf(NULL, 0, "%zu", n))
		n = body + (size_t)snprintf(NULL, 0, "%zu", n);
	_cleanup_free_ char *rec = xasprintf("%zu %s=%s\n", n, key, value);
	raw_hdr(m, "PaxHeader", 'x', strlen(rec), NULL, 0644);
	raw_data(m, rec, strlen(rec));
}

void raw_end(ac_buf *m)
{
	static const char z[1024];
	ac_buf_add(m, z, sizeof(z));
}

void save_buf(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ac_write_all(fd, data, len) < 0)
		test_fail(__FILE__, __LINE__, "cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Compresses bytes with libarchive's "raw" format, independent of our own
 * compressors; 0, or -1 when libarchive lacks the filter. */
int compress_buf(int filter, const void *in, size_t len, ac_buf *out)
{
	struct tb *t = xcalloc(1, sizeof(*t));
	ac_buf_init(&t->out, 0);
	t->a = archive_write_new();
	archive_write_set_format_raw(t->a);
	int r = ARCHIVE_OK;
	switch (filter) {
	case ARCHIVE_FILTER_GZIP: r = archive_write_add_filter_gzip(t->a); break;
	case ARCHIVE_FILTER_BZIP2: r = archive_write_add_filter_bzip2(t->a); break;
	case ARCHIVE_FILTER_XZ: r = archive_write_add_filter_xz(t->a); break;
	case ARCHIVE_FILTER_ZSTD: r = archive_write_add_filter_zstd(t->a); break;
	default: break;
	}
	if (r != ARCHIVE_OK) {
		archive_write_free(t->a);
		*out = t->out;
		free(t);
		return -1;
	}
	archive_write_set_bytes_in_last_block(t->a, 1);
	archive_write_open(t->a, &t->out, NULL, tb_write_cb, NULL);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	tb_entry(t, e, in, len);
	archive_entry_free(e);
	tb_finish(t, out);
	return 0;
}

void sha512_id(const void *data, size_t len, char id[AC_IMAGE_ID_LEN + 1])
{
	unsigned char raw[64];
	ac_digest *d = ac_digest_new(AC_SHA512);
	ac_digest_update(d, data, len);
	ac_digest_final(d, raw);
	ac_digest_free(d);
	ac_image_id_format(raw, id);
}

/* Incompressible bytes (xorshift). */
unsigned char *pseudo_random(size_t n, uint32_t seed)
{
	unsigned char *p = xmalloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 7;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)(x >> 11);
	}
	return p;
}

int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		test_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(errno));
	return fd;
}

/* ---- local helpers ---- */

/* Reads every entry (with its data) and finishes; the first error wins. */
static int read_all(const char *path, char id[AC_IMAGE_ID_LEN + 1], int *nentries, ac_error **err)
{
	_cleanup_close_ int fd = open_ro(path);
	ac_aci_reader *r = ac_aci_reader_open(fd, path, err);
	if (!r)
		return -1;
	int n = 0, ret = -1;
	for (;;) {
		struct archive_entry *e;
		int rc = ac_aci_reader_next(r, &e, err);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		n++;
		for (;;) {
			const void *b;
			size_t len;
			if (ac_aci_reader_data(r, &b, &len, err) < 0)
				goto out;
			if (!len)
				break;
		}
	}
	ret = ac_aci_reader_finish(r, id, err);
out:
	if (nentries)
		*nentries = n;
	ac_aci_reader_free(r);
	return ret;
}

/* The whole data of the current entry. */
static void entry_data(ac_aci_reader *r, ac_buf *out)
{
	ac_error *err = NULL;
	ac_buf_reset(out);
	for (;;) {
		const void *b;
		size_t len;
		if (ac_aci_reader_data(r, &b, &len, &err) < 0) {
			test_fail(__FILE__, __LINE__, "data: %s", err->msg);
			ac_error_free(&err);
			return;
		}
		if (!len)
			return;
		ac_buf_add(out, b, len);
	}
}

/* A small valid image: manifest, rootfs/, a file, a big file, a symlink. */
#define BIG_LEN (300 * 1024 + 17)
static void sample_tar(ac_buf *out)
{
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", test_manifest);
	tb_dir(t, "rootfs");
	tb_file(t, "rootfs/a", "hello");
	unsigned char *big = pseudo_random(BIG_LEN, 1);
	tb_add(t, "rootfs/big", AE_IFREG, 0600, (const char *)big, BIG_LEN);
	free(big);
	tb_symlink(t, "rootfs/l", "/etc/passwd");
	tb_finish(t, out);
}

static void check_sample(ac_aci_reader *r)
{
	ac_error *err = NULL;
	struct archive_entry *e;
	ac_buf d;
	ac_buf_init(&d, 0);
	/* libarchive writes directory names with a slash */
	static const char *names[] = { "manifest", "rootfs/", "rootfs/a", "rootfs/big", "rootfs/l" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		int rc = ac_aci_reader_next(r, &e, &err);
		check_int(rc, ==, 1);
		if (rc != 1) {
			ac_error_free(&err);
			break;
		}
		check_str(archive_entry_pathname(e), names[i]);
		if (i == 1) /* rootfs's data is not read: nothing to read */
			continue;
		entry_data(r, &d);
		if (i == 0) {
			check_int(d.len, ==, strlen(test_manifest));
			check_str(d.buf, test_manifest);
		} else if (i == 2) {
			check_str(d.buf, "hello");
		} else if (i == 3) {
			unsigned char *big = pseudo_random(BIG_LEN, 1);
			check_int(d.len, ==, BIG_LEN);
			check(d.len == BIG_LEN && !memcmp(d.buf, big, BIG_LEN));
			check_int(archive_entry_perm(e), ==, 0600);
			free(big);
		} else {
			check_int(archive_entry_filetype(e), ==, AE_IFLNK);
			check_str(archive_entry_symlink(e), "/etc/passwd");
			check_int(d.len, ==, 0);
		}
	}
	check_int(ac_aci_reader_next(r, &e, &err), ==, 0);
	check(e == NULL);
	/* after the end: still the end */
	check_int(ac_aci_reader_next(r, &e, &err), ==, 0);
	ac_error_free(&err);
	ac_buf_release(&d);
}

/* ---- reader ---- */

DEFINE_TEST(test_aci_read_compressions)
{
	static const struct { int filter; ac_compression comp; } cases[] = {
		{ ARCHIVE_FILTER_NONE, AC_COMP_NONE },
		{ ARCHIVE_FILTER_GZIP, AC_COMP_GZIP },
		{ ARCHIVE_FILTER_BZIP2, AC_COMP_BZIP2 },
		{ ARCHIVE_FILTER_XZ, AC_COMP_XZ },
	};
	ac_buf tar;
	sample_tar(&tar);
	char want[AC_IMAGE_ID_LEN + 1];
	sha512_id(tar.buf, tar.len, want);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ac_buf z;
		if (cases[i].filter == ARCHIVE_FILTER_NONE) {
			ac_buf_init(&z, 0);
			ac_buf_add(&z, tar.buf, tar.len);
		} else {
			compress_buf(cases[i].filter, tar.buf, tar.len, &z);
		}
		save_buf("a.aci", z.buf, z.len);
		ac_buf_release(&z);
		ac_error *err = NULL;
		_cleanup_close_ int fd = open_ro("a.aci");
		ac_aci_reader *r = ac_aci_reader_open(fd, "a.aci", &err);
		check(r != NULL);
		if (!r) {
			test_fail(__FILE__, __LINE__, "case %zu: %s", i, err ? err->msg : "");
			ac_error_free(&err);
			continue;
		}
		check_str(ac_aci_reader_name(r), "a.aci");
		check_int(ac_aci_reader_compression(r), ==, cases[i].comp);
		check_sample(r);
		char id[AC_IMAGE_ID_LEN + 1];
		check_ok(ac_aci_reader_finish(r, id, &err), err);
		check_str(id, want);
		/* finishing twice is a misuse, reported */
		check_err(ac_aci_reader_finish(r, id, &err), err, "twice");
		ac_aci_reader_free(r);

		/* the same archive built directly by libarchive's tar writer with
		 * the filter: same entries, and the ID is that of the tar */
	}
	ac_buf_release(&tar);
}

/* libarchive's own tar+filter output (padded to 10 KiB records) reads the
 * same, and its ID is the sha512 of the padded tar. */
DEFINE_TEST(test_aci_read_libarchive_filters)
{
	static const int filters[] = { ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_BZIP2,
				       ARCHIVE_FILTER_XZ };
	ac_buf plain;
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", test_manifest);
	tb_dir(t, "rootfs");
	tb_file(t, "rootfs/a", "hello");
	tb_finish(t, &plain);
	check_int(plain.len % 10240, ==, 0);
	char want_padded[AC_IMAGE_ID_LEN + 1], want[AC_IMAGE_ID_LEN + 1];
	sha512_id(plain.buf, plain.len, want_padded);
	/* tb_new leaves compressed archives unpadded: the tar ends after the
	 * two zero blocks */
	size_t end = plain.len;
	while (end > 0 && !plain.buf[end - 1])
		end--;
	end = (end + 511) / 512 * 512 + 1024;
	sha512_id(plain.buf, end, want);
	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		t = tb_new(filters[i]);
		tb_file(t, "manifest", test_manifest);
		tb_dir(t, "rootfs");
		tb_file(t, "rootfs/a", "hello");
		tb_save(t, "b.aci");
		ac_error *err = NULL;
		char id[AC_IMAGE_ID_LEN + 1];
		int n = 0;
		check_ok(read_all("b.aci", id, &n, &err), err);
		check_int(n, ==, 3);
		check_str(id, filters[i] == ARCHIVE_FILTER_NONE ? want_padded : want);
	}
	ac_buf_release(&plain);
}

/* The reader needs no seekable input: a pipe works. */
DEFINE_TEST(test_aci_read_pipe)
{
	ac_buf tar, z;
	sample_tar(&tar);
	compress_buf(ARCHIVE_FILTER_GZIP, tar.buf, tar.len, &z);
	char want[AC_IMAGE_ID_LEN + 1];
	sha512_id(tar.buf, tar.len, want);
	int p[2];
	check_int(pipe(p), ==, 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		ac_write_all(p[1], z.buf, z.len);
		_exit(0);
	}
	close(p[1]);
	ac_error *err = NULL;
	ac_aci_reader *r = ac_aci_reader_open(p[0], "pipe", &err);
	check(r != NULL);
	if (r) {
		check_int(ac_aci_reader_compression(r), ==, AC_COMP_GZIP);
		check_sample(r);
		char id[AC_IMAGE_ID_LEN + 1];
		check_ok(ac_aci_reader_finish(r, id, &err), err);
		check_str(id, want);
		ac_aci_reader_free(r);
	}
	ac_error_free(&err);
	close(p[0]);
	waitpid(pid, NULL, 0);
	ac_buf_release(&tar);
	ac_buf_release(&z);
}

DEFINE_TEST(test_aci_read_zstd_refused)
{
	ac_buf tar;
	sample_tar(&tar);
	ac_buf z;
	if (compress_buf(ARCHIVE_FILTER_ZSTD, tar.buf, tar.len, &z) == 0)
		save_buf("z.aci", z.buf, z.len);
	else /* no zstd in this libarchive: the magic and a frame header */
		save_buf("z.aci", "\x28\xb5\x2f\xfd\x24\x05\x29\x00\x00hello", 14);
	ac_buf_release(&z);
	ac_error *err = NULL;
	_cleanup_close_ int fd = open_ro("z.aci");
	ac_aci_reader *r = ac_aci_reader_open(fd, "z.aci", &err);
	check(r == NULL);
	check(err != NULL);
	if (err) {
		check_str(err->msg, "z.aci: zstd compression is not supported in ACIs (gzip, bzip2, xz or none)");
		check_int(err->code, !=, 0);
	}
	ac_error_free(&err);
	ac_aci_reader_free(r);
	/* and the manifest fast path and the validator say the same */
	char *json = NULL;
	_cleanup_close_ int fd2 = open_ro("z.aci");
	check_err(ac_aci_read_manifest(fd2, "z.aci", &json, NULL, &err), err, "z.aci: zstd compression is not supported");
	check(json == NULL);
	_cleanup_close_ int fd3 = open_ro("z.aci");
	check_err(ac_aci_validate(fd3, "z.aci", NULL, &err), err, "z.aci: zstd compression is not supported");
	ac_buf_release(&tar);
}

DEFINE_TEST(test_aci_read_trailing_garbage)
{
	ac_buf tar, z;
	sample_tar(&tar);
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];

	/* after a gzip stream */
	compress_buf(ARCHIVE_FILTER_GZIP, tar.buf, tar.len, &z);
	ac_buf_addstr(&z, "garbage after the stream");
	save_buf("g.aci", z.buf, z.len);
	check_err(read_all("g.aci", id, NULL, &err), err, "g.aci: ");
	ac_buf_release(&z);

	/* after an xz stream */
	compress_buf(ARCHIVE_FILTER_XZ, tar.buf, tar.len, &z);
	ac_buf_addstr(&z, "garbage");
	save_buf("x.aci", z.buf, z.len);
	check_err(read_all("x.aci", id, NULL, &err), err, "x.aci: ");
	ac_buf_release(&z);

	/* after a bzip2 stream */
	compress_buf(ARCHIVE_FILTER_BZIP2, tar.buf, tar.len, &z);
	ac_buf_addstr(&z, "garbage");
	save_buf("b.aci", z.buf, z.len);
	check_err(read_all("b.aci", id, NULL, &err), err, "b.aci: ");
	ac_buf_release(&z);

	/* after the end-of-archive mark of a plain tar: hidden from every tar
	 * reader, so refused */
	ac_buf_init(&z, 0);
	ac_buf_add(&z, tar.buf, tar.len);
	ac_buf_addstr(&z, "hidden");
	save_buf("p.aci", z.buf, z.len);
	check_err(read_all("p.aci", id, NULL, &err), err, "p.aci: unexpected data after the end of the tar archive");
	check_int(z.len, >, 0);

	/* a whole second archive appended (compressed too) */
	ac_buf_reset(&z);
	ac_buf_add(&z, tar.buf, tar.len);
	ac_buf_add(&z, tar.buf, tar.len);
	ac_buf two;
	compress_buf(ARCHIVE_FILTER_GZIP, z.buf, z.len, &two);
	save_buf("two.aci", two.buf, two.len);
	int n = 0;
	check_err(read_all("two.aci", id, &n, &err), err, "unexpected data after the end of the tar archive");
	check_int(n, ==, 5);
	ac_buf_release(&two);

	/* zeros after the end are record padding: accepted, and hashed */
	ac_buf_reset(&z);
	ac_buf_add(&z, tar.buf, tar.len);
	static const char zeros[3000];
	ac_buf_add(&z, zeros, sizeof(zeros));
	save_buf("zero.aci", z.buf, z.len);
	check_ok(read_all("zero.aci", id, NULL, &err), err);
	char want[AC_IMAGE_ID_LEN + 1];
	sha512_id(z.buf, z.len, want);
	check_str(id, want);
	ac_buf_release(&z);
	ac_buf_release(&tar);
}

DEFINE_TEST(test_aci_read_truncated)
{
	ac_buf tar, z;
	sample_tar(&tar);
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	static const int filters[] = { ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_BZIP2, ARCHIVE_FILTER_XZ };
	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		compress_buf(filters[i], tar.buf, tar.len, &z);
		/* cut in the middle and just before the end */
		size_t cuts[] = { z.len / 2, z.len - 4, 20 };
		for (size_t j = 0; j < ARRAY_SIZE(cuts); j++) {
			save_buf("t.aci", z.buf, cuts[j]);
			int rc = read_all("t.aci", id, NULL, &err);
			check_int(rc, ==, -1);
			if (err) {
				check(ac_str_has_prefix(err->msg, "t.aci: "));
				check_int(err->code, !=, 0);
			} else {
				test_fail(__FILE__, __LINE__, "filter %d cut %zu: no error", filters[i], cuts[j]);
			}
			ac_error_free(&err);
		}
		ac_buf_release(&z);
	}
	/* a plain tar cut inside the big file's data */
	save_buf("p.aci", tar.buf, 4096);
	check_err(read_all("p.aci", id, NULL, &err), err, "p.aci: ");
	/* cut inside a header */
	save_buf("h.aci", tar.buf, 1024 + 300);
	check_err(read_all("h.aci", id, NULL, &err), err, "h.aci: ");
	ac_buf_release(&tar);
}

DEFINE_TEST(test_aci_read_not_tar)
{
	ac_error *err = NULL;
	ac_buf b;
	ac_buf_init(&b, 0);
	for (int i = 0; i < 100; i++)
		ac_buf_addstr(&b, "this is not a tar archive at all\n");
	save_buf("text", b.buf, b.len);
	_cleanup_close_ int fd = open_ro("text");
	ac_aci_reader *r = ac_aci_reader_open(fd, "text", &err);
	check(r == NULL);
	check(err && !strcmp(err->msg, "text: unknown image filetype") && err->code == EBADMSG);
	ac_error_free(&err);

	ac_buf z;
	compress_buf(ARCHIVE_FILTER_GZIP, b.buf, b.len, &z);
	save_buf("text.gz", z.buf, z.len);
	_cleanup_close_ int fd2 = open_ro("text.gz");
	r = ac_aci_reader_open(fd2, "text.gz", &err);
	check(r == NULL);
	check(err && err->code == EBADMSG);
	check_err(-1, err, "text.gz: the gzip-compressed data is not a tar archive");
	ac_buf_release(&z);

	/* an empty file and a short one */
	save_buf("empty", "", 0);
	_cleanup_close_ int fd3 = open_ro("empty");
	r = ac_aci_reader_open(fd3, "empty", &err);
	check(r == NULL);
	check_err(-1, err, "empty: ");
	save_buf("short", "ustar", 5);
	_cleanup_close_ int fd4 = open_ro("short");
	r = ac_aci_reader_open(fd4, "short", &err);
	check(r == NULL);
	check_err(-1, err, "short: ");
	/* a tar header with a bad checksum */
	ac_buf_reset(&b);
	raw_hdr(&b, "rootfs/a", '0', 0, NULL, 0644);
	b.buf[148] = '7';
	raw_end(&b);
	save_buf("badsum", b.buf, b.len);
	char id[AC_IMAGE_ID_LEN + 1];
	check_err(read_all("badsum", id, NULL, &err), err, "badsum: ");
	ac_buf_release(&b);
}

/* A damaged header in the middle is an error: libarchive alone would skip
 * ahead to the next good header and the bytes between would be hidden
 * (yet hashed into the image ID). */
DEFINE_TEST(test_aci_read_damaged_header)
{
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "rootfs/", '5', 0, NULL, 0755);
	raw_data(&b, "this block is neither a header nor zeros", 40);
	raw_hdr(&b, "rootfs/a", '0', 1, NULL, 0644);
	raw_data(&b, "a", 1);
	raw_end(&b);
	save_buf("d.aci", b.buf, b.len);
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	int n = 0;
	check_err(read_all("d.aci", id, &n, &err), err, "d.aci: Damaged tar archive");
	check_int(n, ==, 1);
	/* the reader refuses to go on after the error */
	_cleanup_close_ int fd = open_ro("d.aci");
	ac_aci_reader *r = ac_aci_reader_open(fd, "d.aci", &err);
	struct archive_entry *e;
	check_int(ac_aci_reader_next(r, &e, &err), ==, 1);
	check_int(ac_aci_reader_next(r, &e, &err), ==, -1);
	check(err && err->code == EBADMSG);
	ac_error_free(&err);
	check_err(ac_aci_reader_next(r, &e, &err), err, "reader used after an error");
	check_err(ac_aci_reader_finish(r, id, &err), err, "reader used after an error");
	ac_aci_reader_free(r);
	ac_buf_release(&b);
}

/* An archive of zero blocks only is an empty archive. */
DEFINE_TEST(test_aci_read_empty_archive)
{
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_end(&b);
	save_buf("e.aci", b.buf, b.len);
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1], want[AC_IMAGE_ID_LEN + 1];
	int n = -1;
	check_ok(read_all("e.aci", id, &n, &err), err);
	check_int(n, ==, 0);
	sha512_id(b.buf, b.len, want);
	check_str(id, want);
	ac_buf_release(&b);
}

/* Data the caller does not read is skipped, and still hashed. */
DEFINE_TEST(test_aci_read_skip_data)
{
	ac_buf tar, z;
	sample_tar(&tar);
	compress_buf(ARCHIVE_FILTER_XZ, tar.buf, tar.len, &z);
	save_buf("s.aci", z.buf, z.len);
	char want[AC_IMAGE_ID_LEN + 1], id[AC_IMAGE_ID_LEN + 1];
	sha512_id(tar.buf, tar.len, want);
	ac_error *err = NULL;
	_cleanup_close_ int fd = open_ro("s.aci");
	ac_aci_reader *r = ac_aci_reader_open(fd, "s.aci", &err);
	check(r != NULL);
	if (!r) {
		ac_error_free(&err);
		return;
	}
	struct archive_entry *e;
	int n = 0;
	while (ac_aci_reader_next(r, &e, &err) == 1) {
		n++;
		if (n == 4) { /* read one block of the big file only */
			const void *b;
			size_t len;
			check_ok(ac_aci_reader_data(r, &b, &len, &err), err);
			check_int(len, >, 0);
		}
	}
	check(err == NULL);
	check_int(n, ==, 5);
	check_ok(ac_aci_reader_finish(r, id, &err), err);
	check_str(id, want);
	ac_aci_reader_free(r);

	/* finishing in the middle reads (and hashes) the rest */
	_cleanup_close_ int fd2 = open_ro("s.aci");
	r = ac_aci_reader_open(fd2, "s.aci", &err);
	check_int(ac_aci_reader_next(r, &e, &err), ==, 1);
	check_ok(ac_aci_reader_finish(r, id, &err), err);
	check_str(id, want);
	/* no entries after finish */
	check_int(ac_aci_reader_next(r, &e, &err), ==, 0);
	ac_aci_reader_free(r);
	ac_buf_release(&tar);
	ac_buf_release(&z);
}

/* Sparse entries come out as plain bytes, holes as zeros. */
DEFINE_TEST(test_aci_read_sparse)
{
	const size_t size = 3 * 65536 + 100;
	unsigned char *want = xcalloc(1, size);
	memset(want + 65536, 'a', 4096);
	memset(want + 3 * 65536, 'b', 50);
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "rootfs/sparse");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_sparse_add_entry(e, 65536, 4096);
	archive_entry_sparse_add_entry(e, 3 * 65536, 50);
	check_int(archive_write_header(t->a, e), ==, ARCHIVE_OK);
	/* the writer takes the whole content and stores the data regions */
	check_int(archive_write_data(t->a, want, size), ==, size);
	archive_entry_free(e);
	tb_file(t, "rootfs/after", "after");
	tb_save(t, "sp.aci");

	ac_error *err = NULL;
	_cleanup_close_ int fd = open_ro("sp.aci");
	ac_aci_reader *r = ac_aci_reader_open(fd, "sp.aci", &err);
	check(r != NULL);
	if (!r) {
		ac_error_free(&err);
		free(want);
		return;
	}
	check_int(ac_aci_reader_next(r, &e, &err), ==, 1);
	check_str(archive_entry_pathname(e), "rootfs/sparse");
	ac_buf d;
	ac_buf_init(&d, 0);
	entry_data(r, &d);
	check_int(d.len, ==, size);
	for (size_t i = 0; i < size && i < d.len; i++)
		if ((unsigned char)d.buf[i] != want[i]) {
			test_fail(__FILE__, __LINE__, "sparse data differs at %zu: %d vs %d", i, d.buf[i], want[i]);
			break;
		}
	check_int(ac_aci_reader_next(r, &e, &err), ==, 1);
	entry_data(r, &d);
	check_str(d.buf, "after");
	check_int(ac_aci_reader_next(r, &e, &err), ==, 0);
	char id[AC_IMAGE_ID_LEN + 1];
	check_ok(ac_aci_reader_finish(r, id, &err), err);
	ac_aci_reader_free(r);
	ac_buf_release(&d);
	free(want);
}

/* An absurd header: a size far beyond the data, in base-256. */
DEFINE_TEST(test_aci_read_absurd_header)
{
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "rootfs/huge", '0', 0, NULL, 0644);
	/* base-256 size: 0x80 then 2^62 */
	char *h = b.buf;
	memset(h + 124, 0, 12);
	h[124] = (char)0x80;
	h[128] = 0x40;
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	raw_data(&b, "tiny", 4);
	raw_end(&b);
	save_buf("h.aci", b.buf, b.len);
	ac_error *err = NULL;
	char id[AC_IMAGE_ID_LEN + 1];
	check_err(read_all("h.aci", id, NULL, &err), err, "h.aci: ");

	/* a negative base-256 size */
	h = b.buf; /* the buffer moved as it grew */
	h[124] = (char)0xff;
	memset(h + 125, 0xff, 11);
	memset(h + 148, ' ', 8);
	sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	save_buf("n.aci", b.buf, b.len);
	check_err(read_all("n.aci", id, NULL, &err), err, "n.aci: ");

	/* a huge pax header (CVE-2022-2879 class) is an error, not an
	 * allocation of the declared size */
	ac_buf_reset(&b);
	raw_hdr(&b, "PaxHeader", 'x', (uint64_t)1 << 40, NULL, 0644);
	raw_data(&b, "30 path=rootfs/aaaaaaaaaaaaaa\n", 30);
	raw_end(&b);
	save_buf("x.aci", b.buf, b.len);
	check_err(read_all("x.aci", id, NULL, &err), err, "x.aci: ");
	/* the same with a GNU long name */
	ac_buf_reset(&b);
	raw_hdr(&b, "././@LongLink", 'L', (uint64_t)1 << 40, NULL, 0644);
	raw_data(&b, "rootfs/aaaaaaaaaaaaaa", 21);
	raw_end(&b);
	save_buf("l.aci", b.buf, b.len);
	check_err(read_all("l.aci", id, NULL, &err), err, "l.aci: ");
	ac_buf_release(&b);
}

/* ---- manifest fast path ---- */

static int read_manifest_file(const char *path, char **json, size_t *len, ac_error **err)
{
	_cleanup_close_ int fd = open_ro(path);
	return ac_aci_read_manifest(fd, path, json, len, err);
}

DEFINE_TEST(test_aci_read_manifest_first_last_missing)
{
	ac_error *err = NULL;
	char *json = NULL;
	size_t len = 0;
	/* first, gzip */
	struct tb *t = tb_new(ARCHIVE_FILTER_GZIP);
	tb_file(t, "manifest", test_manifest);
	tb_dir(t, "rootfs");
	tb_save(t, "first.aci");
	check_int(read_manifest_file("first.aci", &json, &len, &err), ==, 1);
	check_str(json, test_manifest);
	check_int(len, ==, strlen(test_manifest));
	free(json);
	ac_error_free(&err);

	/* last, after many entries, spelled "./manifest" */
	t = tb_new(ARCHIVE_FILTER_XZ);
	tb_dir(t, "rootfs");
	char name[64];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "rootfs/f%03d", i);
		tb_file(t, name, name);
	}
	tb_file(t, "./manifest", "{\"x\":1}");
	tb_save(t, "last.aci");
	check_int(read_manifest_file("last.aci", &json, NULL, &err), ==, 1);
	check_str(json, "{\"x\":1}");
	free(json);
	ac_error_free(&err);

	/* missing */
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs");
	tb_file(t, "rootfs/manifest", "not this one");
	tb_file(t, "manifests", "nor this");
	tb_save(t, "none.aci");
	json = (char *)"x";
	check_int(read_manifest_file("none.aci", &json, &len, &err), ==, 0);
	check(json == NULL);
	check(err == NULL);
	ac_error_free(&err);

	/* empty manifest file: found, empty */
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", "");
	tb_save(t, "empty.aci");
	check_int(read_manifest_file("empty.aci", &json, &len, &err), ==, 1);
	check_str(json, "");
	check_int(len, ==, 0);
	free(json);
	ac_error_free(&err);
}

DEFINE_TEST(test_aci_read_manifest_bad)
{
	ac_error *err = NULL;
	char *json = NULL;
	/* larger than AC_MANIFEST_MAX_SIZE */
	size_t big = AC_MANIFEST_MAX_SIZE + 1;
	char *data = xmalloc(big);
	memset(data, ' ', big);
	struct tb *t = tb_new(ARCHIVE_FILTER_GZIP);
	tb_add(t, "manifest", AE_IFREG, 0644, data, big);
	tb_save(t, "big.aci");
	check_err(read_manifest_file("big.aci", &json, NULL, &err), err, "big.aci: image manifest is larger than");
	check(json == NULL);
	/* exactly the maximum is fine */
	t = tb_new(ARCHIVE_FILTER_GZIP);
	tb_add(t, "manifest", AE_IFREG, 0644, data, big - 1);
	tb_save(t, "max.aci");
	size_t len = 0;
	check_int(read_manifest_file("max.aci", &json, &len, &err), ==, 1);
	check_int(len, ==, big - 1);
	free(json);
	json = NULL;
	ac_error_free(&err);
	free(data);

	/* not a regular file: directory, symlink, hard link, fifo */
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "manifest");
	tb_save(t, "dir.aci");
	check_err(read_manifest_file("dir.aci", &json, NULL, &err), err, "dir.aci: manifest is not a regular file");
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_symlink(t, "manifest", "/etc/passwd");
	tb_save(t, "sym.aci");
	check_err(read_manifest_file("sym.aci", &json, NULL, &err), err, "sym.aci: manifest is not a regular file");
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "rootfs/m", test_manifest);
	tb_hardlink(t, "manifest", "rootfs/m");
	tb_save(t, "hl.aci");
	check_err(read_manifest_file("hl.aci", &json, NULL, &err), err, "hl.aci: manifest is not a regular file");
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_add(t, "manifest", AE_IFIFO, 0644, NULL, 0);
	tb_save(t, "fifo.aci");
	check_err(read_manifest_file("fifo.aci", &json, NULL, &err), err, "fifo.aci: manifest is not a regular file");
	check(json == NULL);

	/* a corrupt stream before the manifest */
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "rootfs/a", '0', 100000, NULL, 0644);
	raw_data(&b, "short", 5);
	save_buf("trunc.aci", b.buf, b.len);
	check_err(read_manifest_file("trunc.aci", &json, NULL, &err), err, "trunc.aci: ");
	ac_buf_release(&b);
}

/* ---- round trip with the project's writer ---- */

static void make_layout(void)
{
	check_int(mkdir("layout", 0755), ==, 0);
	save_buf("layout/manifest", test_manifest, strlen(test_manifest));
	check_int(mkdir("layout/rootfs", 0755), ==, 0);
	check_int(mkdir("layout/rootfs/etc", 0755), ==, 0);
	save_buf("layout/rootfs/etc/hostname", "box\n", 4);
	check_int(symlink("../etc/hostname", "layout/rootfs/etc/link"), ==, 0);
	check_int(link("layout/rootfs/etc/hostname", "layout/rootfs/hard"), ==, 0);
}

static int write_layout(const char *out, ac_compression comp, char id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	struct ac_aci_write_opts o = { .comp = { .type = comp, .level = -1, .threads = 2 }, .owner_root = 1 };
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int dfd = open("layout", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = -1;
	ac_aci_writer *w = ac_aci_writer_new(fd, &o, err);
	if (w && ac_aci_writer_add_manifest(w, test_manifest, strlen(test_manifest), 1, err) == 0 &&
	    ac_aci_writer_add_rootfs(w, dfd, err) == 0 && ac_aci_writer_finish(w, id, err) == 0)
		ret = 0;
	ac_aci_writer_free(w);
	close(fd);
	close(dfd);
	return ret;
}

DEFINE_TEST(test_aci_read_writer_roundtrip)
{
	make_layout();
	static const ac_compression comps[] = { AC_COMP_NONE, AC_COMP_GZIP, AC_COMP_BZIP2, AC_COMP_XZ };
	for (size_t i = 0; i < ARRAY_SIZE(comps); i++) {
		ac_error *err = NULL;
		char wid[AC_IMAGE_ID_LEN + 1], rid[AC_IMAGE_ID_LEN + 1];
		check_ok(write_layout("w.aci", comps[i], wid, &err), err);
		int n = 0;
		check_ok(read_all("w.aci", rid, &n, &err), err);
		check_str(rid, wid);
		check_int(n, ==, 6); /* manifest rootfs etc hostname link hard */
		_cleanup_close_ int fd = open_ro("w.aci");
		ac_aci_reader *r = ac_aci_reader_open(fd, "w.aci", &err);
		check(r != NULL);
		if (!r) {
			ac_error_free(&err);
			continue;
		}
		check_int(ac_aci_reader_compression(r), ==, comps[i]);
		ac_aci_reader_free(r);
		char *json = NULL;
		check_int(read_manifest_file("w.aci", &json, NULL, &err), ==, 1);
		check_str(json, test_manifest);
		free(json);
		ac_error_free(&err);
		_cleanup_close_ int fd2 = open_ro("w.aci");
		json_t *m = NULL;
		check_ok(ac_aci_validate(fd2, "w.aci", &m, &err), err);
		check(m && json_is_object(m));
		check_str(json_string_value(json_object_get(m, "name")), "example.com/test");
		json_decref(m);
	}
}

/* ---- ac_aci_validate ---- */

/* Validates path; returns the result, err set. */
static int validate_file(const char *path, ac_error **err)
{
	_cleanup_close_ int fd = open_ro(path);
	return ac_aci_validate(fd, path, NULL, err);
}

/* A rootfs-only archive body: manifest and rootfs first. */
static struct tb *image_start(int filter)
{
	struct tb *t = tb_new(filter);
	tb_file(t, "manifest", test_manifest);
	tb_dir(t, "rootfs");
	return t;
}

/* The error's message must be exactly msg and carry no errno code. */
#define check_rule(path, want) \
	do { ac_error *_e = NULL; \
	     int _rc = validate_file(path, &_e); \
	     check_int(_rc, ==, -1); \
	     if (_e) { check_str(_e->msg, want); check_int(_e->code, ==, 0); } \
	     ac_error_free(&_e); } while (0)
#define check_valid(path) \
	do { ac_error *_e = NULL; check_ok(validate_file(path, &_e), _e); } while (0)

DEFINE_TEST(test_aci_validate_good)
{
	struct tb *t = image_start(ARCHIVE_FILTER_GZIP);
	tb_dir(t, "rootfs/etc/");
	tb_file(t, "rootfs/etc/passwd", "root:x:0:0::/:/bin/sh\n");
	tb_symlink(t, "rootfs/abs", "/etc/passwd");       /* resolved in the rootfs at run time */
	tb_symlink(t, "rootfs/rel", "../../../etc/shadow");
	tb_symlink(t, "rootfs/dot", ".");
	tb_hardlink(t, "rootfs/etc/passwd2", "rootfs/etc/passwd");
	tb_hardlink(t, "rootfs/abs2", "./rootfs/abs");      /* a link to a symlink */
	tb_add(t, "rootfs/fifo", AE_IFIFO, 0644, NULL, 0);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "rootfs/null");
	archive_entry_set_filetype(e, AE_IFCHR);
	archive_entry_set_perm(e, 0666);
	archive_entry_set_rdevmajor(e, 1);
	archive_entry_set_rdevminor(e, 3);
	tb_entry(t, e, NULL, 0);
	archive_entry_free(e);
	tb_dir(t, ".");  /* the archive root itself is ignored */
	tb_dir(t, "./");
	tb_save(t, "good.aci");
	ac_error *err = NULL;
	_cleanup_close_ int fd = open_ro("good.aci");
	json_t *m = NULL;
	check_ok(ac_aci_validate(fd, "good.aci", &m, &err), err);
	check(m != NULL);
	check_str(json_string_value(json_object_get(m, "acKind")), "ImageManifest");
	json_decref(m);

	/* rootfs before the manifest; manifest with "./" */
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "./rootfs/");
	tb_file(t, "./rootfs/a", "a");
	tb_file(t, "./manifest", test_manifest);
	tb_save(t, "order.aci");
	check_valid("order.aci");
}

DEFINE_TEST(test_aci_validate_duplicates)
{
	struct tb *t = image_start(ARCHIVE_FILTER_NONE);
	tb_file(t, "rootfs/a", "1");
	tb_file(t, "rootfs/./a", "2");
	tb_save(t, "dup.aci");
	check_rule("dup.aci", "duplicate file entry in archive: rootfs/a");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs/d");
	tb_dir(t, "rootfs/d/");
	tb_save(t, "dupdir.aci");
	check_rule("dupdir.aci", "duplicate file entry in archive: rootfs/d");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs/");
	tb_save(t, "duproot.aci");
	check_rule("duproot.aci", "duplicate file entry in archive: rootfs");

	/* a second manifest would be concatenated by the original */
	t = image_start(ARCHIVE_FILTER_NONE);
	tb_file(t, "./manifest", test_manifest);
	tb_save(t, "dupm.aci");
	check_rule("dupm.aci", "duplicate file entry in archive: manifest");
}

DEFINE_TEST(test_aci_validate_types)
{
	struct tb *t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "manifest");
	tb_dir(t, "rootfs");
	tb_save(t, "mdir.aci");
	check_rule("mdir.aci", "manifest is not a regular file");

	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_symlink(t, "manifest", "rootfs/m");
	tb_dir(t, "rootfs");
	tb_save(t, "msym.aci");
	check_rule("msym.aci", "manifest is not a regular file");

	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", test_manifest);
	tb_file(t, "rootfs", "file");
	tb_save(t, "rfile.aci");
	check_rule("rfile.aci", "rootfs is not a directory");

	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", test_manifest);
	tb_symlink(t, "rootfs", "/");
	tb_save(t, "rsym.aci");
	check_rule("rsym.aci", "rootfs is not a directory");

	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", test_manifest);
	tb_file(t, "x", "x");
	tb_hardlink(t, "rootfs", "x");
	tb_save(t, "rhl.aci");
	check_rule("rhl.aci", "rootfs is not a directory");

	/* missing pieces */
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs");
	tb_save(t, "nom.aci");
	check_rule("nom.aci", "no image manifest found in layout");
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", test_manifest);
	tb_save(t, "nor.aci");
	check_rule("nor.aci", "no rootfs found in layout");
	/* entries below rootfs/ without a rootfs directory entry */
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", test_manifest);
	tb_file(t, "rootfs/a", "a");
	tb_save(t, "nor2.aci");
	check_rule("nor2.aci", "no rootfs found in layout");

	/* an oversize manifest */
	char *big = xmalloc(AC_MANIFEST_MAX_SIZE + 1);
	memset(big, ' ', AC_MANIFEST_MAX_SIZE + 1);
	t = tb_new(ARCHIVE_FILTER_GZIP);
	tb_add(t, "manifest", AE_IFREG, 0644, big, AC_MANIFEST_MAX_SIZE + 1);
	tb_dir(t, "rootfs");
	tb_save(t, "bigm.aci");
	free(big);
	ac_error *e2 = NULL;
	check_err(validate_file("bigm.aci", &e2), e2, "image manifest is larger than");

	/* an invalid manifest */
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"UPPER case\"}");
	tb_dir(t, "rootfs");
	tb_save(t, "badm.aci");
	ac_error *err = NULL;
	check_err(validate_file("badm.aci", &err), err, "image manifest validation failed: ");
	t = tb_new(ARCHIVE_FILTER_NONE);
	tb_file(t, "manifest", "not json");
	tb_dir(t, "rootfs");
	tb_save(t, "badj.aci");
	check_err(validate_file("badj.aci", &err), err, "image manifest validation failed: ");
}

DEFINE_TEST(test_aci_validate_names)
{
	static const struct { const char *name, *msg; } cases[] = {
		{ "rootfsX/evil", "unrecognized file path in layout: \"rootfsX/evil\"" },
		{ "rootfs2", "unrecognized file path in layout: \"rootfs2\"" },
		{ "/rootfs/abs", "unrecognized file path in layout: \"/rootfs/abs\"" },
		{ "/etc/passwd", "unrecognized file path in layout: \"/etc/passwd\"" },
		{ "rootfs/../../x", "unrecognized file path in layout: \"../x\"" },
		{ "rootfs/a/../../..", "unrecognized file path in layout: \"..\"" },
		{ "../rootfs/x", "unrecognized file path in layout: \"../rootfs/x\"" },
		{ "rootfs/../etc", "unrecognized file path in layout: \"etc\"" },
		{ "/", "unrecognized file path in layout: \"/\"" },
		{ "extra", "unrecognized file path in layout: \"extra\"" },
		{ "/etc/", "unrecognized file path in layout: \"/etc\"" },
		{ "../", "unrecognized file path in layout: \"..\"" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ac_buf b;
		ac_buf_init(&b, 0);
		/* byte by byte: libarchive might tidy the names */
		raw_hdr(&b, "manifest", '0', strlen(test_manifest), NULL, 0644);
		raw_data(&b, test_manifest, strlen(test_manifest));
		raw_hdr(&b, "rootfs/", '5', 0, NULL, 0755);
		/* a name ending in "/" is a directory to tar readers */
		if (ac_str_has_suffix(cases[i].name, "/")) {
			raw_hdr(&b, cases[i].name, '5', 0, NULL, 0755);
		} else {
			raw_hdr(&b, cases[i].name, '0', 1, NULL, 0644);
			raw_data(&b, "x", 1);
		}
		raw_end(&b);
		save_buf("n.aci", b.buf, b.len);
		ac_buf_release(&b);
		check_rule("n.aci", cases[i].msg);
	}
	/* a name cleaned back into rootfs is fine */
	struct tb *t = image_start(ARCHIVE_FILTER_NONE);
	tb_file(t, "rootfs/a/../b", "b");
	tb_file(t, "rootfs//c", "c");
	tb_save(t, "ok.aci");
	check_valid("ok.aci");
}

DEFINE_TEST(test_aci_validate_through_symlink)
{
	/* rkt#904: a symlink, then an entry written through it */
	struct tb *t = image_start(ARCHIVE_FILTER_NONE);
	tb_symlink(t, "rootfs/x", "/etc");
	tb_file(t, "rootfs/x/passwd", "evil");
	tb_save(t, "s1.aci");
	check_rule("s1.aci", "entry \"rootfs/x/passwd\" goes through symlink \"rootfs/x\"");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs/a");
	tb_symlink(t, "rootfs/a/b", "../../..");
	tb_dir(t, "rootfs/a/b/c/");
	tb_save(t, "s2.aci");
	check_rule("s2.aci", "entry \"rootfs/a/b/c\" goes through symlink \"rootfs/a/b\"");

	/* below a file */
	t = image_start(ARCHIVE_FILTER_NONE);
	tb_file(t, "rootfs/f", "f");
	tb_file(t, "rootfs/f/g", "g");
	tb_save(t, "s3.aci");
	check_rule("s3.aci", "entry \"rootfs/f/g\" is below \"rootfs/f\", which is not a directory");

	/* a hard link whose target goes through a symlink */
	t = image_start(ARCHIVE_FILTER_NONE);
	tb_symlink(t, "rootfs/l", "/etc");
	tb_hardlink(t, "rootfs/h", "rootfs/l/passwd");
	tb_save(t, "s4.aci");
	check_rule("s4.aci", "hard link target \"rootfs/l/passwd\" goes through symlink \"rootfs/l\"");

	/* a symlink named like the rootfs root ("rootfs/.") is the rootfs */
	t = image_start(ARCHIVE_FILTER_NONE);
	tb_symlink(t, "rootfs/.", "/");
	tb_save(t, "s5.aci");
	check_rule("s5.aci", "duplicate file entry in archive: rootfs");

	/* a directory after a symlink of the same name: a duplicate */
	t = image_start(ARCHIVE_FILTER_NONE);
	tb_symlink(t, "rootfs/d", "/etc");
	tb_dir(t, "rootfs/d");
	tb_save(t, "s6.aci");
	check_rule("s6.aci", "duplicate file entry in archive: rootfs/d");
}

DEFINE_TEST(test_aci_validate_hardlinks)
{
	struct tb *t = image_start(ARCHIVE_FILTER_NONE);
	tb_hardlink(t, "rootfs/h", "/etc/passwd");
	tb_save(t, "h1.aci");
	check_rule("h1.aci", "hard link \"rootfs/h\" points outside rootfs: \"/etc/passwd\"");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_file(t, "rootfs/a", "a");
	tb_hardlink(t, "rootfs/h", "rootfs/../../etc/passwd");
	tb_save(t, "h2.aci");
	check_rule("h2.aci", "hard link \"rootfs/h\" points outside rootfs: \"rootfs/../../etc/passwd\"");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_hardlink(t, "rootfs/h", "manifest");
	tb_save(t, "h3.aci");
	check_rule("h3.aci", "hard link \"rootfs/h\" points outside rootfs: \"manifest\"");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_dir(t, "rootfs/d");
	tb_hardlink(t, "rootfs/h", "rootfs/d");
	tb_save(t, "h4.aci");
	check_rule("h4.aci", "hard link \"rootfs/h\" points to a directory: \"rootfs/d\"");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_hardlink(t, "rootfs/h", "rootfs/later");
	tb_file(t, "rootfs/later", "x");
	tb_save(t, "h5.aci");
	check_rule("h5.aci", "hard link \"rootfs/h\" points to \"rootfs/later\", which is not an earlier entry");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_hardlink(t, "rootfs/h", "rootfs");
	tb_save(t, "h6.aci");
	check_rule("h6.aci", "hard link \"rootfs/h\" points outside rootfs: \"rootfs\"");

	t = image_start(ARCHIVE_FILTER_NONE);
	tb_hardlink(t, "rootfs/h", "rootfs/h");
	tb_save(t, "h7.aci");
	check_rule("h7.aci", "hard link \"rootfs/h\" points to \"rootfs/h\", which is not an earlier entry");

	/* CVE-2016-5418: a hard link carrying data.  In pax the size is
	 * honoured, so the data is there to see. */
	ac_buf b;
	ac_buf_init(&b, 0);
	raw_hdr(&b, "manifest", '0', strlen(test_manifest), NULL, 0644);
	raw_data(&b, test_manifest, strlen(test_manifest));
	raw_hdr(&b, "rootfs/", '5', 0, NULL, 0755);
	raw_hdr(&b, "rootfs/a", '0', 1, NULL, 0644);
	raw_data(&b, "a", 1);
	size_t keep = b.len;
	raw_pax(&b, "size", "5");
	raw_hdr(&b, "rootfs/h", '1', 0, "rootfs/a", 0644);
	raw_data(&b, "evil!", 5);
	raw_end(&b);
	save_buf("h8.aci", b.buf, b.len);
	check_rule("h8.aci", "hard link \"rootfs/h\" carries data");
	/* In ustar, tar readers ignore a hard link's size: the data is read
	 * as the next header, which is damaged (libarchive would skip it). */
	b.len = keep;
	raw_hdr(&b, "rootfs/h", '1', 5, "rootfs/a", 0644);
	raw_data(&b, "evil!", 5);
	raw_end(&b);
	save_buf("h9.aci", b.buf, b.len);
	ac_buf_release(&b);
	ac_error *err = NULL;
	check_err(validate_file("h9.aci", &err), err, "h9.aci: Damaged tar archive");

	/* a chain of links resolves to the file */
	t = image_start(ARCHIVE_FILTER_NONE);
	tb_file(t, "rootfs/a", "a");
	tb_hardlink(t, "rootfs/b", "rootfs/a");
	tb_hardlink(t, "rootfs/c", "rootfs/b");
	tb_file(t, "rootfs/c2", "c");
	tb_save(t, "ok.aci");
	check_valid("ok.aci");
}

DEFINE_TEST(test_aci_validate_stream)
{
	ac_buf tar, z;
	struct tb *t = image_start(ARCHIVE_FILTER_NONE);
	tb_file(t, "rootfs/a", "hello");
	tb_finish(t, &tar);
	compress_buf(ARCHIVE_FILTER_GZIP, tar.buf, tar.len, &z);
	save_buf("ok.aci", z.buf, z.len);
	check_valid("ok.aci");
	ac_error *err = NULL;
	save_buf("t.aci", z.buf, z.len - 10);
	check_err(validate_file("t.aci", &err), err, "t.aci: ");
	ac_buf_addstr(&z, "junk");
	save_buf("g.aci", z.buf, z.len);
	check_err(validate_file("g.aci", &err), err, "g.aci: ");
	ac_buf_release(&z);
	ac_buf_release(&tar);
	save_buf("text.aci", "hello", 5);
	check_err(validate_file("text.aci", &err), err, "text.aci: unknown image filetype");
}

/* ---- ac_layout_validate ---- */

static void layout_basic(const char *dir)
{
	check_int(mkdir(dir, 0755), ==, 0);
	_cleanup_free_ char *m = xasprintf("%s/manifest", dir);
	_cleanup_free_ char *r = xasprintf("%s/rootfs", dir);
	save_buf(m, test_manifest, strlen(test_manifest));
	check_int(mkdir(r, 0755), ==, 0);
}

#define check_layout_err(dir, want) \
	do { ac_error *_e = NULL; \
	     check_err(ac_layout_validate(dir, NULL, &_e), _e, want); } while (0)

DEFINE_TEST(test_layout_validate)
{
	ac_error *err = NULL;
	layout_basic("l");
	json_t *m = NULL;
	check_ok(ac_layout_validate("l", &m, &err), err);
	check_str(json_string_value(json_object_get(m, "name")), "example.com/test");
	json_decref(m);
	check_ok(ac_layout_validate("l/", NULL, &err), err);
	/* rootfs content is not walked */
	save_buf("l/rootfs/anything", "x", 1);
	check_int(symlink("/etc", "l/rootfs/etc"), ==, 0);
	check_ok(ac_layout_validate("l", NULL, &err), err);

	/* an extra entry */
	save_buf("l/extra", "x", 1);
	check_layout_err("l", "unrecognized file path in layout: \"extra\"");
	unlink("l/extra");

	/* not a directory, missing */
	check_layout_err("l/manifest", "given path \"l/manifest\" is not a directory");
	check_layout_err("nope", "error accessing layout");

	/* missing parts */
	layout_basic("nom");
	unlink("nom/manifest");
	check_layout_err("nom", "no image manifest found in layout");
	layout_basic("nor");
	rmdir("nor/rootfs");
	check_layout_err("nor", "no rootfs found in layout");

	/* rootfs as a symlink to a directory, or a file */
	layout_basic("rs");
	rmdir("rs/rootfs");
	check_int(symlink("/", "rs/rootfs"), ==, 0);
	check_layout_err("rs", "rootfs is not a directory");
	layout_basic("rf");
	rmdir("rf/rootfs");
	save_buf("rf/rootfs", "x", 1);
	check_layout_err("rf", "rootfs is not a directory");

	/* manifest as a symlink, a directory, a fifo */
	layout_basic("ms");
	unlink("ms/manifest");
	check_int(symlink("../l/manifest", "ms/manifest"), ==, 0);
	check_layout_err("ms", "ms/manifest is a symlink");
	layout_basic("md");
	unlink("md/manifest");
	check_int(mkdir("md/manifest", 0755), ==, 0);
	check_layout_err("md", "is a directory");
	layout_basic("mf");
	unlink("mf/manifest");
	check_int(mkfifo("mf/manifest", 0644), ==, 0);
	check_layout_err("mf", "mf/manifest is not a regular file");

	/* invalid and oversize manifests */
	layout_basic("mi");
	save_buf("mi/manifest", "{}", 2);
	check_layout_err("mi", "image manifest validation failed: ");
	layout_basic("mb");
	char *big = xmalloc(AC_MANIFEST_MAX_SIZE + 10);
	memset(big, ' ', AC_MANIFEST_MAX_SIZE + 10);
	save_buf("mb/manifest", big, AC_MANIFEST_MAX_SIZE + 10);
	free(big);
	check_layout_err("mb", "error reading image manifest: read mb/manifest");
}

/* ---- ac_path_clean: Go's path/filepath tests ---- */

DEFINE_TEST(test_path_clean)
{
	static const char *cases[][2] = {
		{ "", "." },
		{ "abc", "abc" },
		{ "abc/def", "abc/def" },
		{ "a/b/c", "a/b/c" },
		{ ".", "." },
		{ "..", ".." },
		{ "../..", "../.." },
		{ "../../abc", "../../abc" },
		{ "/abc", "/abc" },
		{ "/", "/" },
		{ "abc/", "abc" },
		{ "abc/def/", "abc/def" },
		{ "a/b/c/", "a/b/c" },
		{ "./", "." },
		{ "../", ".." },
		{ "../../", "../.." },
		{ "/abc/", "/abc" },
		{ "abc//def//ghi", "abc/def/ghi" },
		{ "//abc", "/abc" },
		{ "///abc", "/abc" },
		{ "//abc//", "/abc" },
		{ "abc//", "abc" },
		{ "abc/./def", "abc/def" },
		{ "/./abc/def", "/abc/def" },
		{ "abc/.", "abc" },
		{ "abc/def/ghi/../jkl", "abc/def/jkl" },
		{ "abc/def/../ghi/../jkl", "abc/jkl" },
		{ "abc/def/..", "abc" },
		{ "abc/def/../..", "." },
		{ "/abc/def/../..", "/" },
		{ "abc/def/../../..", ".." },
		{ "/abc/def/../../..", "/" },
		{ "abc/def/../../../ghi/jkl/../../../mno", "../../mno" },
		{ "/../abc", "/abc" },
		{ "abc/./../def", "def" },
		{ "abc//./../def", "def" },
		{ "abc/../../././../def", "../../def" },
		{ "rootfs/../../x", "../x" },
		{ "...", "..." },
		{ "a/.../b", "a/.../b" },
		{ ".a/..b", ".a/..b" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *c = ac_path_clean(cases[i][0]);
		check_str(c, cases[i][1]);
		free(c);
	}
}
