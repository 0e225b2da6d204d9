/* The decompressors (gzip with our parallel members and foreign ones, bzip2,
 * xz, zstd when built in, plain).  The first byte picks the declared type,
 * the thread count and the read size of the source, so that stream
 * boundaries fall everywhere; the rest is the compressed stream. */
#include "fuzz.h"

#include <errno.h>
#include <string.h>
#include "ac/compress.h"

/* Bombs are legal input: read this much of the output, then stop. */
#define OUT_CAP (64u << 20)

struct src {
	const uint8_t *p;
	size_t left, chunk;
};

static ssize_t src_read(void *arg, void *buf, size_t len)
{
	struct src *s = arg;
	size_t n = len < s->left ? len : s->left;
	if (s->chunk && n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const ac_compression types[8] = { AC_COMP_UNKNOWN, AC_COMP_UNKNOWN, AC_COMP_UNKNOWN, AC_COMP_NONE,
						 AC_COMP_GZIP, AC_COMP_BZIP2, AC_COMP_XZ, AC_COMP_ZSTD };
	static const size_t chunks[4] = { 0, 1, 7, 4096 };
	uint8_t c = data[0];
	struct src s = { data + 1, size - 1, chunks[(c >> 4) & 3] };
	ac_error *err = NULL;
	ac_decompressor *d = ac_decompressor_new_threads(types[c & 7], c & 8 ? 2 : 1, src_read, &s, &err);
	if (!d) {
		if (!err)
			fuzz_fail("new failed without an error");
		ac_error_free(&err);
		return 0;
	}
	size_t total = 0;
	for (;;) {
		const void *buf;
		size_t len;
		if (ac_decompressor_next(d, &buf, &len, &err) < 0) {
			if (!err)
				fuzz_fail("next failed without an error");
			ac_error_free(&err);
			break;
		}
		if (len == 0)
			break;
		/* touch the bytes so ASan sees a bad pointer */
		volatile uint8_t sink = ((const uint8_t *)buf)[0] ^ ((const uint8_t *)buf)[len - 1];
		(void)sink;
		total += len;
		if (total > OUT_CAP)
			break;
	}
	ac_decompressor_free(d);
	return 0;
}
