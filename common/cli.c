#include "ac/cli.h"

int ac_parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *no[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static const struct ac_opt *find_opt(const struct ac_opt *opts, const char *name, size_t len)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

int ac_opts_parse(const struct ac_opt *opts, int argc, char **argv, int *optind, ac_error **err)
{
	while (*optind < argc) {
		const char *arg = argv[*optind];
		if (strlen(arg) < 2 || arg[0] != '-')
			return 0;
		const char *name = arg + 1;
		if (*name == '-') {
			name++;
			if (!*name) { /* "--" ends the options */
				(*optind)++;
				return 0;
			}
		}
		if (*name == '-' || *name == '=')
			return ac_error_set(err, EINVAL, "bad flag syntax: %s", arg);
		(*optind)++;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct ac_opt *o = find_opt(opts, name, len);
		if (!o) {
			if ((len == 1 && name[0] == 'h') || (len == 4 && !strncmp(name, "help", 4)))
				return AC_OPTS_HELP;
			return ac_error_set(err, EINVAL, "flag provided but not defined: -%.*s", (int)len, name);
		}
		const char *value = eq ? eq + 1 : NULL;
		if (o->type == AC_OPT_BOOL) {
			int b = 1;
			if (value && ac_parse_bool(value, &b) < 0)
				return ac_error_set(err, EINVAL, "invalid boolean value \"%s\" for -%s: parse error", value, o->name);
			*(int *)o->ptr = b;
			continue;
		}
		if (!value) {
			if (*optind >= argc)
				return ac_error_set(err, EINVAL, "flag needs an argument: -%s", o->name);
			value = argv[(*optind)++];
		}
		if (o->type == AC_OPT_STRING) {
			*(const char **)o->ptr = value;
		} else {
			int64_t v;
			if (ac_parse_i64(value, &v) < 0 || v < INT32_MIN || v > INT32_MAX)
				return ac_error_set(err, EINVAL, "invalid value \"%s\" for flag -%s: parse error", value, o->name);
			*(int *)o->ptr = (int)v;
		}
	}
	return 0;
}

void ac_opts_print(FILE *f, const struct ac_opt *opts)
{
	for (; opts->name; opts++) {
		const char *def = opts->defval;
		if (!def)
			def = opts->type == AC_OPT_BOOL ? "false" : opts->type == AC_OPT_INT ? "0" : "";
		fprintf(f, "\t%s%s=%s\t%s\n", strlen(opts->name) == 1 ? "-" : "--", opts->name, def,
			opts->help ? opts->help : "");
	}
}

int ac_cli_finish(int status, const char *prog)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "%s: cannot write to standard output: %s\n", prog, strerror(errno));
		return status ? status : 1;
	}
	return status;
}
