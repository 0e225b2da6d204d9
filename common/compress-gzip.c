/* gzip: a chunked multi-member writer and a multi-member reader. */
#include "compress-internal.h"

#include <libdeflate.h>
#include <zlib.h>

/* Each member: fixed header with FEXTRA holding subfield 'A','C' whose 4
 * bytes are the member's total size (header + deflate data + trailer). */
#define GZ_HDR_LEN 20
#define GZ_TRL_LEN 8
#define GZ_SI1 'A'
#define GZ_SI2 'C'
#define GZ_OS 3 /* Unix, whatever the build host */

#define CHUNK_SIZE (1u << 20)
#define DEFAULT_LEVEL 6

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put_header(unsigned char *p, uint32_t member_size)
{
	static const unsigned char fixed[16] = {
		0x1f, 0x8b, 8, 4 /* FEXTRA */, 0, 0, 0, 0 /* MTIME */, 0 /* XFL */, GZ_OS,
		8, 0 /* XLEN */, GZ_SI1, GZ_SI2, 4, 0 /* LEN */,
	};
	memcpy(p, fixed, sizeof(fixed));
	put_le32(p + 16, member_size);
}

/* ------------------------------------------------------------------ writer */

struct ac_gzip_writer {
	int level;
	ac_sink_fn sink;
	void *sink_arg;
	struct libdeflate_compressor *ld;
	unsigned char *chunk;
	size_t chunk_len;
	unsigned char *out;
	size_t out_cap;
	int members;
};

struct ac_gzip_writer *ac_gzip_writer_new(int level, int threads, ac_sink_fn sink, void *sink_arg, ac_error **err)
{
	(void)threads;
	if (level < 0)
		level = DEFAULT_LEVEL;
	if (level < 1 || level > 12)
		return ac_error_set(err, EINVAL, "gzip: invalid compression level %d", level), NULL;
	struct ac_gzip_writer *w = xcalloc(1, sizeof(*w));
	w->level = level;
	w->sink = sink;
	w->sink_arg = sink_arg;
	w->ld = libdeflate_alloc_compressor(level);
	if (!w->ld) {
		free(w);
		return ac_error_set(err, ENOMEM, "gzip: cannot allocate the compressor"), NULL;
	}
	w->chunk = xmalloc(CHUNK_SIZE);
	w->out_cap = GZ_HDR_LEN + libdeflate_deflate_compress_bound(w->ld, CHUNK_SIZE) + GZ_TRL_LEN;
	w->out = xmalloc(w->out_cap);
	return w;
}

static int emit_chunk(struct ac_gzip_writer *w, ac_error **err)
{
	size_t n = libdeflate_deflate_compress(w->ld, w->chunk, w->chunk_len, w->out + GZ_HDR_LEN,
					       w->out_cap - GZ_HDR_LEN - GZ_TRL_LEN);
	if (n == 0)
		return ac_error_set(err, 0, "gzip: compression failed");
	size_t total = GZ_HDR_LEN + n + GZ_TRL_LEN;
	put_header(w->out, (uint32_t)total);
	put_le32(w->out + GZ_HDR_LEN + n, libdeflate_crc32(0, w->chunk, w->chunk_len));
	put_le32(w->out + GZ_HDR_LEN + n + 4, (uint32_t)w->chunk_len);
	if (w->sink(w->sink_arg, w->out, total) < 0)
		return ac_error_errno(err, "writing compressed data");
	w->chunk_len = 0;
	w->members++;
	return 0;
}

int ac_gzip_writer_write(struct ac_gzip_writer *w, const void *buf, size_t len, ac_error **err)
{
	const unsigned char *p = buf;
	while (len > 0) {
		size_t take = CHUNK_SIZE - w->chunk_len;
		if (take > len)
			take = len;
		memcpy(w->chunk + w->chunk_len, p, take);
		w->chunk_len += take;
		p += take;
		len -= take;
		if (w->chunk_len == CHUNK_SIZE && emit_chunk(w, err) < 0)
			return -1;
	}
	return 0;
}

int ac_gzip_writer_finish(struct ac_gzip_writer *w, ac_error **err)
{
	if (w->chunk_len > 0 || w->members == 0)
		return emit_chunk(w, err);
	return 0;
}

void ac_gzip_writer_free(struct ac_gzip_writer *w)
{
	if (!w)
		return;
	if (w->ld)
		libdeflate_free_compressor(w->ld);
	free(w->chunk);
	free(w->out);
	free(w);
}

/* ------------------------------------------------------------------ reader */

#define GZ_OUTBUF (256 * 1024)

struct ac_gzip_reader {
	struct ac_input *in;
	z_stream z;
	int inited;
	int done;
	unsigned char *out;
};

struct ac_gzip_reader *ac_gzip_reader_new(struct ac_input *in, ac_error **err)
{
	struct ac_gzip_reader *r = xcalloc(1, sizeof(*r));
	r->in = in;
	if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
		free(r);
		return ac_error_set(err, ENOMEM, "gzip: cannot initialise the decompressor"), NULL;
	}
	r->inited = 1;
	r->out = xmalloc(GZ_OUTBUF);
	return r;
}

int ac_gzip_reader_next(struct ac_gzip_reader *r, const void **buf, size_t *len, ac_error **err)
{
	struct ac_input *in = r->in;
	*buf = r->out;
	*len = 0;
	if (r->done)
		return 0;
	r->z.next_out = r->out;
	r->z.avail_out = GZ_OUTBUF;
	while (r->z.avail_out > 0) {
		int more = ac_input_more(in, err);
		if (more < 0)
			return -1;
		if (!more)
			return ac_error_set(err, 0, "gzip: unexpected end of data");
		size_t avail = in->len - in->pos;
		r->z.next_in = in->buf + in->pos;
		r->z.avail_in = avail > (1u << 30) ? (1u << 30) : (unsigned)avail;
		unsigned before = r->z.avail_in;
		int ret = inflate(&r->z, Z_NO_FLUSH);
		in->pos += before - r->z.avail_in;
		if (ret == Z_OK || ret == Z_BUF_ERROR)
			continue;
		if (ret != Z_STREAM_END) {
			if (ret == Z_DATA_ERROR)
				return ac_error_set(err, 0, "gzip: invalid compressed data: %s",
						    r->z.msg ? r->z.msg : "corrupt");
			return ac_error_set(err, 0, "gzip: inflate failed (%d)", ret);
		}
		/* End of a member: another may follow. */
		if (ac_input_fill(in, 2, err) < 0)
			return -1;
		if (in->pos == in->len) {
			r->done = 1;
			break;
		}
		if (in->len - in->pos < 2 || in->buf[in->pos] != 0x1f || in->buf[in->pos + 1] != 0x8b)
			return ac_error_set(err, 0, "gzip: trailing garbage after compressed data");
		inflateReset(&r->z);
	}
	*len = GZ_OUTBUF - r->z.avail_out;
	return 0;
}

void ac_gzip_reader_free(struct ac_gzip_reader *r)
{
	if (!r)
		return;
	if (r->inited)
		inflateEnd(&r->z);
	free(r->out);
	free(r);
}
