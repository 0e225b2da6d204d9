/* The safe extractor: writes an archive's entries below a root directory and
 * never anywhere else, whatever the archive holds.  Every path is resolved
 * inside the root (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, or,
 * where the kernel lacks openat2, a component walk that refuses symlinks);
 * the last component is created with *at() calls relative to its parent and
 * symlinks in the archive are never followed on the host.
 *
 * Decisions (what happens with hostile or unusual entries):
 * - Names are cleaned (filepath.Clean).  Absolute names ("/etc/x") and
 *   names leading outside (".." first after cleaning: "../x",
 *   "rootfs/../../x") are refused with an error, with or without
 *   strip_prefix; other names outside strip_prefix (e.g. "manifest",
 *   "rootfsX/y") are skipped.
 * - The root itself ("." or the prefix directory "rootfs") may only be a
 *   directory entry: its mode, owner, xattrs and times are applied to
 *   root_dir.  A symlink or file standing for the root is an error.
 * - A parent path that goes through a symlink extracted earlier is followed
 *   inside the root ("l -> /" then "l/etc/x" writes ROOT/etc/x) with
 *   openat2; without openat2 such entries are refused with an error.
 *   Missing parents are created with mode 0755.
 * - Existing paths: a file, symlink, FIFO or device is replaced (unlinked,
 *   never followed); a directory is merged with a directory entry and
 *   removed recursively (without following symlinks) for any other entry.
 * - Hard links: the target is cleaned and resolved inside the root (after
 *   strip_prefix, which the target must also carry); absolute targets,
 *   targets leading outside, missing targets, directories, links to
 *   themselves and hard-link entries carrying data (CVE-2016-5418) are
 *   errors.  A link to a symlink links the symlink itself.
 * - Device nodes: created only with allow_devices (the default as root);
 *   otherwise they are skipped without error, so that images holding
 *   /dev/null and friends extract for unprivileged users.  FIFOs are always
 *   created.  Other types (sockets) are an error.
 * - Modes are restored exactly (no umask).  setuid/setgid bits are kept
 *   only with same_owner (owners restored, numerically: uname/gname are
 *   ignored, no NSS lookup ever happens); otherwise they are stripped.
 * - Times: mtime (and atime, mtime when absent) with nanoseconds, on every
 *   entry including symlinks; directories at the end.
 * - Xattrs (libarchive entry xattrs) are set on regular files and
 *   directories.  EPERM/ENOTSUP for trusted.* and security.* are ignored
 *   when not running as root; every other failure is an error.  Xattrs on
 *   symlinks, FIFOs and devices are not restored.
 * - max_bytes caps the sum of regular file sizes; passing it fails with
 *   "extracted data exceeds N bytes" before the file is created.
 * Errors are one line: "NAME: entry "PATH": what went wrong". */
#ifndef AC_EXTRACT_H
#define AC_EXTRACT_H

#include <stdint.h>
#include "ac/aci.h"

struct ac_extract_opts {
	/* Only entries below this prefix ("rootfs") are extracted, with the
	 * prefix removed (the prefix directory itself stands for root_dir);
	 * NULL extracts everything as named. */
	const char *strip_prefix;
	int same_owner;     /* restore uid/gid and setuid/setgid (default as root) */
	int allow_devices;  /* create device nodes (default as root); else skipped */
	uint64_t max_bytes; /* total size of regular file data; 0 = no cap */
	/* Optional filter: return 1 to extract the path, 0 to skip it.  The
	 * path is cleaned, relative and already stripped ("etc/passwd"); the
	 * root entry is not passed to it. */
	int (*filter)(const char *path, void *arg);
	void *filter_arg;
};

/* Fills opts with the defaults for the current user. */
void ac_extract_opts_default(struct ac_extract_opts *o);

/* Extracts everything the reader has left into root_dir (created with its
 * parents if missing).  o may be NULL for the defaults.  The reader is not
 * finished: call ac_aci_reader_finish for the image ID afterwards. */
int ac_extract(ac_aci_reader *r, const char *root_dir, const struct ac_extract_opts *o, ac_error **err);

/* Opens path inside root (dirfd), all components resolved within root,
 * symlinks included ("/" and ".." stop at the root; magic links of /proc
 * are refused); returns an fd or -1. flags as for openat (add O_NOFOLLOW
 * to refuse a symlink as the last component).  Without openat2 any symlink
 * on the way is refused (ELOOP). */
int ac_open_in_root(int rootfd, const char *path, int flags, mode_t mode, ac_error **err);

#endif
