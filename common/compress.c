/* Compression and decompression: type names, detection, and the none, xz and
 * bzip2 codecs; gzip lives in compress-gzip.c. */
#include "compress-internal.h"

#include <bzlib.h>
#include <lzma.h>
#include <zstd.h>

/* ------------------------------------------------------------------ names */

static const char *const names[] = {
	[AC_COMP_NONE] = "none",   [AC_COMP_GZIP] = "gzip", [AC_COMP_BZIP2] = "bzip2",
	[AC_COMP_XZ] = "xz",       [AC_COMP_ZSTD] = "zstd", [AC_COMP_UNKNOWN] = "unknown",
};

const char *ac_compression_name(ac_compression c)
{
	if ((unsigned)c < ARRAY_SIZE(names))
		return names[c];
	return "unknown";
}

int ac_compression_from_name(const char *name, ac_compression *out)
{
	static const struct { const char *n; ac_compression c; } tab[] = {
		{ "none", AC_COMP_NONE }, { "gzip", AC_COMP_GZIP }, { "gz", AC_COMP_GZIP },
		{ "xz", AC_COMP_XZ }, { "bzip2", AC_COMP_BZIP2 }, { "bz2", AC_COMP_BZIP2 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (!strcmp(name, tab[i].n)) {
			*out = tab[i].c;
			return 0;
		}
	errno = EINVAL;
	return -1;
}

ac_compression ac_compression_detect(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return AC_COMP_GZIP;
	if (len >= 3 && !memcmp(p, "BZh", 3))
		return AC_COMP_BZIP2;
	if (len >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		return AC_COMP_XZ;
	if (len >= 4 && !memcmp(p, "\x28\xb5\x2f\xfd", 4))
		return AC_COMP_ZSTD;
	if (len >= 262 && !memcmp(p + 257, "ustar", 5))
		return AC_COMP_NONE;
	return AC_COMP_UNKNOWN;
}

/* ------------------------------------------------------------ compressors */

int ac_sink_fd(void *arg, const void *buf, size_t len)
{
	int fd = *(int *)arg;
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#define OUTBUF (256 * 1024)

struct ac_compressor {
	ac_compression type;
	ac_sink_fn sink;
	void *sink_arg;
	int finished;
	int failed;
	union {
		lzma_stream xz;
		bz_stream bz;
		ZSTD_DStream *zs;
	};
	int inited;
	unsigned char *out;
	struct ac_gzip_writer *gz;
};

static int sink_err(ac_compressor *c, ac_error **err)
{
	c->failed = 1;
	return ac_error_errno(err, "writing compressed data");
}

static const char *lzma_msg(lzma_ret r)
{
	switch (r) {
	case LZMA_MEM_ERROR: return "out of memory";
	case LZMA_MEMLIMIT_ERROR: return "memory limit reached";
	case LZMA_FORMAT_ERROR: return "not in xz format";
	case LZMA_OPTIONS_ERROR: return "unsupported options";
	case LZMA_DATA_ERROR: return "compressed data is corrupt";
	case LZMA_BUF_ERROR: return "unexpected end of data";
	case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
	default: return "internal error";
	}
}

static const char *bz_msg(int r)
{
	switch (r) {
	case BZ_MEM_ERROR: return "out of memory";
	case BZ_DATA_ERROR: return "compressed data is corrupt";
	case BZ_DATA_ERROR_MAGIC: return "not in bzip2 format";
	case BZ_UNEXPECTED_EOF: return "unexpected end of data";
	default: return "internal error";
	}
}

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int ac_compress_threads(int requested)
{
	if (requested > 0)
		return requested > 64 ? 64 : requested;
	return ncpus();
}

ac_compressor *ac_compressor_new(const struct ac_compress_opts *o, ac_sink_fn sink, void *sink_arg, ac_error **err)
{
	ac_compressor *c = xcalloc(1, sizeof(*c));
	c->type = o->type;
	c->sink = sink;
	c->sink_arg = sink_arg;
	int level = o->level;
	switch (o->type) {
	case AC_COMP_NONE:
		break;
	case AC_COMP_GZIP:
		c->gz = ac_gzip_writer_new(level, ac_compress_threads(o->threads), sink, sink_arg, err);
		if (!c->gz)
			goto fail;
		break;
	case AC_COMP_XZ: {
		if (level < 0)
			level = 6;
		if (level > 9) {
			ac_error_set(err, EINVAL, "xz: invalid compression level %d", level);
			goto fail;
		}
		c->xz = (lzma_stream)LZMA_STREAM_INIT;
		lzma_mt mt = {
			.flags = 0,
			.threads = (uint32_t)ac_compress_threads(o->threads),
			/* A fixed block size keeps the output independent of the
			 * thread count. */
			.block_size = 0,
			.timeout = 0,
			.preset = (uint32_t)level,
			.check = LZMA_CHECK_CRC64,
		};
		lzma_options_lzma lz;
		if (lzma_lzma_preset(&lz, (uint32_t)level)) {
			ac_error_set(err, EINVAL, "xz: invalid compression level %d", level);
			goto fail;
		}
		/* 3 × dictionary size (the xz default), at least 1 MiB. */
		uint64_t bs = (uint64_t)lz.dict_size * 3;
		mt.block_size = bs < (1u << 20) ? (1u << 20) : bs;
		lzma_ret r = lzma_stream_encoder_mt(&c->xz, &mt);
		if (r != LZMA_OK) {
			ac_error_set(err, 0, "xz: cannot initialise the compressor: %s", lzma_msg(r));
			goto fail;
		}
		c->inited = 1;
		c->out = xmalloc(OUTBUF);
		break;
	}
	case AC_COMP_BZIP2: {
		if (level < 0)
			level = 9;
		if (level < 1 || level > 9) {
			ac_error_set(err, EINVAL, "bzip2: invalid compression level %d", level);
			goto fail;
		}
		int r = BZ2_bzCompressInit(&c->bz, level, 0, 0);
		if (r != BZ_OK) {
			ac_error_set(err, 0, "bzip2: cannot initialise the compressor: %s", bz_msg(r));
			goto fail;
		}
		c->inited = 1;
		c->out = xmalloc(OUTBUF);
		break;
	}
	case AC_COMP_ZSTD:
		ac_error_set(err, ENOTSUP, "zstd compression is not supported");
		goto fail;
	default:
		ac_error_set(err, EINVAL, "unknown compression type %d", (int)o->type);
		goto fail;
	}
	return c;
fail:
	ac_compressor_free(c);
	return NULL;
}

static int xz_run(ac_compressor *c, const void *buf, size_t len, lzma_action act, ac_error **err)
{
	c->xz.next_in = buf;
	c->xz.avail_in = len;
	for (;;) {
		c->xz.next_out = c->out;
		c->xz.avail_out = OUTBUF;
		lzma_ret r = lzma_code(&c->xz, act);
		size_t n = OUTBUF - c->xz.avail_out;
		if (n && c->sink(c->sink_arg, c->out, n) < 0)
			return sink_err(c, err);
		if (r == LZMA_STREAM_END)
			return 0;
		if (r != LZMA_OK) {
			c->failed = 1;
			return ac_error_set(err, 0, "xz: %s", lzma_msg(r));
		}
		if (act == LZMA_RUN && c->xz.avail_in == 0 && c->xz.avail_out != 0)
			return 0;
	}
}

static int bz_run(ac_compressor *c, const void *buf, size_t len, int act, ac_error **err)
{
	const char *p = buf;
	for (;;) {
		/* avail_in is an unsigned int */
		size_t take = len > (1u << 30) ? (1u << 30) : len;
		c->bz.next_in = (char *)p;
		c->bz.avail_in = (unsigned)take;
		int r;
		do {
			c->bz.next_out = (char *)c->out;
			c->bz.avail_out = OUTBUF;
			r = BZ2_bzCompress(&c->bz, (act == BZ_FINISH && take != len) ? BZ_RUN : act);
			size_t n = OUTBUF - c->bz.avail_out;
			if (n && c->sink(c->sink_arg, c->out, n) < 0)
				return sink_err(c, err);
			if (r < 0) {
				c->failed = 1;
				return ac_error_set(err, 0, "bzip2: %s", bz_msg(r));
			}
		} while (act == BZ_FINISH ? r != BZ_STREAM_END : c->bz.avail_in > 0);
		p += take;
		len -= take;
		if (len == 0)
			return 0;
	}
}

int ac_compressor_write(ac_compressor *c, const void *buf, size_t len, ac_error **err)
{
	if (c->failed || c->finished)
		return ac_error_set(err, EINVAL, "%s: compressor used after %s", ac_compression_name(c->type),
				    c->failed ? "an error" : "finish");
	if (len == 0)
		return 0;
	switch (c->type) {
	case AC_COMP_NONE:
		if (c->sink(c->sink_arg, buf, len) < 0)
			return sink_err(c, err);
		return 0;
	case AC_COMP_GZIP:
		if (ac_gzip_writer_write(c->gz, buf, len, err) < 0) {
			c->failed = 1;
			return -1;
		}
		return 0;
	case AC_COMP_XZ:
		return xz_run(c, buf, len, LZMA_RUN, err);
	case AC_COMP_BZIP2:
		return bz_run(c, buf, len, BZ_RUN, err);
	default:
		return ac_error_set(err, EINVAL, "bad compressor");
	}
}

int ac_compressor_finish(ac_compressor *c, ac_error **err)
{
	if (c->failed || c->finished)
		return ac_error_set(err, EINVAL, "%s: compressor used after %s", ac_compression_name(c->type),
				    c->failed ? "an error" : "finish");
	int r = 0;
	switch (c->type) {
	case AC_COMP_NONE:
		break;
	case AC_COMP_GZIP:
		r = ac_gzip_writer_finish(c->gz, err);
		break;
	case AC_COMP_XZ:
		r = xz_run(c, NULL, 0, LZMA_FINISH, err);
		break;
	case AC_COMP_BZIP2:
		r = bz_run(c, NULL, 0, BZ_FINISH, err);
		break;
	default:
		r = ac_error_set(err, EINVAL, "bad compressor");
	}
	if (r < 0)
		c->failed = 1;
	else
		c->finished = 1;
	return r;
}

void ac_compressor_free(ac_compressor *c)
{
	if (!c)
		return;
	if (c->inited) {
		if (c->type == AC_COMP_XZ)
			lzma_end(&c->xz);
		else if (c->type == AC_COMP_BZIP2)
			BZ2_bzCompressEnd(&c->bz);
	}
	ac_gzip_writer_free(c->gz);
	free(c->out);
	free(c);
}

/* ---------------------------------------------------------- decompressors */

ssize_t ac_source_fd(void *arg, void *buf, size_t len)
{
	int fd = *(int *)arg;
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}

#define INBUF (256 * 1024)

struct ac_decompressor {
	ac_compression type;
	struct ac_input in;
	int done;
	int failed;
	int inited;
	union {
		lzma_stream xz;
		bz_stream bz;
		ZSTD_DStream *zs;
	};
	unsigned char *out;
	struct ac_gzip_reader *gz;
	int zstd_in_frame;   /* inside a frame: its end is still to come */
	unsigned zstd_frames; /* frames finished */
};

/* Fills the input buffer (compacting it first) until it holds at least want
 * bytes or the source ends. */
int ac_input_fill(struct ac_input *in, size_t want, ac_error **err)
{
	if (in->pos > 0 && in->pos == in->len) {
		in->pos = in->len = 0;
	}
	if (want > in->cap)
		want = in->cap;
	if (in->len - in->pos >= want || in->eof)
		return 0;
	if (in->pos > 0 && in->cap - in->pos < want) {
		memmove(in->buf, in->buf + in->pos, in->len - in->pos);
		in->len -= in->pos;
		in->pos = 0;
	}
	while (in->len - in->pos < want && !in->eof) {
		ssize_t n = in->src(in->src_arg, in->buf + in->len, in->cap - in->len);
		if (n < 0)
			return ac_error_errno(err, "reading compressed data");
		if (n == 0)
			in->eof = 1;
		in->len += (size_t)n;
		in->total += (uint64_t)n;
	}
	return 0;
}

/* Reads more input if the buffer is empty: 1 if bytes are available, 0 at
 * end of input. */
int ac_input_more(struct ac_input *in, ac_error **err)
{
	if (in->pos < in->len)
		return 1;
	if (ac_input_fill(in, 1, err) < 0)
		return -1;
	return in->pos < in->len;
}

ssize_t ac_input_read(struct ac_input *in, void *dst, size_t n, ac_error **err)
{
	unsigned char *d = dst;
	size_t got = in->len - in->pos;
	if (got > n)
		got = n;
	memcpy(d, in->buf + in->pos, got);
	in->pos += got;
	while (got < n && !in->eof) {
		ssize_t k = in->src(in->src_arg, d + got, n - got);
		if (k < 0)
			return ac_error_errno(err, "reading compressed data");
		if (k == 0)
			in->eof = 1;
		got += (size_t)k;
		in->total += (uint64_t)k;
	}
	return (ssize_t)got;
}

int ac_input_skip_zeros(struct ac_input *in, ac_error **err)
{
	for (;;) {
		if (ac_input_fill(in, in->cap, err) < 0)
			return -1;
		if (in->pos == in->len)
			return 1;
		while (in->pos < in->len && in->buf[in->pos] == 0)
			in->pos++;
		if (in->pos < in->len)
			return 0;
	}
}

static int bz_magic(const unsigned char *p, size_t n)
{
	return n >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h';
}

ac_decompressor *ac_decompressor_new(ac_compression type, ac_source_fn src, void *src_arg, ac_error **err)
{
	return ac_decompressor_new_threads(type, 0, src, src_arg, err);
}

ac_decompressor *ac_decompressor_new_threads(ac_compression type, int threads, ac_source_fn src, void *src_arg,
					     ac_error **err)
{
	ac_decompressor *d = xcalloc(1, sizeof(*d));
	d->in.src = src;
	d->in.src_arg = src_arg;
	d->in.cap = INBUF;
	d->in.buf = xmalloc(INBUF);
	if (ac_input_fill(&d->in, 512, err) < 0)
		goto fail;
	ac_compression sniffed = ac_compression_detect(d->in.buf, d->in.len);
	if (type == AC_COMP_UNKNOWN)
		type = sniffed == AC_COMP_UNKNOWN ? AC_COMP_NONE : sniffed;
	else if (type != AC_COMP_NONE && type != sniffed) {
		if (d->in.len == 0)
			ac_error_set(err, 0, "%s: unexpected end of data", ac_compression_name(type));
		else
			ac_error_set(err, 0, "%s: not in %s format", ac_compression_name(type), ac_compression_name(type));
		goto fail;
	}
	d->type = type;
	switch (type) {
	case AC_COMP_NONE:
		break;
	case AC_COMP_GZIP:
		d->gz = ac_gzip_reader_new(&d->in, ac_compress_threads(threads), err);
		if (!d->gz)
			goto fail;
		break;
	case AC_COMP_XZ: {
		d->xz = (lzma_stream)LZMA_STREAM_INIT;
		lzma_ret r = lzma_stream_decoder(&d->xz, UINT64_MAX, LZMA_CONCATENATED);
		if (r != LZMA_OK) {
			ac_error_set(err, 0, "xz: cannot initialise the decompressor: %s", lzma_msg(r));
			goto fail;
		}
		d->inited = 1;
		d->out = xmalloc(OUTBUF);
		break;
	}
	case AC_COMP_BZIP2: {
		int r = BZ2_bzDecompressInit(&d->bz, 0, 0);
		if (r != BZ_OK) {
			ac_error_set(err, 0, "bzip2: cannot initialise the decompressor: %s", bz_msg(r));
			goto fail;
		}
		d->inited = 1;
		d->out = xmalloc(OUTBUF);
		break;
	}
	case AC_COMP_ZSTD:
		/* OCI and Docker layers may be zstd; ACIs may not (aci_read.c) */
		d->zs = ZSTD_createDStream();
		if (!d->zs || ZSTD_isError(ZSTD_initDStream(d->zs))) {
			ac_error_set(err, ENOMEM, "zstd: cannot initialise the decompressor");
			goto fail;
		}
		/* a frame's window is at most 128 MiB (zstd's default limit is 128 MiB
		 * too; said here so that a hostile frame cannot ask for more) */
		ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, 27);
		d->inited = 1;
		d->out = xmalloc(OUTBUF);
		break;
	default:
		ac_error_set(err, EINVAL, "unknown compression type %d", (int)type);
		goto fail;
	}
	return d;
fail:
	ac_decompressor_free(d);
	return NULL;
}

static int xz_next(ac_decompressor *d, const void **buf, size_t *len, ac_error **err)
{
	struct ac_input *in = &d->in;
	d->xz.next_out = d->out;
	d->xz.avail_out = OUTBUF;
	while (d->xz.avail_out > 0) {
		int more = ac_input_more(in, err);
		if (more < 0)
			return -1;
		d->xz.next_in = in->buf + in->pos;
		d->xz.avail_in = in->len - in->pos;
		lzma_ret r = lzma_code(&d->xz, more ? LZMA_RUN : LZMA_FINISH);
		in->pos = in->len - d->xz.avail_in;
		if (r == LZMA_STREAM_END) {
			d->done = 1;
			break;
		}
		if (r == LZMA_OK)
			continue;
		if (r == LZMA_FORMAT_ERROR && d->xz.total_in > 0)
			return ac_error_set(err, 0, "xz: trailing garbage after compressed data");
		if (r == LZMA_BUF_ERROR)
			return ac_error_set(err, 0, "xz: unexpected end of data");
		return ac_error_set(err, 0, "xz: %s", lzma_msg(r));
	}
	*buf = d->out;
	*len = OUTBUF - d->xz.avail_out;
	return 0;
}

static int bz_next(ac_decompressor *d, const void **buf, size_t *len, ac_error **err)
{
	struct ac_input *in = &d->in;
	d->bz.next_out = (char *)d->out;
	d->bz.avail_out = OUTBUF;
	while (d->bz.avail_out > 0) {
		int more = ac_input_more(in, err);
		if (more < 0)
			return -1;
		if (!more)
			return ac_error_set(err, 0, "bzip2: unexpected end of data");
		size_t avail = in->len - in->pos;
		d->bz.next_in = (char *)in->buf + in->pos;
		d->bz.avail_in = avail > (1u << 30) ? (1u << 30) : (unsigned)avail;
		unsigned before = d->bz.avail_in;
		int r = BZ2_bzDecompress(&d->bz);
		in->pos += before - d->bz.avail_in;
		if (r == BZ_OK)
			continue;
		if (r != BZ_STREAM_END)
			return ac_error_set(err, 0, "bzip2: %s", bz_msg(r));
		/* End of one stream: another may follow. */
		BZ2_bzDecompressEnd(&d->bz);
		d->inited = 0;
		if (ac_input_fill(in, 4, err) < 0)
			return -1;
		if (in->pos == in->len) {
			d->done = 1;
			break;
		}
		if (in->buf[in->pos] == 0) {
			int z = ac_input_skip_zeros(in, err);
			if (z < 0)
				return -1;
			if (z) {
				d->done = 1;
				break;
			}
		}
		if (!bz_magic(in->buf + in->pos, in->len - in->pos))
			return ac_error_set(err, 0, "bzip2: trailing garbage after compressed data");
		r = BZ2_bzDecompressInit(&d->bz, 0, 0);
		if (r != BZ_OK)
			return ac_error_set(err, 0, "bzip2: %s", bz_msg(r));
		d->inited = 1;
	}
	*buf = d->out;
	*len = OUTBUF - d->bz.avail_out;
	return 0;
}

/* Frames follow each other (concatenated frames are one stream); zero
 * padding after the last one is accepted as for gzip. */
static int zstd_next(ac_decompressor *d, const void **buf, size_t *len, ac_error **err)
{
	struct ac_input *in = &d->in;
	ZSTD_outBuffer out = { d->out, OUTBUF, 0 };
	while (out.pos < out.size) {
		int more = ac_input_more(in, err);
		if (more < 0)
			return -1;
		if (!more) {
			if (d->zstd_in_frame)
				return ac_error_set(err, 0, "zstd: unexpected end of data");
			d->done = 1;
			break;
		}
		if (!d->zstd_in_frame && in->buf[in->pos] == 0) {
			int z = ac_input_skip_zeros(in, err);
			if (z < 0)
				return -1;
			if (z) {
				d->done = 1;
				break;
			}
			return ac_error_set(err, 0, "zstd: trailing garbage after compressed data");
		}
		ZSTD_inBuffer inb = { in->buf + in->pos, in->len - in->pos, 0 };
		size_t r = ZSTD_decompressStream(d->zs, &out, &inb);
		in->pos += inb.pos;
		if (ZSTD_isError(r)) {
			if (!d->zstd_in_frame && d->zstd_frames > 0)
				return ac_error_set(err, 0, "zstd: trailing garbage after compressed data");
			return ac_error_set(err, 0, "zstd: %s", ZSTD_getErrorName(r));
		}
		d->zstd_in_frame = r != 0;
		if (r == 0)
			d->zstd_frames++;
	}
	*buf = d->out;
	*len = out.pos;
	return 0;
}

int ac_decompressor_next(ac_decompressor *d, const void **buf, size_t *len, ac_error **err)
{
	*buf = NULL;
	*len = 0;
	if (d->failed)
		return ac_error_set(err, EINVAL, "%s: decompressor used after an error", ac_compression_name(d->type));
	for (;;) {
		if (d->done)
			return 0;
		int r;
		switch (d->type) {
		case AC_COMP_NONE: {
			int more = ac_input_more(&d->in, err);
			if (more < 0) {
				d->failed = 1;
				return -1;
			}
			if (!more) {
				d->done = 1;
				return 0;
			}
			*buf = d->in.buf + d->in.pos;
			*len = d->in.len - d->in.pos;
			d->in.pos = d->in.len;
			return 0;
		}
		case AC_COMP_GZIP:
			r = ac_gzip_reader_next(d->gz, buf, len, err);
			if (r < 0)
				d->failed = 1;
			else if (*len == 0)
				d->done = 1;
			return r;
		case AC_COMP_XZ:
			r = xz_next(d, buf, len, err);
			break;
		case AC_COMP_BZIP2:
			r = bz_next(d, buf, len, err);
			break;
		case AC_COMP_ZSTD:
			r = zstd_next(d, buf, len, err);
			break;
		default:
			return ac_error_set(err, EINVAL, "bad decompressor");
		}
		if (r < 0) {
			d->failed = 1;
			*buf = NULL;
			*len = 0;
			return -1;
		}
		if (*len > 0)
			return 0;
	}
}

ac_compression ac_decompressor_type(const ac_decompressor *d)
{
	return d->type;
}

void ac_decompressor_free(ac_decompressor *d)
{
	if (!d)
		return;
	if (d->inited) {
		if (d->type == AC_COMP_XZ)
			lzma_end(&d->xz);
		else if (d->type == AC_COMP_BZIP2)
			BZ2_bzDecompressEnd(&d->bz);
		else if (d->type == AC_COMP_ZSTD)
			ZSTD_freeDStream(d->zs);
	}
	ac_gzip_reader_free(d->gz);
	free(d->out);
	free(d->in.buf);
	free(d);
}
