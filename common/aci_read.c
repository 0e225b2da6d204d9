/* The reading half of ACI support: a streaming reader (our decompressor in
 * front of libarchive's tar parser, every decompressed byte hashed for the
 * image ID), the manifest fast path, and the archive and layout validators.
 *
 * libarchive only ever sees the decompressed tar stream: its own filters are
 * not enabled, so the formats accepted are exactly those of ac_decompressor. */
#include "ac/aci.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "ac/buf.h"
#include "ac/fs.h"
#include "ac/manifest.h"
#include "ac/pathset.h"

#define HEAD_LEN 512

/* A direct call: a weak reference would not pull manifest.o out of the
 * static library, and validation would then fail at run time. */
static json_t *parse_manifest(const char *buf, size_t len, ac_error **err)
{
	return ac_manifest_parse(buf, len, err);
}

struct ac_aci_reader {
	int fd;
	char *name;
	ac_decompressor *dec;
	struct archive *a;
	ac_digest *sha;
	ac_compression comp;
	ac_error *cb_err;       /* error raised inside the read callback */
	/* The first decompressed bytes, sniffed before libarchive sees them. */
	unsigned char head[HEAD_LEN];
	size_t head_len;
	const unsigned char *rest; /* remainder of the chunk the head came from */
	size_t rest_len;
	int head_state;         /* 0: head pending, 1: rest pending, 2: streaming */
	int dec_eof;            /* the decompressor reported the end */
	int failed;
	int archive_end;        /* libarchive reported the end-of-archive mark */
	int in_entry;
	uint64_t total;         /* decompressed bytes pulled so far */
	uint64_t last_nonzero;  /* offset + 1 of the last non-zero byte pulled */
	uint64_t end_pos;       /* offset of the end-of-archive mark */
	/* current entry: data offset, to turn sparse holes into zeros */
	int64_t data_off, data_size;
	const char *pend_buf;   /* data block waiting behind a hole */
	size_t pend_len;
	int64_t pend_off;
	int data_done;
	int finished;
	struct archive_entry *cur;
};

static const char zeros[65536];

/* Pulls the next decompressed chunk, hashing it and tracking trailing zeros. */
static int pull(ac_aci_reader *r, const void **buf, size_t *len, ac_error **err)
{
	if (r->dec_eof) {
		*buf = NULL;
		*len = 0;
		return 0;
	}
	if (ac_decompressor_next(r->dec, buf, len, err) < 0)
		return -1;
	if (*len == 0) {
		r->dec_eof = 1;
		return 0;
	}
	if (r->sha)
		ac_digest_update(r->sha, *buf, *len);
	const unsigned char *p = *buf;
	for (size_t i = *len; i > 0; i--)
		if (p[i - 1]) {
			r->last_nonzero = r->total + i;
			break;
		}
	r->total += *len;
	return 0;
}

static la_ssize_t read_cb(struct archive *a, void *arg, const void **buf)
{
	ac_aci_reader *r = arg;
	if (r->head_state == 0) {
		r->head_state = 1;
		if (r->head_len) {
			*buf = r->head;
			return (la_ssize_t)r->head_len;
		}
	}
	if (r->head_state == 1) {
		r->head_state = 2;
		if (r->rest_len) {
			*buf = r->rest;
			return (la_ssize_t)r->rest_len;
		}
	}
	size_t len = 0;
	ac_error_free(&r->cb_err);
	if (pull(r, buf, &len, &r->cb_err) < 0) {
		archive_set_error(a, EIO, "%s", r->cb_err ? r->cb_err->msg : "read error");
		return -1;
	}
	return (la_ssize_t)len;
}

/* "NAME: message" from a libarchive failure, preferring our callback's own
 * error (a decompression or I/O problem). */
static int reader_fail(ac_aci_reader *r, ac_error **err)
{
	r->failed = 1;
	if (r->cb_err) {
		if (err) {
			ac_error_free(err);
			*err = steal_pointer(&r->cb_err);
			if (!(*err)->code)
				(*err)->code = EBADMSG;
		}
		return ac_error_wrap(err, "%s", r->name);
	}
	/* I/O errors come through our callback: whatever libarchive reports
	 * itself (EINVAL, EILSEQ, -1 ...) is about the data. */
	const char *s = archive_error_string(r->a);
	int code = archive_errno(r->a) == ENOMEM ? ENOMEM : EBADMSG;
	return ac_error_set(err, code, "%s: %s", r->name, s ? s : "corrupt tar archive");
}

static int looks_like_tar(const unsigned char *p, size_t len)
{
	if (len >= 263 && !memcmp(p + 257, "ustar", 5))
		return 1;
	/* an empty archive: nothing but zero blocks */
	if (len >= 512) {
		for (size_t i = 0; i < 512; i++)
			if (p[i])
				return 0;
		return 1;
	}
	return 0;
}

ac_aci_reader *ac_aci_reader_open(int fd, const char *name, ac_error **err)
{
	ac_aci_reader *r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->name = xstrdup(name ? name : "archive");
	r->sha = ac_digest_new(AC_SHA512);
	r->dec = ac_decompressor_new(AC_COMP_UNKNOWN, ac_source_fd, &r->fd, err);
	if (!r->dec) {
		if (err && *err && !(*err)->code)
			(*err)->code = EBADMSG;
		ac_error_wrap(err, "%s", r->name);
		goto fail;
	}
	r->comp = ac_decompressor_type(r->dec);
	/* appc images are gzip, bzip2, xz or plain; zstd is for Docker layers */
	if (r->comp == AC_COMP_ZSTD) {
		ac_error_set(err, EBADMSG, "%s: zstd compression is not supported in ACIs (gzip, bzip2, xz or none)",
			     r->name);
		goto fail;
	}
	/* The head: at least HEAD_LEN decompressed bytes (or all there is). */
	while (r->head_len < HEAD_LEN) {
		const void *b;
		size_t n;
		if (pull(r, &b, &n, err) < 0) {
			if (err && *err && !(*err)->code)
				(*err)->code = EBADMSG;
			ac_error_wrap(err, "%s", r->name);
			goto fail;
		}
		if (n == 0)
			break;
		size_t take = HEAD_LEN - r->head_len < n ? HEAD_LEN - r->head_len : n;
		memcpy(r->head + r->head_len, b, take);
		r->head_len += take;
		if (take < n) {
			r->rest = (const unsigned char *)b + take;
			r->rest_len = n - take;
		}
	}
	if (!looks_like_tar(r->head, r->head_len)) {
		if (r->comp == AC_COMP_NONE)
			ac_error_set(err, EBADMSG, "%s: unknown image filetype", r->name);
		else
			ac_error_set(err, EBADMSG, "%s: the %s-compressed data is not a tar archive", r->name,
				     ac_compression_name(r->comp));
		goto fail;
	}
	r->a = archive_read_new();
	if (!r->a)
		abort();
	archive_read_support_format_tar(r->a);
	if (archive_read_open(r->a, r, NULL, read_cb, NULL) != ARCHIVE_OK) {
		reader_fail(r, err);
		goto fail;
	}
	return r;
fail:
	ac_aci_reader_free(r);
	return NULL;
}

const char *ac_aci_reader_name(const ac_aci_reader *r)
{
	return r->name;
}

ac_compression ac_aci_reader_compression(const ac_aci_reader *r)
{
	return r->comp;
}

int ac_aci_reader_next(ac_aci_reader *r, struct archive_entry **e, ac_error **err)
{
	*e = NULL;
	if (r->failed)
		return ac_error_set(err, EINVAL, "%s: reader used after an error", r->name);
	if (r->archive_end || r->finished)
		return 0;
	int rc = archive_read_next_header(r->a, e);
	if (rc == ARCHIVE_EOF) {
		r->archive_end = 1;
		r->in_entry = 0;
		r->end_pos = (uint64_t)archive_read_header_position(r->a);
		*e = NULL;
		return 0;
	}
	/* ARCHIVE_RETRY is a damaged header: libarchive would skip ahead to
	 * the next thing that looks like one, hiding whatever lies between
	 * (e.g. the data of a ustar hard link, CVE-2016-5418). */
	if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
		*e = NULL;
		return reader_fail(r, err);
	}
	r->in_entry = 1;
	r->cur = *e;
	r->data_off = 0;
	r->data_size = archive_entry_size_is_set(*e) ? archive_entry_size(*e) : 0;
	r->pend_buf = NULL;
	r->pend_len = 0;
	r->data_done = 0;
	return 1;
}

/* Data blocks in order; holes of sparse entries come out as zeros so that
 * callers see a plain byte stream. */
int ac_aci_reader_data(ac_aci_reader *r, const void **buf, size_t *len, ac_error **err)
{
	*buf = NULL;
	*len = 0;
	if (r->failed)
		return ac_error_set(err, EINVAL, "%s: reader used after an error", r->name);
	if (!r->in_entry)
		return 0;
	for (;;) {
		if (r->pend_buf) {
			if (r->pend_off > r->data_off) {
				int64_t gap = r->pend_off - r->data_off;
				*buf = zeros;
				*len = gap < (int64_t)sizeof(zeros) ? (size_t)gap : sizeof(zeros);
				r->data_off += (int64_t)*len;
				return 0;
			}
			*buf = r->pend_buf;
			*len = r->pend_len;
			r->data_off = r->pend_off + (int64_t)r->pend_len;
			r->pend_buf = NULL;
			r->pend_len = 0;
			return 0;
		}
		if (r->data_done) {
			if (r->data_off < r->data_size) { /* trailing hole */
				int64_t gap = r->data_size - r->data_off;
				*buf = zeros;
				*len = gap < (int64_t)sizeof(zeros) ? (size_t)gap : sizeof(zeros);
				r->data_off += (int64_t)*len;
			}
			return 0;
		}
		const void *b;
		size_t n;
		la_int64_t off;
		int rc = archive_read_data_block(r->a, &b, &n, &off);
		if (rc == ARCHIVE_EOF) {
			r->data_done = 1;
			continue;
		}
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			return reader_fail(r, err);
		if (n == 0)
			continue;
		if (off < r->data_off)
			return ac_error_set(err, EBADMSG, "%s: entry \"%s\": data blocks out of order", r->name,
					    archive_entry_pathname(r->cur) ? archive_entry_pathname(r->cur) : "");
		r->pend_buf = b;
		r->pend_len = n;
		r->pend_off = off;
	}
}

int ac_aci_reader_finish(ac_aci_reader *r, char image_id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	if (r->failed)
		return ac_error_set(err, EINVAL, "%s: reader used after an error", r->name);
	if (r->finished)
		return ac_error_set(err, EINVAL, "%s: reader finished twice", r->name);
	r->finished = 1;
	r->in_entry = 0;
	/* Whatever libarchive did not ask for: end-of-archive blocks, record
	 * padding, and (for compressed input) the check of the stream end. */
	for (;;) {
		const void *b;
		size_t n;
		if (pull(r, &b, &n, err) < 0) {
			r->failed = 1;
			if (err && *err && !(*err)->code)
				(*err)->code = EBADMSG;
			return ac_error_wrap(err, "%s", r->name);
		}
		if (n == 0)
			break;
	}
	/* After the end-of-archive mark only zeros (record padding) may follow:
	 * anything else is a second archive or garbage that every tar reader
	 * ignores, so its content would be hidden yet part of the image ID. */
	if (r->archive_end && r->last_nonzero > r->end_pos) {
		r->failed = 1;
		return ac_error_set(err, EBADMSG, "%s: unexpected data after the end of the tar archive", r->name);
	}
	if (!image_id)
		return 0;
	if (!r->sha)
		return ac_error_set(err, EINVAL, "%s: image ID not computed", r->name);
	unsigned char raw[64];
	ac_digest_final(r->sha, raw);
	ac_image_id_format(raw, image_id);
	return 0;
}

void ac_aci_reader_skip_id(ac_aci_reader *r)
{
	ac_digest_free(r->sha);
	r->sha = NULL;
}

void ac_aci_reader_free(ac_aci_reader *r)
{
	if (!r)
		return;
	if (r->a)
		archive_read_free(r->a);
	ac_decompressor_free(r->dec);
	ac_digest_free(r->sha);
	ac_error_free(&r->cb_err);
	free(r->name);
	free(r);
}

/* ------------------------------------------------------------ path names */

/* filepath.Clean: a malloc'ed, lexically cleaned copy ("" gives "."). */
char *ac_path_clean(const char *path)
{
	size_t n = strlen(path);
	int rooted = path[0] == '/';
	char *out = xmalloc(n + 2);
	size_t o = 0, dotdot = 0; /* out[0..dotdot) can not be backtracked */
	if (rooted) {
		out[o++] = '/';
		dotdot = 1;
	}
	size_t i = 0;
	while (i < n) {
		if (path[i] == '/') {
			i++;
		} else if (path[i] == '.' && (i + 1 == n || path[i + 1] == '/')) {
			i++;
		} else if (path[i] == '.' && path[i + 1] == '.' && (i + 2 == n || path[i + 2] == '/')) {
			i += 2;
			if (o > dotdot) {
				o--;
				while (o > dotdot && out[o] != '/')
					o--;
			} else if (!rooted) {
				if (o > 0)
					out[o++] = '/';
				out[o++] = '.';
				out[o++] = '.';
				dotdot = o;
			}
		} else {
			if ((rooted && o != 1) || (!rooted && o != 0))
				out[o++] = '/';
			for (; i < n && path[i] != '/'; i++)
				out[o++] = path[i];
		}
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

/* Go's %q, close enough for messages: quotes, backslash escapes for quotes,
 * backslashes and control bytes. */
static char *quote(const char *s)
{
	ac_buf b = AC_BUF_INIT;
	ac_buf_addch(&b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			ac_buf_addch(&b, '\\');
			ac_buf_addch(&b, (char)*p);
		} else if (*p == '\n') {
			ac_buf_addstr(&b, "\\n");
		} else if (*p == '\t') {
			ac_buf_addstr(&b, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			ac_buf_addf(&b, "\\x%02x", *p);
		} else {
			ac_buf_addch(&b, (char)*p);
		}
	}
	ac_buf_addch(&b, '"');
	return ac_buf_detach(&b, NULL);
}

/* ------------------------------------------------------------ manifest */

static int is_manifest_entry(struct archive_entry *e)
{
	const char *p = archive_entry_pathname(e);
	if (!p)
		return 0;
	_cleanup_free_ char *c = ac_path_clean(p);
	return !strcmp(c, "manifest");
}

/* Reads the current entry (the manifest) into *out, capped. */
static int read_manifest_data(ac_aci_reader *r, struct archive_entry *e, ac_buf *out, ac_error **err)
{
	if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFREG)
		return ac_error_set(err, 0, "manifest is not a regular file");
	if (archive_entry_size(e) > (int64_t)AC_MANIFEST_MAX_SIZE)
		return ac_error_set(err, EFBIG, "image manifest is larger than %u bytes", AC_MANIFEST_MAX_SIZE);
	for (;;) {
		const void *b;
		size_t n;
		if (ac_aci_reader_data(r, &b, &n, err) < 0)
			return -1;
		if (n == 0)
			return 0;
		if (ac_buf_add(out, b, n) < 0)
			return ac_error_set(err, EFBIG, "image manifest is larger than %u bytes",
					    AC_MANIFEST_MAX_SIZE);
	}
}

int ac_aci_read_manifest(int fd, const char *name, char **json, size_t *len, ac_error **err)
{
	*json = NULL;
	if (len)
		*len = 0;
	ac_aci_reader *r = ac_aci_reader_open(fd, name, err);
	if (!r)
		return -1;
	int ret = 0;
	for (;;) {
		struct archive_entry *e;
		int rc = ac_aci_reader_next(r, &e, err);
		if (rc < 0) {
			ret = -1;
			break;
		}
		if (rc == 0)
			break;
		if (!is_manifest_entry(e))
			continue;
		ac_buf b;
		ac_buf_init(&b, AC_MANIFEST_MAX_SIZE);
		if (read_manifest_data(r, e, &b, err) < 0) {
			ac_buf_release(&b);
			if (err && *err && (*err)->msg[0] && !ac_str_has_prefix((*err)->msg, r->name))
				ac_error_wrap(err, "%s", r->name);
			ret = -1;
			break;
		}
		*json = ac_buf_detach(&b, len);
		ret = 1;
		break;
	}
	ac_aci_reader_free(r);
	return ret;
}

/* ------------------------------------------------------------ validation */

/* Every proper parent of path below "rootfs" must be, if the archive
 * holds it, a directory: a write through a symlink (rkt#904) or below a
 * file is refused. */
static int check_parents(struct ac_pathset *s, const char *path, const char *what, ac_error **err)
{
	_cleanup_free_ char *p = xstrdup(path);
	for (char *slash = strchr(p + strlen("rootfs/"), '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		struct ac_pathset_slot *sl = ac_pathset_find(s, p);
		if (sl && sl->value == AE_IFLNK) {
			_cleanup_free_ char *q = quote(path);
			_cleanup_free_ char *qp = quote(p);
			return ac_error_set(err, 0, "%s %s goes through symlink %s", what, q, qp);
		}
		if (sl && sl->value != AE_IFDIR) {
			_cleanup_free_ char *q = quote(path);
			_cleanup_free_ char *qp = quote(p);
			return ac_error_set(err, 0, "%s %s is below %s, which is not a directory", what, q, qp);
		}
		*slash = '/';
	}
	return 0;
}

static int validate_entry(struct ac_pathset *s, struct archive_entry *e, const char *c, ac_error **err)
{
	const char *hl = archive_entry_hardlink(e);
	unsigned type = archive_entry_filetype(e);
	if (check_parents(s, c, "entry", err) < 0)
		return -1;
	if (hl) {
		_cleanup_free_ char *t = ac_path_clean(hl);
		_cleanup_free_ char *q = quote(c);
		_cleanup_free_ char *qt = quote(hl);
		if (!ac_str_has_prefix(t, "rootfs/"))
			return ac_error_set(err, 0, "hard link %s points outside rootfs: %s", q, qt);
		if (archive_entry_size(e) > 0)
			return ac_error_set(err, 0, "hard link %s carries data", q);
		if (check_parents(s, t, "hard link target", err) < 0)
			return -1;
		struct ac_pathset_slot *sl = ac_pathset_find(s, t);
		if (!sl)
			return ac_error_set(err, 0, "hard link %s points to %s, which is not an earlier entry", q, qt);
		if (sl->value == AE_IFDIR)
			return ac_error_set(err, 0, "hard link %s points to a directory: %s", q, qt);
		type = sl->value;
	}
	ac_pathset_put(s, c, type);
	return 0;
}

/* The last checks of an image or a layout, in the original's order: a
 * manifest and a rootfs were found (check_top_level), then, after the
 * manifest was read, it is valid and nothing else stands at the top
 * (check_manifest, which returns the parsed manifest). */
static int check_top_level(int have_manifest, int have_rootfs, ac_error **err)
{
	if (!have_manifest)
		return ac_error_set(err, 0, "no image manifest found in layout");
	if (!have_rootfs)
		return ac_error_set(err, 0, "no rootfs found in layout");
	return 0;
}

static json_t *check_manifest(const ac_buf *mbuf, const char *unrecognized, ac_error **err)
{
	ac_error *merr = NULL;
	json_t *m = parse_manifest(mbuf->buf, mbuf->len, &merr);
	if (!m) {
		ac_error_set(err, 0, "image manifest validation failed: %s", merr ? merr->msg : "invalid manifest");
		ac_error_free(&merr);
		return NULL;
	}
	if (unrecognized) {
		_cleanup_free_ char *q = quote(unrecognized);
		ac_error_set(err, 0, "unrecognized file path in layout: %s", q);
		json_decref(m);
		return NULL;
	}
	return m;
}

int ac_aci_validate(int fd, const char *name, json_t **manifest, ac_error **err)
{
	return ac_aci_validate_visit(fd, name, manifest, NULL, NULL, err);
}

int ac_aci_validate_visit(int fd, const char *name, json_t **manifest, ac_aci_visit_fn *visit, void *arg,
			  ac_error **err)
{
	if (manifest)
		*manifest = NULL;
	ac_aci_reader *r = ac_aci_reader_open(fd, name, err);
	if (!r)
		return -1;
	struct ac_pathset set = AC_PATHSET_INIT;
	ac_buf mbuf;
	ac_buf_init(&mbuf, AC_MANIFEST_MAX_SIZE);
	int have_manifest = 0, have_rootfs = 0, ret = -1;
	char *unrecognized = NULL;
	json_t *m = NULL;
	for (;;) {
		struct archive_entry *e;
		int rc = ac_aci_reader_next(r, &e, err);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		const char *raw = archive_entry_pathname(e);
		_cleanup_free_ char *c = ac_path_clean(raw ? raw : "");
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "manifest")) {
			if (have_manifest) {
				ac_error_set(err, 0, "duplicate file entry in archive: manifest");
				goto out;
			}
			have_manifest = 1;
			if (read_manifest_data(r, e, &mbuf, err) < 0)
				goto out;
			if (visit && visit(arg, c, e, err) < 0)
				goto out;
			continue;
		}
		if (ac_pathset_find(&set, c)) {
			ac_error_set(err, 0, "duplicate file entry in archive: %s", c);
			goto out;
		}
		if (!strcmp(c, "rootfs")) {
			if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFDIR) {
				ac_error_set(err, 0, "rootfs is not a directory");
				goto out;
			}
			have_rootfs = 1;
			ac_pathset_put(&set, c, AE_IFDIR);
			if (visit && visit(arg, c, e, err) < 0)
				goto out;
			continue;
		}
		if (!ac_str_has_prefix(c, "rootfs/")) {
			if (!unrecognized)
				unrecognized = xstrdup(c);
			continue;
		}
		if (validate_entry(&set, e, c, err) < 0)
			goto out;
		if (visit && visit(arg, c, e, err) < 0)
			goto out;
	}
	char id[AC_IMAGE_ID_LEN + 1];
	if (ac_aci_reader_finish(r, id, err) < 0)
		goto out;
	if (check_top_level(have_manifest, have_rootfs, err) < 0 || !(m = check_manifest(&mbuf, unrecognized, err)))
		goto out;
	if (manifest)
		*manifest = steal_pointer(&m);
	ret = 0;
out:
	json_decref(m);
	free(unrecognized);
	ac_buf_release(&mbuf);
	ac_pathset_free(&set);
	ac_aci_reader_free(r);
	return ret;
}

/* ------------------------------------------------------------ layouts */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_layout_manifest(int dfd, const char *mpath, ac_buf *out, ac_error **err)
{
	_cleanup_close_ int fd = openat(dfd, "manifest", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return ac_error_set(err, 0, "error reading image manifest: %s is a symlink", mpath);
		return ac_error_errno(err, "error reading image manifest: open %s", mpath);
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ac_error_errno(err, "error reading image manifest: stat %s", mpath);
	if (S_ISDIR(st.st_mode))
		return ac_error_set(err, EISDIR, "error reading image manifest: read %s: is a directory", mpath);
	if (!S_ISREG(st.st_mode))
		return ac_error_set(err, 0, "error reading image manifest: %s is not a regular file", mpath);
	char *data = NULL;
	size_t len = 0;
	ac_error *e2 = NULL;
	if (ac_read_fd(fd, AC_MANIFEST_MAX_SIZE, &data, &len, &e2) < 0) {
		ac_error_set(err, e2 ? e2->code : EIO, "error reading image manifest: read %s: %s", mpath,
			     e2 ? e2->msg : "read error");
		ac_error_free(&e2);
		return -1;
	}
	ac_buf_add(out, data, len);
	free(data);
	return 0;
}

int ac_layout_validate(const char *dir, json_t **manifest, ac_error **err)
{
	if (manifest)
		*manifest = NULL;
	struct stat st;
	if (stat(dir, &st) < 0)
		return ac_error_errno(err, "error accessing layout: stat %s", dir);
	if (!S_ISDIR(st.st_mode)) {
		_cleanup_free_ char *q = quote(dir);
		return ac_error_set(err, ENOTDIR, "given path %s is not a directory", q);
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ac_error_errno(err, "open %s", dir);
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return ac_error_errno(err, "open %s", dir);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret = -1, have_manifest = 0, have_rootfs = 0;
	const char *unrecognized = NULL;
	json_t *m = NULL;
	ac_buf mbuf;
	ac_buf_init(&mbuf, AC_MANIFEST_MAX_SIZE);
	char *mpath = NULL;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno) {
				ac_error_errno(err, "read directory %s", dir);
				goto out;
			}
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(names[i], "manifest")) {
			have_manifest = 1;
		} else if (!strcmp(names[i], "rootfs")) {
			if (fstatat(dfd, "rootfs", &st, AT_SYMLINK_NOFOLLOW) < 0) {
				ac_error_errno(err, "lstat %s/rootfs", dir);
				goto out;
			}
			if (!S_ISDIR(st.st_mode)) {
				ac_error_set(err, ENOTDIR, "rootfs is not a directory");
				goto out;
			}
			have_rootfs = 1;
		} else if (!unrecognized) {
			unrecognized = names[i];
		}
	}
	if (check_top_level(have_manifest, have_rootfs, err) < 0)
		goto out;
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	mpath = xasprintf("%.*s/manifest", (int)dl, dir);
	if (read_layout_manifest(dfd, mpath, &mbuf, err) < 0 || !(m = check_manifest(&mbuf, unrecognized, err)))
		goto out;
	if (manifest)
		*manifest = steal_pointer(&m);
	ret = 0;
out:
	json_decref(m);
	free(mpath);
	ac_buf_release(&mbuf);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}
