/* Shared between compress.c and compress-gzip.c; not a public header. */
#ifndef AC_COMPRESS_INTERNAL_H
#define AC_COMPRESS_INTERNAL_H

#include "ac/compress.h"

/* Buffered compressed input. */
struct ac_input {
	ac_source_fn src;
	void *src_arg;
	unsigned char *buf;
	size_t cap, len, pos;
	int eof;
	uint64_t total; /* bytes read from the source so far */
};
/* Fills the buffer until it holds at least want unread bytes (at most cap)
 * or the source ends. */
int ac_input_fill(struct ac_input *in, size_t want, ac_error **err);
/* 1 if unread bytes are available (reading if needed), 0 at end of input. */
int ac_input_more(struct ac_input *in, ac_error **err);

/* Reads n bytes into dst: the buffered ones first, the rest straight from
 * the source.  Returns the count (less than n only at the end of input). */
ssize_t ac_input_read(struct ac_input *in, void *dst, size_t n, ac_error **err);

/* Zero padding after a compressed stream (tar and bsdtar pad their output
 * to a block size when writing to a pipe): 1 when the rest of the input is
 * zero bytes, consumed; 0 at the first other byte (left unread); -1 error. */
int ac_input_skip_zeros(struct ac_input *in, ac_error **err);

int ac_compress_threads(int requested);

struct ac_gzip_writer;
struct ac_gzip_writer *ac_gzip_writer_new(int level, int threads, ac_sink_fn sink, void *sink_arg, ac_error **err);
int ac_gzip_writer_write(struct ac_gzip_writer *w, const void *buf, size_t len, ac_error **err);
int ac_gzip_writer_finish(struct ac_gzip_writer *w, ac_error **err);
void ac_gzip_writer_free(struct ac_gzip_writer *w);

struct ac_gzip_reader;
struct ac_gzip_reader *ac_gzip_reader_new(struct ac_input *in, int threads, ac_error **err);
int ac_gzip_reader_next(struct ac_gzip_reader *r, const void **buf, size_t *len, ac_error **err);
void ac_gzip_reader_free(struct ac_gzip_reader *r);

#endif
