/* docker2aci: converts a Docker or OCI image into ACIs, with the command
 * line, output and exit statuses of docker2aci v0.17.2.  The conversion
 * itself is library code (ac/docker.h). */
#include <ac/cli.h>
#include <ac/docker.h>
#include <ac/util.h>

static int flag_debug;

static const char *const usage_text =
	"docker2aci [-debug] [-nosquash] [-compression=(gzip|none|xz)] IMAGE\n"
	"  Where IMAGE is\n"
	"    [-image=IMAGE_NAME[:TAG]] FILEPATH\n"
	"  or\n"
	"    docker://[REGISTRYURL/]IMAGE_NAME[:TAG]\n";

/* flag.PrintDefaults() of the original (plus our own flags). */
static void usage(const char *prog)
{
	fprintf(stderr, "Usage of %s:\n%sFlags:\n", prog, usage_text);
	fputs("  -compression string\n"
	      "    \tType of compression to use; allowed values: gzip, none, xz (default \"gzip\")\n"
	      "  -debug\n"
	      "    \tEnables debug messages\n"
	      "  -image string\n"
	      "    \tWhen converting a local file, it selects a particular image to convert. Format: IMAGE_NAME[:TAG]\n"
	      "  -insecure-allow-http\n"
	      "    \tUses unencrypted connections when fetching images\n"
	      "  -insecure-skip-verify\n"
	      "    \tDon't verify certificates when fetching images\n"
	      "  -nosquash\n"
	      "    \tDon't squash layers and output every layer as ACI\n"
	      "  -output-dir string\n"
	      "    \tDirectory to write the ACIs to (default \".\")\n"
	      "  -version\n"
	      "    \tPrint version\n",
	      stderr);
}

static void log_line(void *arg, int debug, const char *msg)
{
	(void)arg;
	if (debug && !flag_debug)
		return;
	fprintf(stderr, "%s\n", msg);
}

/* Go's %q for the strings we print (names and paths): quotes and escapes. */
static void print_quoted(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_summary(const struct ac_docker_result *res)
{
	json_t *app = json_object_get(res->manifest, "app"), *x;
	size_t i;
	json_t *mps = json_object_get(app, "mountPoints");
	if (json_array_size(mps)) {
		printf("\nConverted volumes:\n");
		json_array_foreach(mps, i, x) {
			fputs("\tname: ", stdout);
			print_quoted(json_string_value(json_object_get(x, "name")));
			fputs(", path: ", stdout);
			print_quoted(json_string_value(json_object_get(x, "path")) ? json_string_value(json_object_get(x, "path")) : "");
			printf(", readOnly: %s\n", json_is_true(json_object_get(x, "readOnly")) ? "true" : "false");
		}
	}
	json_t *ports = json_object_get(app, "ports");
	if (json_array_size(ports)) {
		printf("\nConverted ports:\n");
		json_array_foreach(ports, i, x) {
			fputs("\tname: ", stdout);
			print_quoted(json_string_value(json_object_get(x, "name")));
			fputs(", protocol: ", stdout);
			print_quoted(json_string_value(json_object_get(x, "protocol")));
			printf(", port: %" JSON_INTEGER_FORMAT ", count: %" JSON_INTEGER_FORMAT ", socketActivated: %s\n",
			       json_integer_value(json_object_get(x, "port")), json_integer_value(json_object_get(x, "count")),
			       json_is_true(json_object_get(x, "socketActivated")) ? "true" : "false");
		}
	}
	printf("\nGenerated ACI(s):\n");
	for (char **p = res->acis; p && *p; p++)
		printf("%s\n", *p);
}

int main(int argc, char **argv)
{
	int nosquash = 0, version = 0, insecure_skip = 0, insecure_http = 0;
	const char *image = "", *compression = "gzip", *output_dir = ".";
	const struct ac_opt opts[] = {
		{ "compression", AC_OPT_STRING, &compression, NULL, "gzip" },
		{ "debug", AC_OPT_BOOL, &flag_debug, NULL, NULL },
		{ "image", AC_OPT_STRING, &image, NULL, NULL },
		{ "insecure-allow-http", AC_OPT_BOOL, &insecure_http, NULL, NULL },
		{ "insecure-skip-verify", AC_OPT_BOOL, &insecure_skip, NULL, NULL },
		{ "nosquash", AC_OPT_BOOL, &nosquash, NULL, NULL },
		{ "output-dir", AC_OPT_STRING, &output_dir, NULL, "." },
		{ "version", AC_OPT_BOOL, &version, NULL, NULL },
		{ NULL, 0, NULL, NULL, NULL },
	};
	const char *prog = argv[0];
	int optind = 1;
	ac_error *err = NULL;
	int r = ac_opts_parse(opts, argc, argv, &optind, &err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err->msg);
		ac_error_free(&err);
		usage(prog);
		return 2;
	}
	if (r == AC_OPTS_HELP) {
		usage(prog);
		return 0;
	}
	if (version) {
		printf("docker2aci version %s\nappc version %s\n", AC_DOCKER2ACI_VERSION, AC_DOCKER_APPC_VERSION);
		return ac_cli_finish(0, "docker2aci");
	}
	if (argc - optind != 1) {
		usage(prog);
		return 2;
	}
	const char *arg = argv[optind];

	struct ac_docker_opts o = { 0 };
	o.comp.level = -1;
	if (!strcmp(compression, "gzip"))
		o.comp.type = AC_COMP_GZIP;
	else if (!strcmp(compression, "none"))
		o.comp.type = AC_COMP_NONE;
	else if (!strcmp(compression, "xz"))
		o.comp.type = AC_COMP_XZ;
	else {
		fprintf(stderr, "Error: unknown compression method: %s\n", compression);
		return 1;
	}
	o.image = image;
	o.nosquash = nosquash;
	o.output_dir = output_dir;
	o.log = log_line;

	/* url.Parse: a "docker" scheme means a registry */
	if (!strncasecmp(arg, "docker:", 7)) {
		if (*image) {
			fprintf(stderr, "Error: flag --image works only with files.\n");
			return 1;
		}
		fprintf(stderr, "Error: conversion error: registry input (docker://) is not supported yet\n");
		return 1;
	}

	struct ac_docker_result res;
	if (ac_docker_convert_file(arg, &o, &res, &err) < 0) {
		if (err->code == AC_DOCKER_ESEVERAL && res.images) {
			fprintf(stderr, "Error: conversion error: %s, use option --image with one of:\n\n", err->msg);
			for (size_t i = 0; res.images[i]; i++)
				fprintf(stderr, "%s%s", i ? "\n" : "", res.images[i]);
			fputc('\n', stderr);
		} else {
			fprintf(stderr, "Error: conversion error: %s\n", err->msg);
		}
		ac_error_free(&err);
		ac_docker_result_free(&res);
		return 1;
	}
	print_summary(&res);
	ac_docker_result_free(&res);
	return ac_cli_finish(0, "docker2aci");
}
