/* Command-line options in the style of Go's "flag" package, which the
 * original actool and docker2aci used: "-flag", "--flag", "-flag=value",
 * "-flag value" (non-boolean), "-bool=false".  Parsing stops at the first
 * argument that is not a flag, or after "--". */
#ifndef AC_CLI_H
#define AC_CLI_H

#include <stdio.h>
#include "ac/error.h"

enum ac_opt_type { AC_OPT_BOOL, AC_OPT_STRING, AC_OPT_INT };

struct ac_opt {
	const char *name;
	enum ac_opt_type type;
	void *ptr;        /* int * (BOOL, INT) or const char ** (STRING) */
	const char *help;
	const char *defval; /* shown in usage; NULL: "false", "" or "0" */
};

enum { AC_OPTS_HELP = 1 }; /* returned by ac_opts_parse for -h/-help/--help */

/* Parses options from argv[*optind]; on return *optind is the first
 * positional argument.  Returns 0, AC_OPTS_HELP when help was requested
 * (and no "help" option is defined), or -1 with a usage error in err, worded
 * like Go's ("flag provided but not defined: -x"). opts ends with {NULL}. */
int ac_opts_parse(const struct ac_opt *opts, int argc, char **argv, int *optind, ac_error **err);
/* One line per option: "\t--name=default\thelp" as actool's help. */
void ac_opts_print(FILE *f, const struct ac_opt *opts);

/* Go's strconv.ParseBool. */
int ac_parse_bool(const char *s, int *out);

/* Flushes stdout and reports a write error (e.g. EPIPE, ENOSPC): returns the
 * exit status to use. */
int ac_cli_finish(int status, const char *prog);

#endif
