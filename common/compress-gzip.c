/* gzip: a chunked multi-member writer and a multi-member reader, both
 * running libdeflate on worker threads.
 *
 * Writer: the input is cut into CHUNK_SIZE chunks, each compressed into an
 * independent gzip member by a worker; members are handed to the sink in
 * order by the calling thread, so the bytes never depend on the thread count.
 *
 * Reader: members carrying our size subfield are read whole and inflated in
 * parallel (their ISIZE trailer gives the output size up front).  Anything
 * else (foreign members, members too large for the fast path, members
 * libdeflate rejects) is streamed in order through zlib, or through ISA-L's
 * inflate (about twice as fast) when built with AC_HAVE_ISAL; foreign
 * members on a helper thread when there are threads. */
#include "compress-internal.h"

#include <pthread.h>
#include <libdeflate.h>
#include <zlib.h>
#ifdef AC_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

/* Each member: fixed header with FEXTRA holding subfield 'A','C' whose 4
 * bytes are the member's total size (header + deflate data + trailer). */
#define GZ_HDR_LEN 20
#define GZ_TRL_LEN 8
#define GZ_SI1 'A'
#define GZ_SI2 'C'
#define GZ_OS 3 /* Unix, whatever the build host */

/* CHUNK_SIZE and the default level are part of the output bytes (not of
 * the image ID): change them deliberately.  On a debootstrap tree (163 MiB
 * tar), against 1 MiB chunks, 256 KiB ones are 0.6% larger and 4 MiB ones
 * only 0.15% smaller for four times the buffers.  libdeflate level 5 gives
 * 60.1 MB there against 61.0 MB for gzip -6, at 1.34 CPU-s instead of 1.56
 * for level 6 (59.7 MB): the time, not the size, is the tight target. */
#define CHUNK_SIZE AC_GZIP_CHUNK_SIZE
#define DEFAULT_LEVEL 5

/* Fast-path limits of the reader: larger members are streamed instead, so
 * that a hostile header cannot make us allocate much. */
#define MAX_ISIZE (4u << 20)
#define MAX_MEMBER (MAX_ISIZE + MAX_ISIZE / 8 + 4096)

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const unsigned char gz_fixed[16] = {
	0x1f, 0x8b, 8, 4 /* FEXTRA */, 0, 0, 0, 0 /* MTIME */, 0 /* XFL */, GZ_OS,
	8, 0 /* XLEN */, GZ_SI1, GZ_SI2, 4, 0 /* LEN */,
};

static void put_header(unsigned char *p, uint32_t member_size)
{
	memcpy(p, gz_fixed, sizeof(gz_fixed));
	put_le32(p + 16, member_size);
}

/* Our member header (MTIME, XFL and OS are not checked)? Sets *size. */
static int is_our_header(const unsigned char *p, size_t avail, uint32_t *size)
{
	if (avail < GZ_HDR_LEN || memcmp(p, gz_fixed, 4) || memcmp(p + 10, gz_fixed + 10, 6))
		return 0;
	*size = get_le32(p + 16);
	return 1;
}

/* ------------------------------------------------------------ thread pool */

/* A ring of slots, each one job: the caller fills slot[tail] and submits
 * it, workers take slots in order, and the caller consumes slot[head] in
 * order once it is done.  With no threads, jobs run at submission. */
enum { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
	unsigned char *in, *out;
	size_t in_len, in_cap, out_len, out_cap;
	int state;
	int stream;    /* reader: stream this member instead */
	ac_error *err; /* reader: error found while queuing, reported in order */
};

struct pool;
typedef void (*job_fn)(struct pool *p, void *tstate, struct slot *s);

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct slot *slots;
	unsigned nslots;
	uint64_t head, next, tail; /* head <= next <= tail; next: first not taken by a worker */
	int stop;
	int nthreads;   /* running workers; 0: inline */
	pthread_t *th;
	void **tstate;  /* one libdeflate object per worker (index 0 when inline) */
	job_fn run;
	int inited;
};

struct worker_arg {
	struct pool *p;
	int idx;
};

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct pool *p = wa->p;
	void *ts = p->tstate[wa->idx];
	free(wa);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next == p->tail)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		struct slot *s = &p->slots[p->next % p->nslots];
		p->next++;
		if (s->state != SLOT_QUEUED)
			continue; /* already done (an error slot) */
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		p->run(p, ts, s);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* tstate[0..nthreads-1] (at least one) must be set by the caller before. */
static void pool_start(struct pool *p, int nthreads)
{
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->inited = 1;
	if (nthreads <= 1)
		return;
	p->th = xcalloc((size_t)nthreads, sizeof(*p->th));
	for (int i = 0; i < nthreads; i++) {
		struct worker_arg *wa = xmalloc(sizeof(*wa));
		wa->p = p;
		wa->idx = i;
		if (pthread_create(&p->th[i], NULL, worker_main, wa) != 0) {
			free(wa);
			break; /* fewer workers (or inline with none) still work */
		}
		p->nthreads++;
	}
}

static void pool_alloc(struct pool *p, unsigned nslots, int nstates)
{
	p->nslots = nslots;
	p->slots = xcalloc(nslots, sizeof(*p->slots));
	p->tstate = xcalloc((size_t)nstates, sizeof(*p->tstate));
}

static void pool_stop(struct pool *p)
{
	if (!p->inited)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	p->nthreads = 0;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	p->inited = 0;
}

static void pool_free_slots(struct pool *p)
{
	for (unsigned i = 0; p->slots && i < p->nslots; i++) {
		free(p->slots[i].in);
		free(p->slots[i].out);
		ac_error_free(&p->slots[i].err);
	}
	free(p->slots);
	free(p->th);
	free(p->tstate);
}

/* The slot to fill next, or NULL when the ring is full. */
static struct slot *pool_fill_slot(struct pool *p)
{
	if (p->tail - p->head >= p->nslots)
		return NULL;
	return &p->slots[p->tail % p->nslots];
}

/* Submits the fill slot: as a job, or (done) as a finished result. */
static void pool_submit(struct pool *p, int done)
{
	struct slot *s = &p->slots[p->tail % p->nslots];
	if (p->nthreads == 0) {
		if (!done)
			p->run(p, p->tstate[0], s);
		s->state = SLOT_DONE;
		p->tail++;
		p->next = p->tail;
		return;
	}
	pthread_mutex_lock(&p->mu);
	s->state = done ? SLOT_DONE : SLOT_QUEUED;
	p->tail++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

/* The oldest submitted slot, once done; NULL if none is queued, or if
 * !block and it is not done yet. */
static struct slot *pool_head(struct pool *p, int block)
{
	if (p->head == p->tail)
		return NULL;
	struct slot *s = &p->slots[p->head % p->nslots];
	if (p->nthreads == 0)
		return s;
	pthread_mutex_lock(&p->mu);
	while (s->state != SLOT_DONE && block)
		pthread_cond_wait(&p->done, &p->mu);
	int ok = s->state == SLOT_DONE;
	pthread_mutex_unlock(&p->mu);
	return ok ? s : NULL;
}

static void pool_release_head(struct pool *p)
{
	struct slot *s = &p->slots[p->head % p->nslots];
	ac_error_free(&s->err);
	s->stream = 0;
	s->in_len = s->out_len = 0;
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_FREE;
	p->head++;
	/* Slots submitted done are skipped by workers only when they get
	 * there: never let them look at a slot the caller reuses. */
	if (p->next < p->head)
		p->next = p->head;
	pthread_mutex_unlock(&p->mu);
}

static void slot_reserve(unsigned char **buf, size_t *cap, size_t n)
{
	if (n == 0)
		n = 1;
	if (*cap >= n)
		return;
	free(*buf);
	*buf = xmalloc(n);
	*cap = n;
}

/* ------------------------------------------------------------------ writer */

struct ac_gzip_writer {
	ac_sink_fn sink;
	void *sink_arg;
	struct pool pool;
	struct slot *cur; /* the chunk being filled (slot[tail]), or NULL */
	size_t out_cap;
	uint64_t members;
	int nstates;
};

static void compress_job(struct pool *p, void *ts, struct slot *s)
{
	(void)p;
	size_t n = libdeflate_deflate_compress(ts, s->in, s->in_len, s->out + GZ_HDR_LEN,
					       s->out_cap - GZ_HDR_LEN - GZ_TRL_LEN);
	if (n == 0) { /* cannot happen with a bound-sized buffer */
		s->out_len = 0;
		return;
	}
	size_t total = GZ_HDR_LEN + n + GZ_TRL_LEN;
	put_header(s->out, (uint32_t)total);
	put_le32(s->out + GZ_HDR_LEN + n, libdeflate_crc32(0, s->in, s->in_len));
	put_le32(s->out + GZ_HDR_LEN + n + 4, (uint32_t)s->in_len);
	s->out_len = total;
}

struct ac_gzip_writer *ac_gzip_writer_new(int level, int threads, ac_sink_fn sink, void *sink_arg, ac_error **err)
{
	if (level < 0)
		level = DEFAULT_LEVEL;
	if (level < 1 || level > 12)
		return ac_error_set(err, EINVAL, "gzip: invalid compression level %d", level), NULL;
	if (threads < 1)
		threads = 1;
	struct ac_gzip_writer *w = xcalloc(1, sizeof(*w));
	w->sink = sink;
	w->sink_arg = sink_arg;
	/* At least two chunks per worker in flight plus the one being filled,
	 * and 16 (about 32 MiB with the outputs) so that the tar producer can
	 * run ahead through the bursts of small files, where it is slower than
	 * the workers: 0.83 s instead of 0.98 s with 5 for the bench tree on 2
	 * CPUs. */
	w->nstates = threads;
	unsigned nslots = 2 * (unsigned)threads + 1;
	pool_alloc(&w->pool, threads == 1 ? 2 : nslots < 16 ? 16 : nslots, threads);
	w->pool.run = compress_job;
	for (int i = 0; i < threads; i++) {
		w->pool.tstate[i] = libdeflate_alloc_compressor(level);
		if (!w->pool.tstate[i]) {
			ac_gzip_writer_free(w);
			return ac_error_set(err, ENOMEM, "gzip: cannot allocate the compressor"), NULL;
		}
	}
	w->out_cap = GZ_HDR_LEN + libdeflate_deflate_compress_bound(w->pool.tstate[0], CHUNK_SIZE) + GZ_TRL_LEN;
	pool_start(&w->pool, threads);
	return w;
}

/* Hands finished members to the sink in order; waits for the oldest when
 * block. */
static int drain(struct ac_gzip_writer *w, int block, ac_error **err)
{
	struct slot *s;
	while ((s = pool_head(&w->pool, block))) {
		if (s->out_len == 0)
			return ac_error_set(err, 0, "gzip: compression failed");
		if (w->sink(w->sink_arg, s->out, s->out_len) < 0)
			return ac_error_errno(err, "writing compressed data");
		pool_release_head(&w->pool);
		w->members++;
	}
	return 0;
}

static int get_slot(struct ac_gzip_writer *w, ac_error **err)
{
	while (!(w->cur = pool_fill_slot(&w->pool)))
		if (drain(w, 1, err) < 0)
			return -1;
	slot_reserve(&w->cur->in, &w->cur->in_cap, CHUNK_SIZE);
	slot_reserve(&w->cur->out, &w->cur->out_cap, w->out_cap);
	w->cur->in_len = 0;
	return 0;
}

static int submit(struct ac_gzip_writer *w, ac_error **err)
{
	pool_submit(&w->pool, 0);
	w->cur = NULL;
	return drain(w, 0, err);
}

int ac_gzip_writer_write(struct ac_gzip_writer *w, const void *buf, size_t len, ac_error **err)
{
	const unsigned char *p = buf;
	while (len > 0) {
		if (!w->cur && get_slot(w, err) < 0)
			return -1;
		size_t take = CHUNK_SIZE - w->cur->in_len;
		if (take > len)
			take = len;
		memcpy(w->cur->in + w->cur->in_len, p, take);
		w->cur->in_len += take;
		p += take;
		len -= take;
		if (w->cur->in_len == CHUNK_SIZE && submit(w, err) < 0)
			return -1;
	}
	return 0;
}

int ac_gzip_writer_finish(struct ac_gzip_writer *w, ac_error **err)
{
	/* Empty input still gives one (empty) member: a valid gzip file. */
	if (!w->cur && w->members == 0 && w->pool.head == w->pool.tail && get_slot(w, err) < 0)
		return -1;
	if (w->cur && (w->cur->in_len > 0 || (w->members == 0 && w->pool.head == w->pool.tail)) &&
	    submit(w, err) < 0)
		return -1;
	w->cur = NULL;
	return drain(w, 1, err);
}

void ac_gzip_writer_free(struct ac_gzip_writer *w)
{
	if (!w)
		return;
	pool_stop(&w->pool);
	for (int i = 0; i < w->nstates; i++)
		if (w->pool.tstate && w->pool.tstate[i])
			libdeflate_free_compressor(w->pool.tstate[i]);
	pool_free_slots(&w->pool);
	free(w);
}

/* ------------------------------------------------------------------ reader */

#define GZ_OUTBUF (256 * 1024)

/* The streaming inflater: one gzip member at a time. */
struct stream {
	const unsigned char *next_in;
	size_t avail_in;
	unsigned char *next_out;
	size_t avail_out;
#ifdef AC_HAVE_ISAL
	struct inflate_state *is;
#else
	z_stream z;
	int inited;
#endif
};

#ifdef AC_HAVE_ISAL
static int stream_init(struct stream *st)
{
	st->is = xmalloc(sizeof(*st->is));
	isal_inflate_init(st->is);
	st->is->crc_flag = ISAL_GZIP;
	return 0;
}

static void stream_reset(struct stream *st)
{
	isal_inflate_reset(st->is);
	st->is->crc_flag = ISAL_GZIP;
}

static void stream_end(struct stream *st)
{
	free(st->is);
}

/* One inflate call: 1 at the end of the member, 0 when the input or the
 * output ran out, -1 on error. */
static int stream_run(struct stream *st, ac_error **err)
{
	struct inflate_state *is = st->is;
	is->next_in = (uint8_t *)st->next_in;
	is->avail_in = st->avail_in > (1u << 30) ? (1u << 30) : (uint32_t)st->avail_in;
	is->next_out = st->next_out;
	is->avail_out = (uint32_t)st->avail_out;
	uint32_t in0 = is->avail_in, out0 = is->avail_out;
	int ret = isal_inflate(is);
	st->next_in += in0 - is->avail_in;
	st->avail_in -= in0 - is->avail_in;
	st->next_out += out0 - is->avail_out;
	st->avail_out -= out0 - is->avail_out;
	const char *msg;
	switch (ret) {
	case ISAL_DECOMP_OK:
	case ISAL_END_INPUT:
	case ISAL_OUT_OVERFLOW:
		return is->block_state == ISAL_BLOCK_FINISH;
	case ISAL_INCORRECT_CHECKSUM: msg = "incorrect data check"; break;
	case ISAL_INVALID_WRAPPER: msg = "invalid gzip header"; break;
	case ISAL_UNSUPPORTED_METHOD: msg = "unknown compression method"; break;
	case ISAL_INVALID_LOOKBACK: msg = "invalid distance too far back"; break;
	default: msg = "invalid deflate data"; break;
	}
	return ac_error_set(err, 0, "gzip: invalid compressed data: %s", msg);
}
#else
static int stream_init(struct stream *st)
{
	if (inflateInit2(&st->z, 15 + 16) != Z_OK)
		return -1;
	st->inited = 1;
	return 0;
}

static void stream_reset(struct stream *st)
{
	inflateReset(&st->z);
}

static void stream_end(struct stream *st)
{
	if (st->inited)
		inflateEnd(&st->z);
}

static int stream_run(struct stream *st, ac_error **err)
{
	z_stream *z = &st->z;
	z->next_in = (Bytef *)st->next_in;
	z->avail_in = st->avail_in > (1u << 30) ? (1u << 30) : (uInt)st->avail_in;
	z->next_out = st->next_out;
	z->avail_out = (uInt)st->avail_out;
	uInt in0 = z->avail_in, out0 = z->avail_out;
	int ret = inflate(z, Z_NO_FLUSH);
	st->next_in += in0 - z->avail_in;
	st->avail_in -= in0 - z->avail_in;
	st->next_out += out0 - z->avail_out;
	st->avail_out -= out0 - z->avail_out;
	if (ret == Z_STREAM_END)
		return 1;
	if (ret == Z_OK || ret == Z_BUF_ERROR)
		return 0;
	if (ret == Z_DATA_ERROR)
		return ac_error_set(err, 0, "gzip: invalid compressed data: %s", z->msg ? z->msg : "corrupt");
	if (ret == Z_MEM_ERROR)
		return ac_error_set(err, ENOMEM, "gzip: out of memory");
	return ac_error_set(err, 0, "gzip: inflate failed (%d)", ret);
}
#endif

enum { ZNONE, ZINPUT, ZSLOT, ZTHREAD };

/* Foreign members, with threads: a helper thread reads and inflates them
 * into a small ring of buffers, so that inflating overlaps the caller's
 * work on the output (hashing, tar parsing).  It runs only while the caller
 * waits on the ring, so the input is never used by both at once. */
#define ST_BUFS 4

struct streamer {
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* both directions */
	int go, stop;
	unsigned char *buf[ST_BUFS];
	size_t len[ST_BUFS];
	uint64_t head, tail; /* the caller takes buf[head], the helper fills buf[tail] */
	int held;            /* buf[head] is the caller's until its next call */
	int done;            /* the helper gave the input back (after the data) */
	ac_error *err;       /* or failed (after the data) */
};

struct ac_gzip_reader {
	struct ac_input *in;
	struct pool pool;
	int nstates;
	int held;     /* slot[head] is the caller's until the next call */
	int stopped;  /* queue nothing more until the queue drains */
	int foreign;  /* a member to stream starts at in->pos */
	int at_end;   /* no more input */
	uint64_t members;
	struct stream st;
	int st_inited;
	int zmode;    /* where the stream reads from: the input, the head slot, or the helper's ring */
	unsigned char *zout;
	struct streamer sm;
};

static void inflate_job(struct pool *p, void *ts, struct slot *s)
{
	(void)p;
	size_t used = 0, got = 0;
	enum libdeflate_result r =
		libdeflate_gzip_decompress_ex(ts, s->in, s->in_len, s->out, s->out_len, &used, &got);
	/* Anything unexpected is streamed: that accepts whatever gzip accepts
	 * and words the error when the data is corrupt. */
	if (r != LIBDEFLATE_SUCCESS || used != s->in_len || got != s->out_len)
		s->stream = 1;
}

struct ac_gzip_reader *ac_gzip_reader_new(struct ac_input *in, int threads, ac_error **err)
{
	struct ac_gzip_reader *r = xcalloc(1, sizeof(*r));
	r->in = in;
	if (stream_init(&r->st) < 0) {
		free(r);
		return ac_error_set(err, ENOMEM, "gzip: cannot initialise the decompressor"), NULL;
	}
	r->st_inited = 1;
	r->zout = xmalloc(GZ_OUTBUF);
	if (threads < 1)
		threads = 1;
	r->nstates = threads;
	/* The caller's slot, one ready, two per worker in flight. */
	pool_alloc(&r->pool, threads > 1 ? 2 * (unsigned)threads + 2 : 2, threads);
	r->pool.run = inflate_job;
	for (int i = 0; i < threads; i++) {
		r->pool.tstate[i] = libdeflate_alloc_decompressor();
		if (!r->pool.tstate[i]) {
			ac_gzip_reader_free(r);
			return ac_error_set(err, ENOMEM, "gzip: cannot allocate the decompressor"), NULL;
		}
	}
	pool_start(&r->pool, threads);
	return r;
}
/* Queues an error to be reported after the data before it. */
static void queue_error(struct ac_gzip_reader *r, struct slot *s, ac_error *e)
{
	s->err = e;
	pool_submit(&r->pool, 1);
	r->stopped = 1;
}

/* Queues the next member in slot s, or stops the queue (end of input, or a
 * member for the stream next); -1 with *e for an error to queue. */
static int dispatch_one(struct ac_gzip_reader *r, struct slot *s, ac_error **e)
{
	struct ac_input *in = r->in;
	if (ac_input_fill(in, GZ_HDR_LEN, e) < 0)
		return -1;
	size_t avail = in->len - in->pos;
	const unsigned char *p = in->buf + in->pos;
	uint32_t size;
	if (avail == 0) {
		if (r->members == 0)
			return ac_error_set(e, 0, "gzip: unexpected end of data");
		r->at_end = 1;
		r->stopped = 1;
		return 0;
	}
	if (r->members && p[0] == 0) {
		int z = ac_input_skip_zeros(in, e);
		if (z < 0)
			return -1;
		if (z) {
			r->at_end = 1;
			r->stopped = 1;
			return 0;
		}
		return ac_error_set(e, 0, "gzip: trailing garbage after compressed data");
	}
	if (avail < 2 || p[0] != 0x1f || p[1] != 0x8b)
		return ac_error_set(e, 0, "gzip: %s",
				    r->members ? "trailing garbage after compressed data" : "not in gzip format");
	if (!is_our_header(p, avail, &size) || size < GZ_HDR_LEN + GZ_TRL_LEN || size > MAX_MEMBER) {
		r->foreign = 1;
		r->stopped = 1;
		return 0;
	}
	slot_reserve(&s->in, &s->in_cap, size);
	ssize_t n = ac_input_read(in, s->in, size, e);
	if (n < 0)
		return -1;
	if ((size_t)n < size)
		return ac_error_set(e, 0, "gzip: unexpected end of data");
	s->in_len = size;
	r->members++;
	uint32_t isize = get_le32(s->in + size - 4);
	if (isize > MAX_ISIZE) {
		s->stream = 1;
		pool_submit(&r->pool, 1);
		return 0;
	}
	slot_reserve(&s->out, &s->out_cap, isize);
	s->out_len = isize;
	pool_submit(&r->pool, 0);
	return 0;
}

/* Reads members ahead into free slots, for the workers. */
static void dispatch(struct ac_gzip_reader *r)
{
	struct slot *s;
	while (!r->stopped && (s = pool_fill_slot(&r->pool))) {
		ac_error *e = NULL;
		if (dispatch_one(r, s, &e) < 0)
			queue_error(r, s, e);
	}
}

/* Streams the current member (from the input, or from the slot set up by
 * stream_slot) into out.  *end is set when the member is complete. */
static int z_step(struct ac_gzip_reader *r, int from_input, unsigned char *out, size_t cap, size_t *len, int *end,
		  ac_error **err)
{
	struct ac_input *in = r->in;
	struct stream *st = &r->st;
	*end = 0;
	st->next_out = out;
	st->avail_out = cap;
	while (st->avail_out > 0) {
		if (from_input) {
			int more = ac_input_more(in, err);
			if (more < 0)
				return -1;
			if (!more)
				return ac_error_set(err, 0, "gzip: unexpected end of data");
			st->next_in = in->buf + in->pos;
			st->avail_in = in->len - in->pos;
		}
		size_t before = st->avail_in;
		int ret = stream_run(st, err);
		if (from_input)
			in->pos += before - st->avail_in;
		if (ret < 0)
			return -1;
		if (ret == 1) {
			if (!from_input && st->avail_in != 0)
				return ac_error_set(err, 0, "gzip: invalid compressed data: wrong member size");
			*end = 1;
			break;
		}
		/* Output room left, so the member needs more input than the
		 * slot holds. */
		if (!from_input && st->avail_in == 0 && st->avail_out > 0)
			return ac_error_set(err, 0, "gzip: unexpected end of data");
	}
	*len = cap - st->avail_out;
	return 0;
}

/* 1 if the input continues with a member for the stream (a gzip member the
 * parallel path does not take), 0 otherwise (end, garbage or ours: left to
 * dispatch). */
static int foreign_next(struct ac_gzip_reader *r, ac_error **err)
{
	struct ac_input *in = r->in;
	if (ac_input_fill(in, GZ_HDR_LEN, err) < 0)
		return -1;
	size_t avail = in->len - in->pos;
	const unsigned char *p = in->buf + in->pos;
	uint32_t size;
	if (avail < 2 || p[0] != 0x1f || p[1] != 0x8b)
		return 0;
	return !is_our_header(p, avail, &size) || size < GZ_HDR_LEN + GZ_TRL_LEN || size > MAX_MEMBER;
}

/* The helper: streams foreign members while they follow each other. */
static void stream_members(struct ac_gzip_reader *r)
{
	struct streamer *sm = &r->sm;
	ac_error *e = NULL;
	stream_reset(&r->st);
	for (;;) {
		pthread_mutex_lock(&sm->mu);
		while (!sm->stop && sm->tail - sm->head >= ST_BUFS)
			pthread_cond_wait(&sm->cv, &sm->mu);
		int stop = sm->stop;
		pthread_mutex_unlock(&sm->mu);
		if (stop)
			return;
		unsigned i = sm->tail % ST_BUFS;
		size_t len;
		int end;
		if (z_step(r, 1, sm->buf[i], GZ_OUTBUF, &len, &end, &e) < 0)
			break;
		pthread_mutex_lock(&sm->mu);
		sm->len[i] = len;
		if (len)
			sm->tail++;
		pthread_cond_broadcast(&sm->cv);
		pthread_mutex_unlock(&sm->mu);
		if (!end)
			continue;
		r->members++;
		int more = foreign_next(r, &e);
		if (more < 0)
			break;
		if (!more)
			break;
		stream_reset(&r->st);
	}
	pthread_mutex_lock(&sm->mu);
	sm->err = e;
	sm->done = !e;
	pthread_cond_broadcast(&sm->cv);
	pthread_mutex_unlock(&sm->mu);
}

static void *streamer_main(void *arg)
{
	struct ac_gzip_reader *r = arg;
	struct streamer *sm = &r->sm;
	pthread_mutex_lock(&sm->mu);
	for (;;) {
		while (!sm->go && !sm->stop)
			pthread_cond_wait(&sm->cv, &sm->mu);
		if (sm->stop)
			break;
		sm->go = 0;
		pthread_mutex_unlock(&sm->mu);
		stream_members(r);
		pthread_mutex_lock(&sm->mu);
	}
	pthread_mutex_unlock(&sm->mu);
	return NULL;
}

/* Hands the input to the helper; 0 if there is no helper (stream here). */
static int streamer_go(struct ac_gzip_reader *r)
{
	struct streamer *sm = &r->sm;
	if (r->pool.nthreads == 0)
		return 0;
	if (!sm->started) {
		pthread_mutex_init(&sm->mu, NULL);
		pthread_cond_init(&sm->cv, NULL);
		if (pthread_create(&sm->th, NULL, streamer_main, r) != 0) {
			pthread_mutex_destroy(&sm->mu);
			pthread_cond_destroy(&sm->cv);
			return 0;
		}
		for (int i = 0; i < ST_BUFS; i++)
			sm->buf[i] = xmalloc(GZ_OUTBUF);
		sm->started = 1;
	}
	pthread_mutex_lock(&sm->mu);
	sm->go = 1;
	sm->done = 0;
	pthread_cond_broadcast(&sm->cv);
	pthread_mutex_unlock(&sm->mu);
	return 1;
}

/* The next block from the helper: 1 with data, 0 when it gave the input
 * back, -1 on its error. */
static int streamer_next(struct ac_gzip_reader *r, const void **buf, size_t *len, ac_error **err)
{
	struct streamer *sm = &r->sm;
	pthread_mutex_lock(&sm->mu);
	if (sm->held) {
		sm->head++;
		sm->held = 0;
		pthread_cond_broadcast(&sm->cv);
	}
	while (sm->head == sm->tail && !sm->done && !sm->err)
		pthread_cond_wait(&sm->cv, &sm->mu);
	int ret;
	if (sm->head != sm->tail) {
		*buf = sm->buf[sm->head % ST_BUFS];
		*len = sm->len[sm->head % ST_BUFS];
		sm->held = 1;
		ret = 1;
	} else if (sm->err) {
		*err = steal_pointer(&sm->err);
		ret = -1;
	} else {
		sm->done = 0;
		ret = 0;
	}
	pthread_mutex_unlock(&sm->mu);
	return ret;
}

static void streamer_stop(struct ac_gzip_reader *r)
{
	struct streamer *sm = &r->sm;
	if (!sm->started)
		return;
	pthread_mutex_lock(&sm->mu);
	sm->stop = 1;
	pthread_cond_broadcast(&sm->cv);
	pthread_mutex_unlock(&sm->mu);
	pthread_join(sm->th, NULL);
	pthread_mutex_destroy(&sm->mu);
	pthread_cond_destroy(&sm->cv);
	for (int i = 0; i < ST_BUFS; i++)
		free(sm->buf[i]);
	ac_error_free(&sm->err);
	sm->started = 0;
}

static void stream_slot(struct ac_gzip_reader *r, struct slot *s)
{
	stream_reset(&r->st);
	r->st.next_in = s->in;
	r->st.avail_in = s->in_len;
	r->zmode = ZSLOT;
}

/* Inflates the member of slot s to its end, discarding the output. */
static int z_check_slot(struct ac_gzip_reader *r, struct slot *s, ac_error **err)
{
	stream_slot(r, s);
	int end = 0;
	size_t len;
	while (!end)
		if (z_step(r, 0, r->zout, GZ_OUTBUF, &len, &end, err) < 0) {
			r->zmode = ZNONE;
			return -1;
		}
	r->zmode = ZNONE;
	return 0;
}

int ac_gzip_reader_next(struct ac_gzip_reader *r, const void **buf, size_t *len, ac_error **err)
{
	*buf = NULL;
	*len = 0;
	if (r->held) {
		pool_release_head(&r->pool);
		r->held = 0;
	}
	for (;;) {
		if (r->zmode == ZTHREAD) {
			int got = streamer_next(r, buf, len, err);
			if (got != 0)
				return got < 0 ? -1 : 0;
			r->zmode = ZNONE;
			r->stopped = r->foreign = 0;
			continue;
		}
		if (r->zmode != ZNONE) {
			int end;
			if (z_step(r, r->zmode == ZINPUT, r->zout, GZ_OUTBUF, len, &end, err) < 0)
				return -1;
			if (end) {
				if (r->zmode == ZSLOT)
					pool_release_head(&r->pool);
				else
					r->members++;
				r->zmode = ZNONE;
				r->stopped = r->foreign = 0;
			}
			if (*len > 0) {
				*buf = r->zout;
				return 0;
			}
			continue;
		}
		dispatch(r);
		struct slot *s = pool_head(&r->pool, 1);
		if (s) {
			if (s->err) {
				*err = steal_pointer(&s->err);
				return -1;
			}
			if (s->stream) {
				/* libdeflate refused it: corrupt most likely.  Find
				 * out before handing out any of its bytes. */
				if (z_check_slot(r, s, err) < 0)
					return -1;
				stream_slot(r, s);
				continue;
			}
			if (s->out_len == 0) {
				pool_release_head(&r->pool);
				continue;
			}
			r->held = 1;
			*buf = s->out;
			*len = s->out_len;
			return 0;
		}
		if (r->foreign) {
			if (streamer_go(r)) {
				r->zmode = ZTHREAD;
				continue;
			}
			stream_reset(&r->st);
			r->zmode = ZINPUT;
			continue;
		}
		if (r->at_end)
			return 0;
	}
}

void ac_gzip_reader_free(struct ac_gzip_reader *r)
{
	if (!r)
		return;
	streamer_stop(r);
	pool_stop(&r->pool);
	for (int i = 0; i < r->nstates; i++)
		if (r->pool.tstate && r->pool.tstate[i])
			libdeflate_free_decompressor(r->pool.tstate[i]);
	pool_free_slots(&r->pool);
	if (r->st_inited)
		stream_end(&r->st);
	free(r->zout);
	free(r);
}
