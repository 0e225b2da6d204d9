/* actool: global flags and command dispatch, as the original's main(). */
#include "actool.h"

#include <stdarg.h>

int actool_debug;
int actool_quiet;

void actool_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *s = xvasprintf(fmt, ap);
	va_end(ap);
	size_t n = strlen(s);
	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	fprintf(stderr, "%s\n", s);
}

int actool_write_opts(const char *name, int no_compression, const char *compression, int owner_root,
		      struct ac_aci_write_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->comp.type = AC_COMP_GZIP;
	o->comp.level = -1;
	o->comp.threads = 0;
	o->owner_root = owner_root;
	if (compression && *compression) {
		if (ac_compression_from_name(compression, &o->comp.type) < 0 || o->comp.type == AC_COMP_ZSTD) {
			actool_err("%s: unknown compression %s (use gzip, xz, bzip2 or none)", name, compression);
			return -1;
		}
		if (no_compression && o->comp.type != AC_COMP_NONE) {
			actool_err("%s: --no-compression conflicts with --compression=%s", name, compression);
			return -1;
		}
	}
	if (no_compression)
		o->comp.type = AC_COMP_NONE;
	int r = ac_source_date_epoch(&o->clamp_mtime);
	if (r < 0) {
		actool_err("%s: SOURCE_DATE_EPOCH must be a whole number of seconds", name);
		return -1;
	}
	o->has_clamp = r > 0;
	return 0;
}

static const struct ac_opt global_opts[] = {
	{ "debug", AC_OPT_BOOL, &actool_debug, "Print verbose (debug) output", NULL },
	{ "help", AC_OPT_BOOL, NULL, "Print usage information and exit", NULL },
	{ "quiet", AC_OPT_BOOL, &actool_quiet, "No progress line on a terminal during long work", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

const struct ac_opt *actool_global_opts(void)
{
	return global_opts;
}

/* Go's flag package prints the error, then the flag set's defaults. */
static int usage_error(const char *set, const struct ac_opt *opts, const ac_error *err)
{
	fprintf(stderr, "%s\nUsage of %s:\n", err->msg, set);
	for (; opts->name; opts++) {
		if (!opts->ptr)
			continue;
		fprintf(stderr, "  -%s%s\n    \t%s", opts->name, opts->type == AC_OPT_BOOL ? "" : " string",
			opts->help);
		if (opts->defval && *opts->defval)
			fprintf(stderr, " (default %s)", opts->defval);
		fputc('\n', stderr);
	}
	return 2;
}

int main(int argc, char **argv)
{
	int help = 0, optind = 1;
	ac_error *err = NULL;
	struct ac_opt gopts[ARRAY_SIZE(global_opts)];
	memcpy(gopts, global_opts, sizeof(global_opts));
	gopts[1].ptr = &help;

	int r = ac_opts_parse(gopts, argc, argv, &optind, &err);
	if (r < 0) {
		int st = usage_error("actool", gopts, err);
		ac_error_free(&err);
		return st;
	}
	char *help_argv[] = { "help", NULL };
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs < 1 || help || r == AC_OPTS_HELP) {
		args = help_argv;
		nargs = 1;
	}

	if (!strcmp(args[0], "__doc")) /* hidden: used by the build for man pages and completions */
		return ac_cli_finish(actool_doc(nargs > 1 ? args[1] : "man"), "actool");
	const struct actool_cmd *cmd = actool_find_command(args[0]);
	if (!cmd) {
		actool_err("actool: unknown subcommand: \"%s\"", args[0]);
		actool_err("Run 'actool help' for usage.");
		return 2;
	}
	int cind = 1;
	static const struct ac_opt none[] = { { NULL, 0, NULL, NULL, NULL } };
	const struct ac_opt *copts = cmd->opts ? cmd->opts : none;
	r = ac_opts_parse(copts, nargs, args, &cind, &err);
	if (r < 0) {
		int st = usage_error(cmd->name, copts, err);
		ac_error_free(&err);
		return st;
	}
	if (r == AC_OPTS_HELP) {
		actool_print_command_usage(cmd);
		return ac_cli_finish(0, "actool");
	}
	return ac_cli_finish(cmd->run(nargs - cind, args + cind), "actool");
}
