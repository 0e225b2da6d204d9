/* Unit tests of compression and decompression (ac/compress.h). */
#include "test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/buf.h"
#include "ac/compress.h"

#define CHUNK (1u << 20) /* must match the gzip writer's chunk size */

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
static int decompress_mem(ac_compression type, const void *data, size_t n, size_t step, struct mem *out,
			  ac_compression *detected, ac_error **err)
{
	struct src s = { data, n, 0, step };
	memset(out, 0, sizeof(*out));
	ac_decompressor *d = ac_decompressor_new(type, mem_source, &s, err);
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
		  "zstd compression is not supported");
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
