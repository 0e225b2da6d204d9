/* Streaming compression and decompression for ACIs and layers.
 *
 * gzip output is a series of independent gzip members, one per fixed-size
 * chunk of input, compressed on several threads.  The output bytes depend
 * only on the input, level and chunk size, never on the thread count.  Each
 * member carries its compressed size in an FEXTRA subfield so that our own
 * reader can inflate members in parallel; any other gzip reader sees an
 * ordinary multi-member gzip file.  Foreign gzip members are streamed in
 * order (zlib, or ISA-L when built with AC_HAVE_ISAL), on a helper thread
 * when threads are allowed, so that inflating overlaps the caller's work. */
#ifndef AC_COMPRESS_H
#define AC_COMPRESS_H

#include <sys/types.h>
#include "ac/error.h"

typedef enum {
	AC_COMP_NONE = 0,  /* plain tar */
	AC_COMP_GZIP,
	AC_COMP_BZIP2,
	AC_COMP_XZ,
	AC_COMP_ZSTD,      /* detected (docker layers); decoding support optional */
	AC_COMP_UNKNOWN,
} ac_compression;

const char *ac_compression_name(ac_compression c); /* "none", "gzip", ... */
/* Accepts "gzip", "xz", "bzip2", "none" (and "zstd" where supported). */
int ac_compression_from_name(const char *name, ac_compression *out);
/* Sniffs magic bytes (the first few bytes are enough; a plain tar needs 263
 * bytes to be recognised by its "ustar" magic). */
ac_compression ac_compression_detect(const void *buf, size_t len);

/* ---- writing ---- */
typedef struct ac_compressor ac_compressor;

/* The sink receives compressed bytes, in order, from the calling thread of
 * ac_compressor_write/finish.  Returns 0, or -1 with errno set. */
typedef int (*ac_sink_fn)(void *arg, const void *buf, size_t len);

/* Uncompressed bytes per gzip member.  Part of the output format: changing
 * it changes the compressed bytes (not the image ID). */
#define AC_GZIP_CHUNK_SIZE (1u << 20)

struct ac_compress_opts {
	ac_compression type;
	int level;   /* -1: the default for the type (gzip: libdeflate level 5, 1-12) */
	int threads; /* 0: number of online CPUs */
};

ac_compressor *ac_compressor_new(const struct ac_compress_opts *o, ac_sink_fn sink, void *sink_arg, ac_error **err);
int ac_compressor_write(ac_compressor *c, const void *buf, size_t len, ac_error **err);
/* Flushes everything to the sink. Must be called once at the end. */
int ac_compressor_finish(ac_compressor *c, ac_error **err);
void ac_compressor_free(ac_compressor *c);
/* Convenience sink writing to an fd; arg is (int *). */
int ac_sink_fd(void *arg, const void *buf, size_t len);

/* ---- reading ---- */
typedef struct ac_decompressor ac_decompressor;

/* The source fills buf with up to len compressed bytes; returns the count,
 * 0 at end of input, -1 with errno set on error.  Unless the decompressor
 * was made with one thread, it may be called from a helper thread (never
 * two calls at once, and never after ac_decompressor_free returns). */
typedef ssize_t (*ac_source_fn)(void *arg, void *buf, size_t len);

/* type AC_COMP_UNKNOWN means: detect from the first bytes (anything that is
 * not gzip/bzip2/xz/(zstd) is passed through as plain data). */
ac_decompressor *ac_decompressor_new(ac_compression type, ac_source_fn src, void *src_arg, ac_error **err);
/* The same with the number of threads inflating our own gzip members in
 * parallel (0: number of online CPUs; 1: none, all in the calling thread).
 * The output never depends on it. */
ac_decompressor *ac_decompressor_new_threads(ac_compression type, int threads, ac_source_fn src, void *src_arg,
					     ac_error **err);
/* Convenience source reading from an fd; arg is (int *). */
ssize_t ac_source_fd(void *arg, void *buf, size_t len);
/* Zero-copy read: *buf points to the next decompressed bytes, valid until the
 * next call.  Returns 0 with *len == 0 at the end of the stream.  Truncated or
 * corrupt input is an error; trailing garbage after a complete gzip/xz/bzip2
 * stream is an error; concatenated members/streams are read through. */
int ac_decompressor_next(ac_decompressor *d, const void **buf, size_t *len, ac_error **err);
ac_compression ac_decompressor_type(const ac_decompressor *d);
void ac_decompressor_free(ac_decompressor *d);

#endif
