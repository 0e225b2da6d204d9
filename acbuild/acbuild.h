/* acbuild: internal interfaces shared by the command files. */
#ifndef ACBUILD_H
#define ACBUILD_H

#include <jansson.h>
#include "ac/error.h"
#include "ac/lock.h"
#include "ac/manifest.h"

#define ACBUILD_VERSION "v0.4.0+ac-0.1"
#define ACBUILD_APPC_VERSION AC_SPEC_VERSION
#define ACB_UNNAMED "acbuild-unnamed"

/* err->code values that choose the exit status (see acb_exit_code). */
#define ACB_ENOTFOUND 0x1002 /* element to remove is absent: exit 2 */
#define ACB_EUSAGE 0x1001    /* usage error: the usage text follows, exit 1 */
#define ACB_EPLAIN 0x1003    /* printed without the command name, exit 1 */
#define ACB_ECHILD 0x1100    /* + child's status (0..255): exit with it */

#define ACB_NOTFOUND_MSG "element to be removed does not exist in this ACI"

/* Options of one invocation: globals and every command's flags. */
struct acb_opts {
	int debug, no_history, help, quiet;
	const char *work_path;
	const char *modify, *modify_oci;
	/* command flags */
	int pretty_print, overwrite, sign, read_only, socket_activated, insecure;
	const char *compression, *image_id, *size, *count, *build_mode, *file, *sign_key;
	const char *engine, *working_dir;
	char **labels; /* --label, repeatable */
	size_t nlabels;
};

struct acb {
	struct acb_opts *o;
	const char *msgname; /* prefix of messages: "label add", "set-working-dir" */
	char *work;          /* the work path */
	char *ctx;           /* <work>/.acbuild */
	char *aci;           /* <ctx>/currentaci */
	ac_lock lock;
	json_t *manifest;    /* loaded for commands that edit or read it */
	int changed;         /* the manifest must be saved */
	int packed;          /* the base image is still packed (base.c) */
	struct ac_pathset *base_index; /* its paths, once loaded */
};

/* context.c */
void acb_init(struct acb *b, struct acb_opts *o, const char *work);
void acb_release(struct acb *b);
int acb_in_progress(struct acb *b);
/* Checks a build is in progress and takes the lock. */
int acb_lock(struct acb *b, ac_error **err);
void acb_unlock(struct acb *b);
int acb_load_manifest(struct acb *b, ac_error **err);
int acb_save_manifest(struct acb *b, ac_error **err);
/* Adds the coreos.com/acbuild/command-N annotation to b->manifest. */
void acb_add_history(struct acb *b, const char *cmdpath, int argc, char **argv);
void acb_debug(struct acb *b, const char *fmt, ...) AC_PRINTF(2, 3);
/* A fresh empty image manifest: name acbuild-unnamed, arch and os labels. */
json_t *acb_empty_manifest(void);
/* The "app" object, created as {"exec":null,"user":"0","group":"0"} when absent. */
json_t *acb_app(struct acb *b);

/* main.c: runs one acbuild command line (argv[0] is the program); returns
 * the exit status. */
int acb_main(int argc, char **argv);

/* Command implementations: argv holds the positional arguments only. */
typedef int acb_fn(struct acb *b, int argc, char **argv, ac_error **err);
acb_fn cmd_begin, cmd_end, cmd_write, cmd_cat_manifest, cmd_replace_manifest;
acb_fn cmd_copy, cmd_copy_to_dir, cmd_run, cmd_script, cmd_layer;
acb_fn cmd_set_name, cmd_set_exec, cmd_set_user, cmd_set_group, cmd_set_supp_groups;
acb_fn cmd_set_working_directory, cmd_set_eh_pre_start, cmd_set_eh_post_stop, cmd_set_tag;
acb_fn cmd_label_add, cmd_label_remove, cmd_annotation_add, cmd_annotation_remove;
acb_fn cmd_environment_add, cmd_environment_remove, cmd_dependency_add, cmd_dependency_remove;
acb_fn cmd_mount_add, cmd_mount_remove, cmd_port_add, cmd_port_remove;
acb_fn cmd_isolator_add, cmd_isolator_remove;

/* cmd-begin.c: begins a build in b's context from START (NULL: empty);
 * *comp (optional) receives the compression of a START ACI. */
int acb_begin(struct acb *b, const char *start, int *comp, ac_error **err);
/* Removes the context (the caller does not hold the lock). */
int acb_end(struct acb *b, ac_error **err);
/* cmd-write.c: writes the current image to path; id (optional) receives the
 * image ID. */
int acb_write_aci(struct acb *b, const char *path, int overwrite, int compression,
		  char *id, ac_error **err);

/* base.c: a session begun from an ACI keeps it packed until a step needs
 * its files.  acb_base_begin makes the packed base in the new context ctx
 * (manifest in aci) from the ACI image, moved there when take is set;
 * *comp (optional) receives its compression. */
int acb_base_begin(const char *ctx, const char *aci, const char *image, int take, int *comp, int quiet,
		   ac_error **err);
/* Under the lock: sets b->packed, finishing an interrupted unpack. */
void acb_base_check(struct acb *b);
/* The directory of changes of a packed base, opened. */
int acb_base_open_changes(struct acb *b, ac_error **err);
/* 1 when a copy of a (directory if src_is_dir) tree to dir/name (paths
 * relative to the rootfs, cleaned; dir "." for the root) can go to the
 * changes (open as cfd) of a packed base as it would to the unpacked tree,
 * 0 when the base must be unpacked first. */
int acb_base_can_place(struct acb *b, int cfd, const char *dir, const char *name, int src_is_dir, ac_error **err);
/* Extracts the archive open as fd (named name in messages) below dir,
 * only the entries below strip_prefix (optional), with a progress line
 * "what: ..." unless quiet; *comp (optional) receives its compression. */
int acb_extract_fd(int fd, const char *name, const char *dir, const char *strip_prefix, const char *what, int *comp,
		   int quiet, ac_error **err);
/* Unpacks a packed base into currentaci/rootfs (nothing when unpacked). */
int acb_base_unpack(struct acb *b, ac_error **err);
/* Adds the rootfs of a packed session to w: the base merged with its changes. */
struct ac_aci_writer;
int acb_base_write(struct acb *b, struct ac_aci_writer *w, ac_error **err);
void acb_base_release(struct acb *b);

/* cmd-copy.c: copies the host tree src to dst, a path inside the rootfs
 * resolved there (never leaving it). */
int acb_copy_into_root(int rootfd, const char *src, const char *dst, ac_error **err);
/* Copies the contents of directory src into the directory dstfd. */
int acb_copy_dir_contents(const char *src, int dstfd, ac_error **err);
/* Merges the tree srcfd into dstfd with hard links (both on one file
 * system): a directory present in both keeps dst's mode, owner and times,
 * anything else of src replaces dst's. */
int acb_link_tree_over(int srcfd, int dstfd, ac_error **err);

#endif
