/* "actool help [COMMAND]": the original's text/template output run through
 * Go's tabwriter (tab width 8, padding 1, padded with tabs), reproduced
 * byte for byte. */
#include "actool.h"

#include "ac/doc.h"

static const struct actool_cmd *const commands[] = {
	&cmd_build, &cmd_cat_manifest, &cmd_discover, &cmd_extract, &cmd_help, &cmd_image_id,
	&cmd_patch_manifest, &cmd_sign, &cmd_validate, &cmd_verify, &cmd_version,
};

const struct actool_cmd *actool_find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/* Prints rows of "\tLEFT\tRIGHT" with LEFT padded by tabs to a common
 * column, as tabwriter does for one block of lines. */
static void print_block(const char *const *left, const char *const *right, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (strlen(left[i]) > w)
			w = strlen(left[i]);
	size_t cell = (w + 1 + 7) / 8 * 8;
	for (size_t i = 0; i < n; i++) {
		size_t pad = cell - strlen(left[i]);
		printf("\t%s", left[i]);
		for (size_t t = 0; t < (pad + 7) / 8; t++)
			putchar('\t');
		printf("%s\n", right[i]);
	}
}

static void print_opts(const struct ac_opt *opts)
{
	size_t n = 0;
	for (const struct ac_opt *o = opts; o && o->name; o++)
		n++;
	if (!n)
		return;
	char **left = xcalloc(n, sizeof(char *));
	const char **right = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const struct ac_opt *o = &opts[i];
		const char *def = o->defval;
		if (!def)
			def = o->type == AC_OPT_BOOL ? "false" : o->type == AC_OPT_INT ? "0" : "";
		left[i] = xasprintf("%s%s=%s", strlen(o->name) == 1 ? "-" : "--", o->name, def);
		right[i] = o->help ? o->help : "";
	}
	print_block((const char *const *)left, right, n);
	for (size_t i = 0; i < n; i++)
		free(left[i]);
	free(left);
	free(right);
}

void actool_print_global_usage(void)
{
	printf("NAME:\n\tactool - actool, the application container tool\n\n"
	       "USAGE:\n\tactool [global options] <command> [command options] [arguments...]\n\n"
	       "VERSION:\n\t%s\n\nCOMMANDS:\n", AC_SPEC_VERSION);
	const char *left[ARRAY_SIZE(commands)], *right[ARRAY_SIZE(commands)];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		left[i] = commands[i]->name;
		right[i] = commands[i]->summary;
	}
	print_block(left, right, ARRAY_SIZE(commands));
	printf("\nGLOBAL OPTIONS:\n");
	print_opts(actool_global_opts());
	printf("\nRun \"actool help <command>\" for more details on a specific command.\n");
}

void actool_print_command_usage(const struct actool_cmd *c)
{
	printf("NAME:\n\t%s - %s\n\nUSAGE:\n\tactool %s %s\n\nDESCRIPTION:\n", c->name, c->summary, c->name,
	       c->usage ? c->usage : "");
	/* the description, trimmed, one tab-indented line per line */
	const char *d = c->description;
	while (*d && strchr("\n\t ", *d))
		d++;
	size_t len = strlen(d);
	while (len && strchr("\n\t ", d[len - 1]))
		len--;
	while (1) {
		const char *nl = memchr(d, '\n', len);
		size_t l = nl ? (size_t)(nl - d) : len;
		printf("\t%.*s\n", (int)l, d);
		if (!nl)
			break;
		len -= l + 1;
		d = nl + 1;
	}
	putchar('\n');
	if (c->opts && c->opts->name) {
		printf("OPTIONS:\n");
		print_opts(c->opts);
		putchar('\n');
	}
	printf("For help on global options run \"actool help\"\n");
}

static int run_help(int argc, char **argv)
{
	if (argc < 1) {
		actool_print_global_usage();
		return 0;
	}
	const struct actool_cmd *c = actool_find_command(argv[0]);
	if (!c) {
		actool_err("Unrecognized command: %s", argv[0]);
		return 1;
	}
	actool_print_command_usage(c);
	return 0;
}

const struct actool_cmd cmd_help = {
	.name = "help",
	.summary = "Show a list of commands or help for one command",
	.usage = "[COMMAND]",
	.description = "Show a list of commands or detailed help for one command",
	.run = run_help,
};

static int run_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("actool version %s\n", AC_SPEC_VERSION);
	return 0;
}

const struct actool_cmd cmd_version = {
	.name = "version",
	.summary = "Print the version and exit",
	.usage = "",
	.description = "Print the version and exit",
	.run = run_version,
};

/* ---- man page and completions (hidden: "actool __doc man|bash|zsh") ---- */

static struct ac_doc_opt *doc_opts(const struct ac_opt *o, size_t *n)
{
	size_t k = 0;
	for (const struct ac_opt *p = o; p && p->name; p++)
		k++;
	struct ac_doc_opt *d = xcalloc(k + 1, sizeof(*d));
	for (size_t i = 0; i < k; i++) {
		d[i].name = o[i].name;
		d[i].arg = o[i].type == AC_OPT_BOOL ? NULL : o[i].type == AC_OPT_INT ? "N" : "VALUE";
		d[i].help = o[i].help;
		d[i].def = o[i].type == AC_OPT_BOOL ? NULL : o[i].defval;
	}
	*n = k;
	return d;
}

static const char *const man_sections[] = {
	"EXIT STATUS",
	"0 when every file is valid or the command succeeded; 1 when a file is invalid or the command "
	"failed (one line on standard error says why); 2 for usage errors (unknown command or flag).",
	"ENVIRONMENT",
	"SOURCE_DATE_EPOCH\n"
	"  build and patch-manifest clamp every stored modification time to it.\n"
	"\n"
	"SSL_CERT_FILE\n"
	"  a CA bundle for discover (for servers with a private CA).\n"
	"\n"
	"AC_DISCOVERY_PORT\n"
	"  the port discovery connects to when --port is not given.\n"
	"\n"
	"GNUPGHOME\n"
	"  the keyring sign uses.",
	"EXAMPLES",
	"  actool build --owner-root layout/ app.aci\n"
	"  actool validate app.aci\n"
	"  actool cat-manifest --pretty-print app.aci\n"
	"  actool patch-manifest --exec=\"/app --debug\" app.aci app-debug.aci\n"
	"  actool sign app.aci && actool verify --trust-dir=/etc/acrun app.aci\n"
	"  actool discover example.com/app:1.0",
	"SEE ALSO",
	"acbuild(1), acrun(1), docker2aci(1); the App Container specification, v0.8.11.",
	NULL, NULL,
};

int actool_doc(const char *what)
{
	const struct ac_opt *g = actool_global_opts();
	size_t ng, n = ARRAY_SIZE(commands);
	struct ac_doc_opt *gd = doc_opts(g, &ng);
	struct ac_doc_cmd *cmds = xcalloc(n, sizeof(*cmds));
	for (size_t i = 0; i < n; i++) {
		cmds[i].path = commands[i]->name;
		cmds[i].usage = commands[i]->usage;
		cmds[i].summary = commands[i]->summary;
		cmds[i].description = commands[i]->description;
		cmds[i].opts = doc_opts(commands[i]->opts, &cmds[i].nopts);
	}
	struct ac_doc_tool t = {
		.name = "actool",
		.summary = "build, check, inspect, sign and discover App Container Images",
		.synopsis = "[global options] COMMAND [command options] [arguments...]",
		.description = "actool works on App Container Images (ACIs, appc spec v0.8.11): tar archives of a JSON "
			       "manifest and a rootfs/ directory. Its commands, flags, output and exit codes are those "
			       "of actool v0.8.11; extract, image-id, sign and verify are new. Flags may be written "
			       "-flag, --flag, -flag=value, --flag value or -bool=false.",
		.global = gd,
		.nglobal = ng,
		.cmds = cmds,
		.ncmds = n,
		.sections = man_sections,
		.version = AC_SPEC_VERSION,
	};
	int r = ac_doc_write(stdout, &t, what);
	for (size_t i = 0; i < n; i++)
		free((void *)cmds[i].opts);
	free(cmds);
	free(gd);
	if (r < 0)
		actool_err("__doc: unknown output %s (man, bash or zsh)", what);
	return r < 0 ? 2 : 0;
}
