/* "actool help [COMMAND]": the original's text/template output run through
 * Go's tabwriter (tab width 8, padding 1, padded with tabs), reproduced
 * byte for byte. */
#include "actool.h"

static const struct actool_cmd *const commands[] = {
	&cmd_build, &cmd_cat_manifest, &cmd_discover, &cmd_extract, &cmd_help, &cmd_image_id,
	&cmd_patch_manifest, &cmd_sign, &cmd_validate, &cmd_verify, &cmd_version,
};

const struct ac_opt *actool_global_opts(void);

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
