/* docker2aci: converts a Docker or OCI image into ACIs, with the command
 * line, output and exit statuses of docker2aci v0.17.2.  The conversion
 * itself is library code (ac/docker.h). */
#include <ac/cli.h>
#include <ac/doc.h>
#include <ac/docker.h>
#include <ac/fs.h>
#include <ac/registry.h>
#include <ac/util.h>

static int flag_debug;

static const char *const usage_text =
	"docker2aci [-debug] [-nosquash] [-compression=(gzip|none|xz)] IMAGE\n"
	"  Where IMAGE is\n"
	"    [-image=IMAGE_NAME[:TAG]] FILEPATH\n"
	"  or\n"
	"    docker://[REGISTRYURL/]IMAGE_NAME[:TAG]\n";

static int nosquash, version, insecure_skip, insecure_http, jobs = 3, quiet, password_stdin, json_out, timeout;
static const char *image = "", *compression = "gzip", *output_dir = ".", *authfile = "", *username = "",
		  *platform = "", *cert_dir = "";

/* One table for parsing, --help, the man page and completions (sorted by
 * name, as Go's flag package prints them). */
static const struct ac_opt opts[] = {
	{ "authfile", AC_OPT_STRING, &authfile, "docker config.json-style credentials file (default $HOME/.docker/config.json)", NULL },
	{ "cert-dir", AC_OPT_STRING, &cert_dir, "Extra CA certificates for registries: a PEM file, or a directory of *.crt and *.pem files (added to the system's)", NULL },
	{ "compression", AC_OPT_STRING, &compression, "Type of compression to use; allowed values: gzip, none, xz", "gzip" },
	{ "debug", AC_OPT_BOOL, &flag_debug, "Enables debug messages", NULL },
	{ "image", AC_OPT_STRING, &image, "When converting a local file, it selects a particular image to convert. Format: IMAGE_NAME[:TAG]", NULL },
	{ "insecure-allow-http", AC_OPT_BOOL, &insecure_http, "Uses unencrypted connections when fetching images", NULL },
	{ "insecure-skip-verify", AC_OPT_BOOL, &insecure_skip, "Don't verify certificates when fetching images", NULL },
	{ "jobs", AC_OPT_INT, &jobs, "Parallel blob downloads", "3" },
	{ "json", AC_OPT_BOOL, &json_out, "Print the summary as JSON on stdout (see JSON OUTPUT in docker2aci(1))", NULL },
	{ "nosquash", AC_OPT_BOOL, &nosquash, "Don't squash layers and output every layer as ACI", NULL },
	{ "output-dir", AC_OPT_STRING, &output_dir, "Directory to write the ACIs to", "." },
	{ "password-stdin", AC_OPT_BOOL, &password_stdin, "Read the registry password from stdin (with -username)", NULL },
	{ "platform", AC_OPT_STRING, &platform, "os/arch[/variant] to pick from a manifest list (default: this machine's)", NULL },
	{ "quiet", AC_OPT_BOOL, &quiet, "No progress output", NULL },
	{ "timeout", AC_OPT_INT, &timeout, "Seconds a registry may take to connect or stay silent before a request fails and is retried (0: 30 to connect, 60 silent)", "0" },
	{ "username", AC_OPT_STRING, &username, "Registry user name", NULL },
	{ "version", AC_OPT_BOOL, &version, "Print version", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

/* flag.PrintDefaults() of the original. */
static void usage(const char *prog)
{
	fprintf(stderr, "Usage of %s:\n%sFlags:\n", prog, usage_text);
	for (const struct ac_opt *o = opts; o->name; o++) {
		fprintf(stderr, "  -%s%s\n    \t%s", o->name,
			o->type == AC_OPT_BOOL ? "" : o->type == AC_OPT_INT ? " int" : " string", o->help);
		if (o->defval && *o->defval)
			fprintf(stderr, o->type == AC_OPT_STRING ? " (default \"%s\")" : " (default %s)", o->defval);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Foreign layers are fetched from the registry by digest; their URLs are not followed.\n");
}

static const char *const man_sections[] = {
	"OUTPUT",
	"The names of the generated ACIs are printed on standard output after \"Generated ACI(s):\", "
	"preceded by the converted volumes and ports, as docker2aci v0.17.2 prints them. Files are "
	"written under a temporary name and renamed, so an interrupted conversion leaves no partial image.",
	"JSON OUTPUT",
	"With -json the summary is one JSON object on standard output instead of the text (messages and "
	"errors still go to standard error). Its shape is stable; fields may be added, never renamed:\n\n"
	"  {\n"
	"    \"acis\": [\"./library-nginx-latest.aci\"],\n"
	"    \"name\": \"library/nginx\",\n"
	"    \"volumes\": [{\"name\": \"volume-data\", \"path\": \"/data\", \"readOnly\": false}],\n"
	"    \"ports\": [{\"name\": \"80-tcp\", \"protocol\": \"tcp\", \"port\": 80, \"count\": 1, "
	"\"socketActivated\": false}]\n"
	"  }\n\n"
	"acis: the generated files as after \"Generated ACI(s):\" (with -nosquash the base layer first); "
	"name: the app name of the last one; volumes and ports: its mountPoints and ports as converted "
	"(empty arrays when there are none).",
	"FOREIGN LAYERS",
	"Layers whose descriptor lists URLs (Docker's foreign layers, such as Windows base layers) are "
	"fetched from the registry by digest like any other blob; the URLs are not followed.",
	"EXIT STATUS",
	"0 on success; 1 when the conversion failed (\"Error: conversion error: ...\"); 2 for usage errors.",
	"ENVIRONMENT",
	"SSL_CERT_FILE\n  a CA bundle for registries with a private CA (replaces the system's; -cert-dir adds to it).\n\n"
	"HOME\n  $HOME/.docker/config.json holds registry credentials (auths, credHelpers, credsStore).",
	"EXAMPLES",
	"  docker save busybox > busybox.tar && docker2aci busybox.tar\n"
	"  docker2aci -image busybox:1.36 images.tar\n"
	"  docker2aci docker://busybox:latest\n"
	"  docker2aci --platform linux/arm64 docker://registry.example.com/app:1.0",
	"SEE ALSO",
	"actool(1), acbuild(1), acrun(1).",
	NULL, NULL,
};

static int write_doc(const char *what)
{
	size_t n = 0;
	while (opts[n].name)
		n++;
	struct ac_doc_opt *d = xcalloc(n + 1, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		d[i].name = opts[i].name;
		d[i].arg = opts[i].type == AC_OPT_BOOL ? NULL : opts[i].type == AC_OPT_INT ? "N" : "VALUE";
		d[i].help = opts[i].help;
		d[i].def = opts[i].defval;
	}
	struct ac_doc_tool t = {
		.name = "docker2aci",
		.summary = "convert Docker and OCI images to App Container Images",
		.synopsis = "[flags] {[-image=NAME[:TAG]] FILE | docker://[REGISTRY/]NAME[:TAG|@DIGEST]}",
		.description = "docker2aci reads an image from a registry (Docker Registry HTTP API v2) or from a "
			       "local archive (docker save of any Docker version, skopeo docker-archive, an OCI image "
			       "layout as a directory or a tar), squashes its layers with Docker's whiteout rules and "
			       "writes one App Container Image, with the manifest mapping and the file names of "
			       "docker2aci v0.17.2. With -nosquash it writes one image per layer, chained by dependencies. "
			       "Flags are Go-style: -flag, --flag, -flag=value.",
		.global = d,
		.nglobal = n,
		.sections = man_sections,
		.version = AC_DOCKER2ACI_VERSION,
	};
	int r = ac_doc_write(stdout, &t, what);
	free(d);
	return r < 0 ? 2 : ac_cli_finish(0, "docker2aci");
}

static void progress(void *arg, unsigned long long done, unsigned long long total, unsigned blobs_done,
		     unsigned blobs)
{
	(void)arg;
	if (total)
		fprintf(stderr, "\rDownloading %u/%u blobs: %.1f MB / %.1f MB\033[K", blobs_done, blobs, done / 1e6,
			total / 1e6);
	else
		fprintf(stderr, "\rDownloading %u/%u blobs: %.1f MB\033[K", blobs_done, blobs, done / 1e6);
	if (blobs && blobs_done == blobs)
		fputc('\n', stderr);
	fflush(stderr);
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

/* The -json summary; its shape is documented in JSON OUTPUT above. */
static void print_json(const struct ac_docker_result *res)
{
	json_t *app = json_object_get(res->manifest, "app"), *x;
	size_t i;
	json_t *acis = json_array(), *vols = json_array(), *ports = json_array();
	for (char **p = res->acis; p && *p; p++)
		json_array_append_new(acis, json_string(*p));
	json_array_foreach(json_object_get(app, "mountPoints"), i, x)
		json_array_append_new(vols, json_pack("{s:O?,s:O?,s:b}", "name", json_object_get(x, "name"), "path",
						      json_object_get(x, "path"), "readOnly",
						      json_is_true(json_object_get(x, "readOnly"))));
	json_array_foreach(json_object_get(app, "ports"), i, x)
		json_array_append_new(ports, json_pack("{s:O?,s:O?,s:I,s:I,s:b}", "name", json_object_get(x, "name"),
						       "protocol", json_object_get(x, "protocol"), "port",
						       json_integer_value(json_object_get(x, "port")), "count",
						       json_integer_value(json_object_get(x, "count")), "socketActivated",
						       json_is_true(json_object_get(x, "socketActivated"))));
	json_t *o = json_pack("{s:o,s:O?,s:o,s:o}", "acis", acis, "name", json_object_get(res->manifest, "name"),
			      "volumes", vols, "ports", ports);
	char *t = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (t)
		printf("%s\n", t);
	free(t);
	json_decref(o);
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
	if (argc == 3 && !strcmp(argv[1], "__doc")) /* hidden: man page and completions for the build */
		return write_doc(argv[2]);
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
		if (jobs < 1) {
			fprintf(stderr, "Error: -jobs must be at least 1\n");
			return 2;
		}
		if (password_stdin && !*username) {
			fprintf(stderr, "Error: --password-stdin needs --username\n");
			return 2;
		}
	}

	struct ac_docker_result res;
	int rc;
	if (!strncasecmp(arg, "docker:", 7)) {
		const char *ref = arg + 7;
		if (!strncmp(ref, "//", 2))
			ref += 2;
		_cleanup_free_ char *password = NULL;
		if (password_stdin) {
			size_t len;
			if (ac_read_fd(0, 1 << 16, &password, &len, &err) < 0) {
				fprintf(stderr, "Error: reading the password: %s\n", err->msg);
				ac_error_free(&err);
				return 1;
			}
			password[strcspn(password, "\r\n")] = '\0';
		}
		struct ac_registry_opts ro = { 0 };
		ro.allow_http = insecure_http;
		ro.insecure_tls = insecure_skip;
		ro.authfile = *authfile ? authfile : NULL;
		ro.username = *username ? username : NULL;
		ro.password = password;
		ro.platform = *platform ? platform : NULL;
		ro.jobs = jobs;
		if (timeout < 0) {
			fprintf(stderr, "Error: -timeout must not be negative\n");
			return 2;
		}
		ro.timeout = (unsigned)timeout;
		ro.cert_dir = *cert_dir ? cert_dir : NULL;
		if (!quiet && isatty(2))
			ro.progress = progress;
		rc = ac_docker_convert_remote(ref, &o, &ro, &res, &err);
	} else {
		rc = ac_docker_convert_file(arg, &o, &res, &err);
	}
	if (rc < 0) {
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
	if (json_out)
		print_json(&res);
	else
		print_summary(&res);
	ac_docker_result_free(&res);
	return ac_cli_finish(0, "docker2aci");
}
