/* actool: the commands of appc/spec's actool v0.8.11 (same names, flags,
 * messages and exit codes) plus "extract" and "image-id".  Each command
 * lives in its own file and is described by one struct actool_cmd. */
#ifndef ACTOOL_H
#define ACTOOL_H

#include "ac/aci.h"
#include "ac/cli.h"
#include "ac/error.h"
#include "ac/manifest.h"

struct actool_cmd {
	const char *name;
	const char *summary;
	const char *usage;
	const char *description;
	const struct ac_opt *opts; /* ends with {NULL}; sorted by name as Go prints them */
	/* argv holds the positional arguments only; returns the exit status. */
	int (*run)(int argc, char **argv);
};

extern const struct actool_cmd cmd_build, cmd_cat_manifest, cmd_discover, cmd_extract, cmd_help, cmd_image_id,
	cmd_patch_manifest, cmd_sign, cmd_validate, cmd_verify, cmd_version;

extern int actool_debug; /* global --debug */
extern int actool_quiet; /* global --quiet: no progress line on a terminal */

/* One line on stderr (a trailing newline in the message is dropped). */
void actool_err(const char *fmt, ...) AC_PRINTF(1, 2);

/* Output options shared by build and patch-manifest: --no-compression and
 * --compression=gzip|xz|bzip2|none; NAME is the command for messages.
 * Fills o (threads, level, SOURCE_DATE_EPOCH clamp); -1 after printing. */
int actool_write_opts(const char *name, int no_compression, const char *compression, int owner_root,
		      struct ac_aci_write_opts *o);

/* help.c */
void actool_print_global_usage(void);
void actool_print_command_usage(const struct actool_cmd *c);
const struct actool_cmd *actool_find_command(const char *name);
/* Man page or completion script on stdout ("man", "bash", "zsh"). */
int actool_doc(const char *what);
const struct ac_opt *actool_global_opts(void);

#endif
