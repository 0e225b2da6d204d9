/* Unit tests of compression and decompression (ac/compress.h). */
#include "test.h"

#include <zstd.h>

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/buf.h"
#include "ac/compress.h"
#include <zlib.h>

#define CHUNK AC_GZIP_CHUNK_SIZE

/* A growable memory sink. */
struct mem {
	unsigned char *p;
	size_t len, cap;
};

static int mem_sink(void *arg, const void *buf, size_t len)
{
	struct mem *m = arg;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2 + 64;
		m->p = xrealloc(m->p, m->cap);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

/* A memory source delivering at most step bytes per call. */
struct src {
	const unsigned char *p;
	size_t len, pos, step;
};

static ssize_t mem_source(void *arg, void *buf, size_t len)
{
	struct src *s = arg;
	size_t n = s->len - s->pos;
	if (n > len)
		n = len;
	if (s->step && n > s->step)
		n = s->step;
	if (n)
		memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

/* Deterministic, moderately compressible data. */
static unsigned char *make_data(size_t n, uint32_t seed)
{
	unsigned char *p = xmalloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;
	static const char words[][8] = { "usr", "lib", "share", "bin", "doc", "\0\0\0\0", "x86_64", "README" };
	size_t i = 0;
	while (i < n) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (x % 7 == 0) {
			p[i++] = (unsigned char)(x >> 8);
			continue;
		}
		const char *w = words[(x >> 4) % 8];
		size_t wl = strlen(w) ? strlen(w) : 4;
		for (size_t k = 0; k < wl && i < n; k++)
			p[i++] = (unsigned char)w[k];
		if (i < n)
			p[i++] = '/';
	}
	return p;
}

/* Compresses data with type/level/threads, writing in pieces of `step`. */
static int compress_mem(ac_compression type, int level, int threads, const void *data, size_t n, size_t step,
			struct mem *out, ac_error **err)
{
	struct ac_compress_opts o = { .type = type, .level = level, .threads = threads };
	memset(out, 0, sizeof(*out));
	ac_compressor *c = ac_compressor_new(&o, mem_sink, out, err);
	if (!c)
		return -1;
	const unsigned char *p = data;
	size_t left = n;
	while (left > 0) {
		size_t k = step && step < left ? step : left;
		if (ac_compressor_write(c, p, k, err) < 0) {
			ac_compressor_free(c);
			return -1;
		}
		p += k;
		left -= k;
	}
	int r = ac_compressor_finish(c, err);
	ac_compressor_free(c);
	return r;
}

/* Decompresses everything; returns 0 and the data, or -1. */
static int decompress_mem_t(ac_compression type, int threads, const void *data, size_t n, size_t step,
			    struct mem *out, ac_compression *detected, ac_error **err)
{
	struct src s = { data, n, 0, step };
	memset(out, 0, sizeof(*out));
	ac_decompressor *d = ac_decompressor_new_threads(type, threads, mem_source, &s, err);
	if (!d)
		return -1;
	if (detected)
		*detected = ac_decompressor_type(d);
	for (;;) {
		const void *b;
		size_t l;
		if (ac_decompressor_next(d, &b, &l, err) < 0) {
			ac_decompressor_free(d);
			return -1;
		}
		if (l == 0)
			break;
		mem_sink(out, b, l);
	}
	/* End of stream is sticky. */
	const void *b;
	size_t l = 1;
	int r = ac_decompressor_next(d, &b, &l, err);
	ac_decompressor_free(d);
	if (r < 0 || l != 0)
		return ac_error_set(err, 0, "end of stream not sticky");
	return 0;
}

static int decompress_mem(ac_compression type, const void *data, size_t n, size_t step, struct mem *out,
			  ac_compression *detected, ac_error **err)
{
	return decompress_mem_t(type, 0, data, n, step, out, detected, err);
}

static void round_trip(ac_compression type, int level, int threads, size_t n, size_t wstep, size_t rstep)
{
	ac_error *err = NULL;
	unsigned char *data = make_data(n, (uint32_t)n);
	struct mem c, d;
	int r = compress_mem(type, level, threads, data, n, wstep, &c, &err);
	check_ok(r, err);
	if (r < 0) {
		free(data);
		return;
	}
	ac_compression det;
	if (type != AC_COMP_NONE) /* plain data is not a tar */
		check_int(ac_compression_detect(c.p, c.len), ==, type);
	r = decompress_mem(AC_COMP_UNKNOWN, c.p, c.len, rstep, &d, &det, &err);
	check_ok(r, err);
	check_int(det, ==, type);
	check_int(d.len, ==, n);
	if (d.len == n && n)
		check_mem(d.p, data, n);
	free(d.p);
	/* Also with the type given explicitly. */
	r = decompress_mem(type, c.p, c.len, 0, &d, NULL, &err);
	check_ok(r, err);
	check_int(d.len, ==, n);
	free(d.p);
	free(c.p);
	free(data);
}

DEFINE_TEST(test_compress_names)
{
	ac_compression c;
	check_str(ac_compression_name(AC_COMP_GZIP), "gzip");
	check_str(ac_compression_name(AC_COMP_NONE), "none");
	check_str(ac_compression_name(AC_COMP_XZ), "xz");
	check_str(ac_compression_name(AC_COMP_BZIP2), "bzip2");
	check_str(ac_compression_name(AC_COMP_ZSTD), "zstd");
	check_int(ac_compression_from_name("gzip", &c), ==, 0);
	check_int(c, ==, AC_COMP_GZIP);
	check_int(ac_compression_from_name("xz", &c), ==, 0);
	check_int(c, ==, AC_COMP_XZ);
	check_int(ac_compression_from_name("bzip2", &c), ==, 0);
	check_int(c, ==, AC_COMP_BZIP2);
	check_int(ac_compression_from_name("none", &c), ==, 0);
	check_int(c, ==, AC_COMP_NONE);
	check_int(ac_compression_from_name("lz4", &c), ==, -1);
}

DEFINE_TEST(test_compress_detect)
{
	unsigned char tar[512] = { 0 };
	memcpy(tar + 257, "ustar", 5);
	check_int(ac_compression_detect("\x1f\x8b\x08", 3), ==, AC_COMP_GZIP);
	check_int(ac_compression_detect("BZh9", 4), ==, AC_COMP_BZIP2);
	check_int(ac_compression_detect("\xfd" "7zXZ\0", 6), ==, AC_COMP_XZ);
	check_int(ac_compression_detect("\x28\xb5\x2f\xfd", 4), ==, AC_COMP_ZSTD);
	check_int(ac_compression_detect(tar, sizeof(tar)), ==, AC_COMP_NONE);
	check_int(ac_compression_detect(tar, 100), ==, AC_COMP_UNKNOWN);
	check_int(ac_compression_detect("hello", 5), ==, AC_COMP_UNKNOWN);
	check_int(ac_compression_detect("", 0), ==, AC_COMP_UNKNOWN);
	check_int(ac_compression_detect("\x1f", 1), ==, AC_COMP_UNKNOWN);
}

DEFINE_TEST(test_compress_round_trip_sizes)
{
	static const size_t sizes[] = { 0, 1, 2, 100, 65536, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 12345 };
	static const ac_compression types[] = { AC_COMP_NONE, AC_COMP_GZIP, AC_COMP_XZ, AC_COMP_BZIP2 };
	for (size_t t = 0; t < ARRAY_SIZE(types); t++)
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			if ((types[t] == AC_COMP_BZIP2 || types[t] == AC_COMP_XZ) && sizes[i] > CHUNK + 1)
				continue; /* slow; covered by one size below */
			round_trip(types[t], -1, 0, sizes[i], 0, 0);
		}
	round_trip(AC_COMP_XZ, 1, 2, 5 * CHUNK, 0, 0);
	round_trip(AC_COMP_BZIP2, 1, 0, 2 * CHUNK, 0, 0);
}

DEFINE_TEST(test_compress_round_trip_small_steps)
{
	/* Odd write and read sizes exercise buffer boundaries. */
	round_trip(AC_COMP_GZIP, -1, 2, 2 * CHUNK + 7, 4097, 1000);
	round_trip(AC_COMP_GZIP, 1, 1, 300000, 1, 7);
	round_trip(AC_COMP_XZ, 0, 1, 300000, 333, 1);
	round_trip(AC_COMP_BZIP2, 1, 1, 300000, 333, 3);
	for (int level = 1; level <= 9; level++)
		round_trip(AC_COMP_GZIP, level, 0, CHUNK / 2 + 3, 0, 0);
}

DEFINE_TEST(test_compress_passthrough)
{
	ac_error *err = NULL;
	struct mem d;
	ac_compression det;
	check_ok(decompress_mem(AC_COMP_UNKNOWN, "hello", 5, 0, &d, &det, &err), err);
	check_int(det, ==, AC_COMP_NONE);
	check_int(d.len, ==, 5);
	check_mem(d.p, "hello", 5);
	free(d.p);
	check_ok(decompress_mem(AC_COMP_UNKNOWN, "", 0, 0, &d, &det, &err), err);
	check_int(d.len, ==, 0);
	free(d.p);
	check_ok(decompress_mem(AC_COMP_NONE, "\x1f\x8b", 2, 0, &d, &det, &err), err);
	check_int(d.len, ==, 2);
	free(d.p);
	/* Asking for a type that is not there. */
	check_err(decompress_mem(AC_COMP_GZIP, "hello", 5, 0, &d, NULL, &err), err, "gzip: not in gzip format");
	check_err(decompress_mem(AC_COMP_XZ, "", 0, 0, &d, NULL, &err), err, "xz: unexpected end of data");
	check_err(decompress_mem(AC_COMP_UNKNOWN, "\x28\xb5\x2f\xfd\0\0\0", 7, 0, &d, NULL, &err), err,
		  "zstd: ");
}

/* zstd (Docker/OCI layers): frames written by libzstd, concatenated,
 * padded with zeros; truncation and garbage are errors. */
DEFINE_TEST(test_compress_zstd_read)
{
	ac_error *err = NULL;
	size_t n = 3 << 20;
	unsigned char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)((i * 7) ^ (i >> 11));
	size_t cap = ZSTD_compressBound(n) * 2 + 64;
	unsigned char *z = xcalloc(1, cap);
	size_t z1 = ZSTD_compress(z, cap, data, n / 2, 3);
	check(!ZSTD_isError(z1));
	size_t z2 = ZSTD_compress(z + z1, cap - z1, data + n / 2, n - n / 2, 19);
	check(!ZSTD_isError(z2));
	size_t zl = z1 + z2;
	struct mem d;
	ac_compression det;
	check_ok(decompress_mem(AC_COMP_UNKNOWN, z, zl, 0, &d, &det, &err), err);
	check_int(det, ==, AC_COMP_ZSTD);
	check_int(d.len, ==, n);
	check_mem(d.p, data, n);
	free(d.p);
	memset(&d, 0, sizeof(d));
	memset(z + zl, 0, 100); /* padding */
	check_ok(decompress_mem(AC_COMP_ZSTD, z, zl + 100, 0, &d, NULL, &err), err);
	check_int(d.len, ==, n);
	free(d.p);
	memset(&d, 0, sizeof(d));
	check_err(decompress_mem(AC_COMP_ZSTD, z, zl - 10, 0, &d, NULL, &err), err, "zstd: unexpected end of data");
	free(d.p);
	memset(&d, 0, sizeof(d));
	memcpy(z + zl, "garbage", 7);
	check_err(decompress_mem(AC_COMP_ZSTD, z, zl + 7, 0, &d, NULL, &err), err, "zstd: ");
	free(d.p);
	free(z);
	free(data);
}

DEFINE_TEST(test_compress_bad_level)
{
	ac_error *err = NULL;
	struct mem c = { 0 };
	struct ac_compress_opts o = { .type = AC_COMP_GZIP, .level = 13 };
	check_err(ac_compressor_new(&o, mem_sink, &c, &err) ? 0 : -1, err, "invalid compression level");
	o.type = AC_COMP_XZ;
	check_err(ac_compressor_new(&o, mem_sink, &c, &err) ? 0 : -1, err, "invalid compression level");
	o.type = AC_COMP_BZIP2;
	check_err(ac_compressor_new(&o, mem_sink, &c, &err) ? 0 : -1, err, "invalid compression level");
}

/* ------------------------------------------------------------------ gzip */

static unsigned char *compress_gz(int level, int threads, const void *data, size_t n, size_t *outlen)
{
	ac_error *err = NULL;
	struct mem c;
	int r = compress_mem(AC_COMP_GZIP, level, threads, data, n, 0, &c, &err);
	check_ok(r, err);
	*outlen = c.len;
	return c.p;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decodes with 1 and 2 threads and odd read sizes; expects exactly want. */
static void check_decodes(const void *gz, size_t n, const void *want, size_t wlen)
{
	static const int threads[] = { 1, 2, 3 };
	static const size_t steps[] = { 0, 4096 + 7 };
	for (size_t t = 0; t < ARRAY_SIZE(threads); t++)
		for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
			ac_error *err = NULL;
			struct mem d;
			int r = decompress_mem_t(AC_COMP_GZIP, threads[t], gz, n, steps[k], &d, NULL, &err);
			check_ok(r, err);
			check_int(d.len, ==, wlen);
			if (r == 0 && d.len == wlen && wlen)
				check_mem(d.p, want, wlen);
			free(d.p);
		}
}

/* Expects decoding to fail with msg (with 1 and 2 threads); the data
 * decoded before the error must be a prefix of want, at least min_ok long. */
static void check_fails(const void *gz, size_t n, const void *want, size_t min_ok, const char *msg)
{
	for (int threads = 1; threads <= 2; threads++) {
		struct src s = { gz, n, 0, 0 };
		ac_error *err = NULL;
		ac_decompressor *d = ac_decompressor_new_threads(AC_COMP_GZIP, threads, mem_source, &s, &err);
		check_ok(d ? 0 : -1, err);
		if (!d)
			continue;
		size_t got = 0;
		int r;
		for (;;) {
			const void *b;
			size_t l;
			r = ac_decompressor_next(d, &b, &l, &err);
			if (r < 0 || l == 0)
				break;
			if (want)
				check_mem(b, (const unsigned char *)want + got, l);
			got += l;
		}
		check_err(r, err, msg);
		check_int(got, >=, min_ok);
		/* Errors are sticky. */
		const void *b;
		size_t l;
		check_err(ac_decompressor_next(d, &b, &l, &err), err, "after an error");
		ac_decompressor_free(d);
	}
}

/* A foreign gzip member written by zlib, with FNAME and a comment. */
static unsigned char *zlib_gzip(const void *data, size_t n, int level, size_t *outlen)
{
	z_stream z = { 0 };
	check_int(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
	gz_header h = { 0 };
	h.name = (Bytef *)"file.tar";
	h.comment = (Bytef *)"a comment";
	h.hcrc = 1;
	h.time = 1234567890;
	check_int(deflateSetHeader(&z, &h), ==, Z_OK);
	size_t cap = deflateBound(&z, (uLong)n) + 64;
	unsigned char *out = xmalloc(cap);
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	check_int(deflate(&z, Z_FINISH), ==, Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static void append(struct mem *m, const void *p, size_t n)
{
	mem_sink(m, p, n);
}

DEFINE_TEST(test_compress_gzip_identical_threads)
{
	size_t n = 3 * CHUNK + 12345;
	unsigned char *data = make_data(n, 42);
	for (int level = 1; level <= 9; level += 4) {
		size_t l1, l2, l8;
		unsigned char *a = compress_gz(level, 1, data, n, &l1);
		unsigned char *b = compress_gz(level, 2, data, n, &l2);
		unsigned char *c = compress_gz(level, 8, data, n, &l8);
		check_int(l1, ==, l2);
		check_int(l1, ==, l8);
		if (l1 == l2 && l1 == l8) {
			check_mem(a, b, l1);
			check_mem(a, c, l1);
		}
		free(a);
		free(b);
		free(c);
	}
	free(data);
}

DEFINE_TEST(test_compress_gzip_members)
{
	/* One member per chunk, each with its size in the 'AC' subfield. */
	static const size_t sizes[] = { 0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 5 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i], len;
		unsigned char *data = make_data(n, (uint32_t)i);
		unsigned char *gz = compress_gz(-1, 2, data, n, &len);
		size_t pos = 0, members = 0, total = 0;
		while (pos + 20 <= len) {
			check_int(gz[0 + pos], ==, 0x1f);
			check_int(gz[1 + pos], ==, 0x8b);
			check_int(gz[3 + pos], ==, 4); /* FEXTRA only */
			check_mem(gz + pos + 12, "AC\4\0", 4);
			uint32_t size = le32(gz + pos + 16);
			if (size < 28 || pos + size > len)
				break;
			total += le32(gz + pos + size - 4);
			pos += size;
			members++;
		}
		check_int(pos, ==, len);
		check_int(total, ==, n);
		check_int(members, ==, n ? (n + CHUNK - 1) / CHUNK : 1);
		check_decodes(gz, len, data, n);
		free(gz);
		free(data);
	}
}

DEFINE_TEST(test_compress_gzip_levels)
{
	for (int level = 1; level <= 12; level++) {
		size_t sizes[] = { 0, 1000, level <= 9 ? CHUNK + 1 : 70000 };
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
			size_t len;
			unsigned char *data = make_data(sizes[i], (uint32_t)(level * 10 + i));
			unsigned char *gz = compress_gz(level, 0, data, sizes[i], &len);
			check_decodes(gz, len, data, sizes[i]);
			free(gz);
			free(data);
		}
	}
}

DEFINE_TEST(test_compress_gzip_foreign)
{
	/* zlib members (FNAME, FCOMMENT, FHCRC), ours, zlib again, concatenated:
	 * gzip -d output of a concatenation is the concatenation. */
	size_t n1 = 300000, n2 = 2 * CHUNK + 99, n3 = CHUNK + 5;
	unsigned char *d1 = make_data(n1, 1), *d2 = make_data(n2, 2), *d3 = make_data(n3, 3);
	size_t l1, l2, l3, l4;
	unsigned char *g1 = zlib_gzip(d1, n1, 6, &l1);
	unsigned char *g2 = compress_gz(-1, 2, d2, n2, &l2);
	unsigned char *g3 = zlib_gzip(d3, n3, 1, &l3);
	unsigned char *g4 = zlib_gzip("", 0, 6, &l4);
	check_decodes(g1, l1, d1, n1);
	/* One byte at a time: headers and trailers split anywhere. */
	for (int threads = 1; threads <= 2; threads++) {
		struct mem one;
		ac_error *err = NULL;
		check_ok(decompress_mem_t(AC_COMP_GZIP, threads, g1, l1, 1, &one, NULL, &err), err);
		check_int(one.len, ==, n1);
		if (one.len == n1)
			check_mem(one.p, d1, n1);
		free(one.p);
	}
	struct mem all = { 0 }, want = { 0 };
	append(&all, g1, l1), append(&want, d1, n1);
	append(&all, g2, l2), append(&want, d2, n2);
	append(&all, g4, l4);
	append(&all, g3, l3), append(&want, d3, n3);
	append(&all, g2, l2), append(&want, d2, n2);
	append(&all, g2, l2), append(&want, d2, n2);
	append(&all, g1, l1), append(&want, d1, n1);
	check_decodes(all.p, all.len, want.p, want.len);
	/* Ours twice. */
	struct mem two = { 0 }, two_want = { 0 };
	append(&two, g2, l2), append(&two_want, d2, n2);
	append(&two, g2, l2), append(&two_want, d2, n2);
	check_decodes(two.p, two.len, two_want.p, two_want.len);
	free(two.p);
	free(two_want.p);
	free(all.p);
	free(want.p);
	free(g1), free(g2), free(g3), free(g4);
	free(d1), free(d2), free(d3);
}

/* Our header around a raw deflate stream from zlib: members the fast path
 * must hand to zlib (ISIZE beyond its limit). */
DEFINE_TEST(test_compress_gzip_large_member)
{
	size_t n = 9 * CHUNK + 3;
	unsigned char *data = make_data(n, 9);
	z_stream z = { 0 };
	check_int(deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), ==, Z_OK);
	size_t cap = deflateBound(&z, (uLong)n) + 64;
	unsigned char *gz = xmalloc(cap);
	z.next_in = data;
	z.avail_in = (uInt)n;
	z.next_out = gz + 20;
	z.avail_out = (uInt)(cap - 28);
	check_int(deflate(&z, Z_FINISH), ==, Z_STREAM_END);
	size_t dlen = z.total_out;
	deflateEnd(&z);
	size_t total = 20 + dlen + 8;
	memcpy(gz, "\x1f\x8b\x08\x04\0\0\0\0\0\x03\x08\0AC\x04\0", 16);
	uint32_t v[3] = { (uint32_t)total, (uint32_t)crc32(0, data, (uInt)n), (uint32_t)n };
	unsigned char *at[3] = { gz + 16, gz + 20 + dlen, gz + 24 + dlen };
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 4; k++)
			at[i][k] = (unsigned char)(v[i] >> (8 * k));
	check_decodes(gz, total, data, n);
	/* A wrong member size in our subfield is corruption. */
	at[0][0] ^= 1;
	check_fails(gz, total, data, 0, "gzip: ");
	free(gz);
	free(data);
}

DEFINE_TEST(test_compress_gzip_foreign_corrupt)
{
	size_t n = 3 * CHUNK, l, lo;
	unsigned char *data = make_data(n, 11);
	unsigned char *g = zlib_gzip(data, n, 6, &l);
	unsigned char *ours = compress_gz(-1, 1, data, CHUNK, &lo);
	struct mem m = { 0 };
	append(&m, g, l);
	m.p[l - 6] ^= 1; /* CRC */
	check_fails(m.p, m.len, data, 0, "gzip: invalid compressed data: incorrect data check");
	m.p[l - 6] ^= 1;
	check_fails(m.p, l - 100, data, 0, "gzip: unexpected end of data");
	/* foreign then ours then garbage; foreign then a lone magic */
	append(&m, ours, lo);
	append(&m, "xy", 2);
	check_fails(m.p, m.len, NULL, n + CHUNK, "gzip: trailing garbage after compressed data");
	check_fails(m.p, l + 1, NULL, n, "gzip: trailing garbage after compressed data");
	memcpy(m.p + l, "\x1f\x8b", 2);
	check_fails(m.p, l + 2, NULL, n, "gzip: unexpected end of data");
	/* Abandoned half way: freeing must stop the helper. */
	struct src s = { g, l, 0, 1000 };
	ac_error *err = NULL;
	ac_decompressor *d = ac_decompressor_new_threads(AC_COMP_GZIP, 2, mem_source, &s, &err);
	const void *b;
	size_t bl;
	check_ok(ac_decompressor_next(d, &b, &bl, &err), err);
	check_int(bl, >, 0);
	ac_decompressor_free(d);
	free(m.p);
	free(ours);
	free(g);
	free(data);
}

DEFINE_TEST(test_compress_gzip_corrupt)
{
	size_t n = 3 * CHUNK + 500, len;
	unsigned char *data = make_data(n, 7);
	unsigned char *gz = compress_gz(-1, 2, data, n, &len);
	unsigned char *bad = xmalloc(len + 16);
	size_t m1 = le32(gz + 16), m2 = m1 + le32(gz + m1 + 16);

	/* A flipped bit in the deflate data of the second member: the first
	 * member still comes out, then the error. */
	memcpy(bad, gz, len);
	bad[m1 + 20 + 1000] ^= 0x10;
	check_fails(bad, len, data, CHUNK, "gzip: invalid compressed data");
	/* A wrong CRC. */
	memcpy(bad, gz, len);
	bad[m2 - 8] ^= 1;
	check_fails(bad, len, data, CHUNK, "gzip: invalid compressed data: incorrect data check");
	/* A wrong ISIZE. */
	memcpy(bad, gz, len);
	bad[m2 - 2] ^= 1;
	check_fails(bad, len, data, CHUNK, "gzip: invalid compressed data");
	/* Truncated: in a header, inside a member, without the last byte. */
	check_fails(gz, m1 + 10, data, CHUNK, "gzip: unexpected end of data");
	check_fails(gz, m1 + 3000, data, CHUNK, "gzip: unexpected end of data");
	check_fails(gz, len - 1, data, 3 * CHUNK, "gzip: unexpected end of data");
	check_fails(gz, 5, NULL, 0, "gzip: unexpected end of data");
	/* Trailing bytes: garbage, a lone magic, zeros. */
	memcpy(bad, gz, len);
	memcpy(bad + len, "garbage!", 8);
	check_fails(bad, len + 8, data, n, "gzip: trailing garbage after compressed data");
	check_fails(bad, len + 1, data, n, "gzip: trailing garbage after compressed data");
	memcpy(bad + len, "\x1f\x8b", 2);
	check_fails(bad, len + 2, data, n, "gzip: unexpected end of data");
	/* zero padding (bsdtar writing to a pipe pads to 10240 bytes) is
	 * accepted; something after the zeros is not */
	memset(bad + len, 0, 16);
	for (int threads = 1; threads <= 2; threads++) {
		struct src zs = { bad, len + 16, 0, 0 };
		ac_error *zerr = NULL;
		ac_decompressor *zd = ac_decompressor_new_threads(AC_COMP_GZIP, threads, mem_source, &zs, &zerr);
		size_t zgot = 0;
		const void *zb;
		size_t zl;
		int zr;
		while ((zr = ac_decompressor_next(zd, &zb, &zl, &zerr)) == 0 && zl)
			zgot += zl;
		check_ok(zr, zerr);
		check_int(zgot, ==, n);
		ac_decompressor_free(zd);
	}
	bad[len + 15] = 1;
	check_fails(bad, len + 16, data, n, "gzip: trailing garbage after compressed data");
	/* A member size in our subfield that is wrong but plausible is
	 * corruption; an impossible one makes it a foreign member, which
	 * zlib reads like any gzip reader (extra fields are not checked). */
	memcpy(bad, gz, len);
	bad[m1 + 16] ^= 0x40;
	check_fails(bad, len, data, CHUNK, "gzip: ");
	memcpy(bad, gz, len);
	bad[m1 + 17] ^= 0x01;
	check_fails(bad, len, data, CHUNK, "gzip: ");
	memcpy(bad, gz, len);
	bad[m1 + 19] = 0x7f;
	check_decodes(bad, len, data, n);
	memcpy(bad, gz, len);
	memset(bad + m1 + 16, 0, 4);
	check_decodes(bad, len, data, n);
	free(bad);
	free(gz);
	free(data);
}
