/* Reading and writing ACI archives (a tar of "manifest" and "rootfs/",
 * optionally compressed).  Both directions stream, and both compute the image
 * ID (sha512 of the uncompressed tar) on the way. */
#ifndef AC_ACI_H
#define AC_ACI_H

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include "ac/compress.h"
#include "ac/digest.h"
#include "ac/error.h"

/* ---- writing ---- */
typedef struct ac_aci_writer ac_aci_writer;

struct ac_aci_write_opts {
	struct ac_compress_opts comp;
	int owner_root;       /* uid = gid = 0, uname = gname = "root" on every entry */
	int has_clamp;        /* clamp mtimes to clamp_mtime (SOURCE_DATE_EPOCH) */
	int64_t clamp_mtime;
};

/* Writes the archive to fd (which the caller owns). */
ac_aci_writer *ac_aci_writer_new(int fd, const struct ac_aci_write_opts *o, ac_error **err);
/* The manifest entry: written first, so readers find it without
 * decompressing the image. mode 0644, root-owned; mtime (clamped like every
 * other entry) is the caller's: the layout file's, or the replaced entry's,
 * never "now", so that the same inputs give the same bytes. */
int ac_aci_writer_add_manifest(ac_aci_writer *w, const char *json, size_t len, int64_t mtime, ac_error **err);
/* Adds the tree below dirfd/"rootfs" recursively as "rootfs/...", in sorted
 * (byte-wise) order.  Sockets are skipped; inodes seen twice become hard
 * links; xattrs are kept. */
int ac_aci_writer_add_rootfs(ac_aci_writer *w, int layout_dirfd, ac_error **err);
/* Adds one entry whose data comes from the reader's current entry (copy
 * without re-encoding the metadata). */
struct ac_aci_reader;
int ac_aci_writer_copy_entry(ac_aci_writer *w, struct archive_entry *e, struct ac_aci_reader *r, ac_error **err);
/* Adds one entry with in-memory data (len must equal the entry's size). */
int ac_aci_writer_add_entry(ac_aci_writer *w, struct archive_entry *e, const void *data, size_t len, ac_error **err);
/* Ends the tar and the compression; returns the image ID. */
int ac_aci_writer_finish(ac_aci_writer *w, char image_id[AC_IMAGE_ID_LEN + 1], ac_error **err);
void ac_aci_writer_free(ac_aci_writer *w);

/* ---- reading ---- */
typedef struct ac_aci_reader ac_aci_reader;

/* Reads from fd (the caller owns it). name is used in messages. */
ac_aci_reader *ac_aci_reader_open(int fd, const char *name, ac_error **err);
ac_compression ac_aci_reader_compression(const ac_aci_reader *r);
/* 1 and *e set for the next entry, 0 at the end of the archive, -1 error. */
int ac_aci_reader_next(ac_aci_reader *r, struct archive_entry **e, ac_error **err);
/* Next block of the current entry's data: 0 with *len == 0 at its end. */
int ac_aci_reader_data(ac_aci_reader *r, const void **buf, size_t *len, ac_error **err);
/* Reads whatever is left (the rest of the tar stream) and returns the image
 * ID.  Trailing garbage after the compressed stream is an error. */
int ac_aci_reader_finish(ac_aci_reader *r, char image_id[AC_IMAGE_ID_LEN + 1], ac_error **err);
void ac_aci_reader_free(ac_aci_reader *r);

/* Reads the manifest entry only (stops there); *json is malloc'ed. Returns 1
 * when found, 0 when the archive has none. */
int ac_aci_read_manifest(int fd, const char *name, char **json, size_t *len, ac_error **err);

/* Validation of a whole archive (aci.ValidateArchive, stricter): duplicate
 * entries, rootfs not a directory, names outside rootfs/ (including
 * "rootfsX/"), links escaping rootfs, more than one manifest, invalid
 * manifest.  *manifest (optional) receives the canonical manifest. */
int ac_aci_validate(int fd, const char *name, json_t **manifest, ac_error **err);
/* Validation of an image layout directory (aci.ValidateLayout, stricter). */
int ac_layout_validate(const char *dir, json_t **manifest, ac_error **err);

#endif
