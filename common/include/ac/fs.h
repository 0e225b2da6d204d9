/* File helpers: capped reads, atomic output files, directory creation. */
#ifndef AC_FS_H
#define AC_FS_H

#include <dirent.h>
#include <sys/types.h>
#include "ac/error.h"

/* Reads a whole file (relative to dirfd, or AT_FDCWD) of at most max bytes.
 * *out is malloc'ed and NUL-terminated. Larger files fail with EFBIG. */
int ac_read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len, ac_error **err);
int ac_read_fd(int fd, size_t max, char **out, size_t *len, ac_error **err);
/* write() all of buf, retrying on EINTR and short writes. */
int ac_write_all(int fd, const void *buf, size_t len);
/* A directory stream over dirfd/name, or with name NULL over a duplicate
 * of dirfd (which stays the caller's), read from its start; NULL with
 * errno set. */
DIR *ac_opendir_at(int dirfd, const char *name);
/* Copies the rest of in to out; src names in in messages. */
int ac_copy_fd(int in, int out, const char *src, ac_error **err);

/* An output file written under a temporary name in the target's directory and
 * renamed over the target on commit, so that a failed or killed command never
 * leaves a partial file under the target name. */
typedef struct ac_outfile {
	int fd;
	char *path;     /* final name */
	char *tmp_path; /* temporary name, NULL once committed or aborted */
	int flags;      /* AC_OUT_* */
} ac_outfile;

enum { AC_OUT_OVERWRITE = 1 };
/* Fails with EEXIST ("... exists") unless AC_OUT_OVERWRITE. */
int ac_outfile_open(ac_outfile *o, const char *path, mode_t mode, int flags, ac_error **err);
/* fsync, then rename over the target (without AC_OUT_OVERWRITE, a target
 * created meanwhile is not replaced: renameat2 RENAME_NOREPLACE, or
 * link() + unlink() where the file system lacks it; EEXIST then). */
int ac_outfile_commit(ac_outfile *o, ac_error **err);
/* Removes the temporary file; safe to call after commit or twice. */
void ac_outfile_abort(ac_outfile *o);

/* Writes a whole small file atomically (temp + fsync + rename). */
int ac_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, ac_error **err);

/* mkdir -p; mode for created directories. */
int ac_mkdir_p(const char *path, mode_t mode, ac_error **err);
/* rm -rf that never follows symlinks and never crosses into other mounts
 * it did not expect; a missing path is not an error. */
int ac_rm_rf(const char *path, ac_error **err);

/* Registers temporary paths to unlink when SIGINT/SIGTERM/SIGHUP arrives,
 * then re-raises the signal. Used by ac_outfile. */
void ac_cleanup_on_signal_add(const char *path);
void ac_cleanup_on_signal_remove(const char *path);

/* The directory for temporary files: $TMPDIR when set and not empty, else /tmp. */
const char *ac_tmpdir(void);
/* mkdtemp of parent/prefix-XXXXXX; the malloc'ed path, or NULL with "cannot
 * create a temporary directory in PARENT: reason". */
char *ac_mkdtemp(const char *parent, const char *prefix, ac_error **err);

#endif
