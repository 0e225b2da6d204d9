/* Applying Docker/OCI layers, base first, to a model of the merged tree.
 *
 * Metadata lives in memory (one node per path), file contents are spooled
 * to an unlinked temporary file as each layer streams by, so no layer is
 * ever held in memory.  Semantics (Docker's applier / overlayfs):
 * - ".wh.NAME" removes NAME as the lower layers had it; ".wh..wh..opq"
 *   hides the lower layers' contents of its directory.  Whiteouts never
 *   remove what the same layer creates, whatever the order in the tar;
 * - a directory over a directory merges (the new metadata wins); any other
 *   replacement (file <-> directory, ...) removes the old subtree;
 * - hard links resolve in the merged tree as it is when the link is read
 *   (same or lower layers) and share the target's inode: they survive when
 *   the target is whited out or replaced later;
 * - names are cleaned ("./a", "/a", "a/../b"); ".", "./" and "" are the
 *   root and ignored; names or link targets leading outside are an error;
 * - a layer is gzip, bzip2, xz or plain tar (zstd when the codec has it); a
 *   layer that cannot be decoded is an error, never an empty layer.
 * Output is sorted byte-wise per directory, so it is deterministic. */
#ifndef AC_DOCKER_LAYER_H
#define AC_DOCKER_LAYER_H

#include <jansson.h>
#include "ac/aci.h"
#include "ac/error.h"

typedef struct ac_layer_tree ac_layer_tree;

/* tmp_dir holds the spool file (NULL: $TMPDIR or /tmp). */
ac_layer_tree *ac_layer_tree_new(const char *tmp_dir, ac_error **err);
void ac_layer_tree_free(ac_layer_tree *t);

struct ac_layer_src {
	int fd;              /* read to its end; the caller closes it */
	const char *name;    /* for messages */
	const char *digest;  /* "sha256:..." of the bytes of fd, or NULL */
	const char *diff_id; /* "sha256:..." of the uncompressed tar, or NULL */
};

/* Applies the next layer.  A digest mismatch fails after the layer was read
 * (the tree is then unusable: drop the conversion). */
int ac_layer_tree_apply(ac_layer_tree *t, const struct ac_layer_src *src, ac_error **err);

/* Adds /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd symlinks (as the
 * original) where the paths are free, for the next write only. */
int ac_layer_tree_add_stdio(ac_layer_tree *t, ac_error **err);

/* Writes "rootfs" and the tree below it: everything, or (only_last) just
 * what the last applied layer set, with the parent directories it needs; a
 * hard link whose target is not written becomes a regular file.  The stdio
 * symlinks added before are dropped afterwards. */
int ac_layer_tree_write(ac_layer_tree *t, ac_aci_writer *w, int only_last, ac_error **err);

/* The pathWhitelist after the last layer: "/a", "/a/b", ... sorted (new
 * reference), the stdio symlinks included when added. */
json_t *ac_layer_tree_whitelist(ac_layer_tree *t);

#endif
