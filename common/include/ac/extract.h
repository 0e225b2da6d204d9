/* The safe extractor: writes an archive's entries below a root directory and
 * never anywhere else, whatever the archive holds.  Every path is resolved
 * inside the root (openat2 RESOLVE_IN_ROOT, or a component walk refusing
 * symlinks where openat2 is missing); symlinks in the archive are never
 * followed on the host. */
#ifndef AC_EXTRACT_H
#define AC_EXTRACT_H

#include <stdint.h>
#include "ac/aci.h"

struct ac_extract_opts {
	/* Only entries below this prefix ("rootfs") are extracted, with the
	 * prefix removed; NULL extracts everything as named. */
	const char *strip_prefix;
	int same_owner;     /* restore uid/gid (default as root) */
	int allow_devices;  /* create device nodes (only possible as root) */
	uint64_t max_bytes; /* total size of regular file data; 0 = no cap */
	/* Optional filter: return 1 to extract the (already stripped) path. */
	int (*filter)(const char *path, void *arg);
	void *filter_arg;
};

/* Fills opts with the defaults for the current user. */
void ac_extract_opts_default(struct ac_extract_opts *o);

/* Extracts everything the reader has left into root_dir (created if
 * missing). Existing paths are replaced (a symlink is replaced, never
 * followed; directories are merged). Directory times are set at the end. */
int ac_extract(ac_aci_reader *r, const char *root_dir, const struct ac_extract_opts *o, ac_error **err);

/* Opens path inside root (dirfd), all components resolved within root,
 * symlinks included; returns an fd or -1. flags as for openat. */
int ac_open_in_root(int rootfd, const char *path, int flags, mode_t mode, ac_error **err);

#endif
