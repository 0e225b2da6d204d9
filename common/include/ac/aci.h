/* Reading and writing ACI archives (a tar of "manifest" and "rootfs/",
 * optionally compressed).  Both directions stream, and both compute the image
 * ID (sha512 of the uncompressed tar) on the way. */
#ifndef AC_ACI_H
#define AC_ACI_H

#include <archive.h>
#include <sys/stat.h>
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
	int no_image_id;      /* skip the SHA-512: finish gives "" as the image ID */
	/* Files of the tree (add_rootfs, add_tree) owned by this user or group
	 * are archived as root's (uid/gid 0): what a rootless build makes as
	 * its "root" (0, the default, changes nothing). */
	uid_t root_uid;
	gid_t root_gid;
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
/* The same for the tree dirfd/name, archived as apath ("rootfs"), leaving
 * out the entries for which skip (optional) returns 1 (a directory's
 * contents are still added). */
typedef int ac_aci_tree_skip_fn(void *arg, const char *apath, const struct stat *st);
int ac_aci_writer_add_tree(ac_aci_writer *w, int dirfd, const char *name, const char *apath,
			   ac_aci_tree_skip_fn *skip, void *arg, ac_error **err);
/* Adds one entry whose data comes from the reader's current entry (copy
 * without re-encoding the metadata). */
struct ac_aci_reader;
int ac_aci_writer_copy_entry(ac_aci_writer *w, struct archive_entry *e, struct ac_aci_reader *r, ac_error **err);
/* Adds one entry with in-memory data (len must equal the entry's size). */
int ac_aci_writer_add_entry(ac_aci_writer *w, struct archive_entry *e, const void *data, size_t len, ac_error **err);
/* Adds one entry whose len bytes of data (len must equal the entry's size)
 * are read from fd at offset off with pread, a buffer at a time: nothing is
 * mapped or held whole in memory.  fd stays the caller's; a short file is an
 * error. */
int ac_aci_writer_add_entry_fd(ac_aci_writer *w, struct archive_entry *e, int fd, int64_t off, int64_t len,
			       ac_error **err);
/* Ends the tar and the compression; returns the image ID. */
int ac_aci_writer_finish(ac_aci_writer *w, char image_id[AC_IMAGE_ID_LEN + 1], ac_error **err);
void ac_aci_writer_free(ac_aci_writer *w);

/* ---- reading ----
 *
 * Errors: problems reading or decoding the file are one line starting with
 * the name given to ac_aci_reader_open ("NAME: gzip: unexpected end of data",
 * "NAME: unknown image filetype", "NAME: zstd compression is not supported")
 * with err->code set (an errno value; EBADMSG for corrupt or unrecognised
 * data).  Validation rule failures of ac_aci_validate/ac_layout_validate are
 * the original's bare message ("duplicate file entry in archive: rootfs/a")
 * with err->code == 0, so that a tool can print "F: error validating: MSG". */
typedef struct ac_aci_reader ac_aci_reader;

/* Reads from fd (the caller owns it; it need not be seekable). name is used
 * in messages.  The compression is detected (gzip, bzip2, xz, or none; zstd
 * is refused); the decompressed stream must start like a tar archive (ustar
 * magic, or a zero block for an empty archive). */
ac_aci_reader *ac_aci_reader_open(int fd, const char *name, ac_error **err);
const char *ac_aci_reader_name(const ac_aci_reader *r);
ac_compression ac_aci_reader_compression(const ac_aci_reader *r);
/* 1 and *e set for the next entry, 0 at the end of the archive, -1 error.
 * *e belongs to the reader and is valid until the next call.  Data the
 * caller did not read is skipped. */
int ac_aci_reader_next(ac_aci_reader *r, struct archive_entry **e, ac_error **err);
/* Next block of the current entry's data: 0 with *len == 0 at its end.
 * Holes of sparse entries come out as blocks of zeros, so the blocks always
 * add up to archive_entry_size() bytes in order. */
int ac_aci_reader_data(ac_aci_reader *r, const void **buf, size_t *len, ac_error **err);
/* Reads whatever is left (the rest of the tar stream) and returns the image
 * ID.  Trailing garbage after the compressed stream is an error, and so is
 * non-zero data after the tar end-of-archive mark (when the entries were
 * read up to the end): it would be hidden from every tar reader. */
int ac_aci_reader_finish(ac_aci_reader *r, char image_id[AC_IMAGE_ID_LEN + 1], ac_error **err);
/* The caller wants no image ID: the stream is not hashed (finish with NULL). */
void ac_aci_reader_skip_id(ac_aci_reader *r);
void ac_aci_reader_free(ac_aci_reader *r);

/* Reads the manifest entry only (stops there, wherever it is in the
 * archive); *json is malloc'ed and NUL-terminated. Returns 1 when found, 0
 * when the archive has none.  A non-regular manifest entry or one larger
 * than AC_MANIFEST_MAX_SIZE is an error. */
int ac_aci_read_manifest(int fd, const char *name, char **json, size_t *len, ac_error **err);

/* Validation of a whole archive (aci.ValidateArchive, stricter), names
 * cleaned as filepath.Clean does.  Refused: duplicate entries (also a
 * second manifest: "duplicate file entry in archive: manifest"), a manifest
 * that is not a regular file, rootfs not a directory, names outside
 * rootfs/ (including "rootfsX/", absolute names and names escaping with
 * ".."), entries written through a symlink of the archive or below a
 * non-directory, hard links that point outside rootfs, to a directory, to
 * no earlier entry, or that carry data, a stream that does not decode to its
 * end.  Legal: symlinks with any target (absolute or relative targets are
 * resolved inside the rootfs at run time), device nodes, FIFOs.
 * *manifest (optional) receives the canonical manifest. */
int ac_aci_validate(int fd, const char *name, json_t **manifest, ac_error **err);
/* The same, calling visit for the manifest and for every rootfs entry once
 * it has passed the checks, in archive order, with its cleaned path
 * ("manifest", "rootfs", "rootfs/etc/passwd"; a hard link's target is
 * left as archived).  visit's -1 (with *err set) stops the validation. */
typedef int ac_aci_visit_fn(void *arg, const char *path, struct archive_entry *e, ac_error **err);
int ac_aci_validate_visit(int fd, const char *name, json_t **manifest, ac_aci_visit_fn *visit, void *arg,
			  ac_error **err);
/* Validation of an image layout directory (aci.ValidateLayout, stricter):
 * only "manifest" (a regular file, not a symlink) and "rootfs" (a directory,
 * not a symlink) may exist at the top level; the rootfs tree itself is not
 * walked. */
int ac_layout_validate(const char *dir, json_t **manifest, ac_error **err);

/* filepath.Clean: a malloc'ed, lexically cleaned copy of path ("" -> "."). */
char *ac_path_clean(const char *path);

#endif
