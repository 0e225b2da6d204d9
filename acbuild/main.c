/* acbuild: command table, cobra/pflag-style command line, dispatch, history
 * annotations, --modify mode and exit codes. */
#include "acbuild.h"

#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include "ac/cli.h"
#include "ac/doc.h"
#include "ac/compress.h"
#include "ac/fs.h"

/* ---- flags (pflag: "--name", "--name=v", "--name v", "-h") ---- */

enum { F_BOOL, F_STR, F_LIST };

struct flagdef {
	const char *name;
	char shorthand;
	int type;
	size_t off; /* in struct acb_opts */
	const char *help;
	const char *def; /* shown in usage */
};

#define OPT(f) offsetof(struct acb_opts, f)

static const struct flagdef global_flags[] = {
	{ "debug", 0, F_BOOL, OPT(debug), "Print out debug information to stderr", NULL },
	{ "work-path", 0, F_STR, OPT(work_path), "Path to place working files in", "." },
	{ "modify-appc", 0, F_STR, OPT(modify), "Path to an ACI to modify (ignores build context)", NULL },
	{ "modify", 0, F_STR, OPT(modify), "Path to an ACI to modify (ignores build context; v0.4.0 spelling)", NULL },
	{ "modify-oci", 0, F_STR, OPT(modify_oci), "Path to an OCI image to modify (not supported)", NULL },
	{ "no-history", 0, F_BOOL, OPT(no_history), "Don't add annotations with the command that was run", NULL },
	{ "quiet", 'q', F_BOOL, OPT(quiet), "No progress line on a terminal during long work (begin, write)", NULL },
	{ "help", 'h', F_BOOL, OPT(help), "help for acbuild", NULL },
	{ NULL, 0, 0, 0, NULL, NULL },
};

static const struct flagdef begin_flags[] = {
	{ "insecure", 0, F_BOOL, OPT(insecure), "Allows fetching dependencies over an unencrypted connection", NULL },
	{ "build-mode", 0, F_STR, OPT(build_mode), "Which build mode to operate in. Accepts: appc", "appc" },
	{ NULL, 0, 0, 0, NULL, NULL },
};
static const struct flagdef write_flags[] = {
	{ "overwrite", 0, F_BOOL, OPT(overwrite), "overwrite the resulting ACI", NULL },
	{ "compression", 0, F_STR, OPT(compression), "compression of the ACI: gzip, xz, bzip2 or none", "gzip" },
	{ "sign", 0, F_BOOL, OPT(sign), "sign the resulting ACI (ACI.asc, armored, with gpg's default key)", NULL },
	{ "sign-key", 0, F_STR, OPT(sign_key), "key to sign with (implies --sign)", NULL },
	{ NULL, 0, 0, 0, NULL, NULL },
};
static const struct flagdef cat_flags[] = {
	{ "pretty-print", 0, F_BOOL, OPT(pretty_print), "Print the manifest with whitespace", NULL },
	{ "file", 0, F_STR, OPT(file), "(oci only) Which file to print, accepts \"manifest\" (the default), and \"config\"", "manifest" },
	{ NULL, 0, 0, 0, NULL, NULL },
};
static const struct flagdef dep_flags[] = {
	{ "image-id", 0, F_STR, OPT(image_id), "Content hash of the dependency", NULL },
	{ "label", 0, F_LIST, OPT(labels), "Labels used for dependency matching", NULL },
	{ "size", 0, F_STR, OPT(size), "The size of the image of the referenced dependency, in bytes", "0" },
	{ NULL, 0, 0, 0, NULL, NULL },
};
static const struct flagdef mount_flags[] = {
	{ "read-only", 0, F_BOOL, OPT(read_only), "(appc only) Set the mount point to be read only", NULL },
	{ NULL, 0, 0, 0, NULL, NULL },
};
static const struct flagdef port_flags[] = {
	{ "count", 0, F_STR, OPT(count), "(appc only) Specifies a range of ports, going from PORT to PORT + count - 1", "1" },
	{ "socket-activated", 0, F_BOOL, OPT(socket_activated), "(appc only) Set the app to be socket activated on this/these port/ports", NULL },
	{ NULL, 0, 0, 0, NULL, NULL },
};
static const struct flagdef run_flags[] = {
	{ "engine", 0, F_STR, OPT(engine), "The engine used to run the command", NULL },
	{ "working-dir", 0, F_STR, OPT(working_dir), "The working directory inside the container for this command", NULL },
	{ "insecure", 0, F_BOOL, OPT(insecure), "Allows fetching dependencies over http", NULL },
	{ NULL, 0, 0, 0, NULL, NULL },
};

/* ---- commands ---- */

enum {
	C_CTX = 1,      /* locks the context and loads the manifest first */
	C_HISTORY = 2,  /* records a history annotation on success */
	C_NOMODIFY = 4, /* refused with --modify */
	C_STRICT = 8,   /* any wrong argument count shows the usage */
};

struct cmd {
	const char *name;
	const char *aliases[3];
	const char *use, *shortdesc, *example;
	const struct cmd *subs; /* ends with name NULL */
	acb_fn *fn;
	const char *msgname;    /* message prefix when it differs from the path */
	int nmin, nmax;         /* nmax -1: unlimited */
	int flags;
	const struct flagdef *fl;
};

static int cmd_version(struct acb *b, int argc, char **argv, ac_error **err);
static int cmd_help(struct acb *b, int argc, char **argv, ac_error **err);

#define END_CMDS { NULL, { NULL }, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL }
#define EDIT (C_CTX | C_HISTORY)

static const struct cmd label_cmds[] = {
	{ "add", { NULL }, "add NAME VALUE", "Add a label, or update an existing one", "acbuild label add arch amd64",
	  NULL, cmd_label_add, NULL, 2, 2, EDIT, NULL },
	{ "remove", { "rm", NULL }, "remove NAME", "Remove a label", "acbuild label remove arch",
	  NULL, cmd_label_remove, NULL, 1, 1, EDIT, NULL },
	END_CMDS,
};
static const struct cmd anno_cmds[] = {
	{ "add", { NULL }, "add NAME VALUE", "Add an annotation, or updates an existing annotation",
	  "acbuild annotation add documentation https://example.com/docs", NULL, cmd_annotation_add, NULL, 2, 2, EDIT, NULL },
	{ "remove", { "rm", NULL }, "remove NAME", "Remove an annotation", "acbuild annotation remove documentation",
	  NULL, cmd_annotation_remove, NULL, 1, 1, EDIT, NULL },
	END_CMDS,
};
static const struct cmd env_cmds[] = {
	{ "add", { NULL }, "add NAME VALUE", "Add an environment variable, or update an existing one",
	  "acbuild environment add REDUCE_WORKER_DEBUG true", NULL, cmd_environment_add, NULL, 2, 2, EDIT, NULL },
	{ "remove", { "rm", NULL }, "remove NAME", "Remove an environment variable",
	  "acbuild environment remove REDUCE_WORKER_DEBUG", NULL, cmd_environment_remove, NULL, 1, 1, EDIT, NULL },
	END_CMDS,
};
static const struct cmd dep_cmds[] = {
	{ "add", { NULL }, "add IMAGE_NAME", "Add a new dependency, or update an existing one (appc only)",
	  "acbuild dependency add example.com/reduce-worker-base --label os=linux --label env=canary --size 22017258",
	  NULL, cmd_dependency_add, NULL, 1, 1, EDIT, dep_flags },
	{ "remove", { "rm", NULL }, "remove IMAGE_NAME", "Remove a dependency (appc only)",
	  "acbuild dependency remove example.com/reduce-worker-base", NULL, cmd_dependency_remove, NULL, 1, 1, EDIT, NULL },
	END_CMDS,
};
static const struct cmd mount_cmds[] = {
	{ "add", { NULL }, "add NAME PATH", "Add a mount point", "acbuild mount add htmlfiles /usr/share/nginx/html --read-only",
	  NULL, cmd_mount_add, NULL, 2, 2, EDIT, mount_flags },
	{ "remove", { "rm", NULL }, "remove NAME/PATH", "Remove a mount point with the given name or path",
	  "acbuild mount remove /usr/share/nginx/html", NULL, cmd_mount_remove, NULL, 1, 1, EDIT, NULL },
	END_CMDS,
};
static const struct cmd port_cmds[] = {
	{ "add", { NULL }, "add NAME PROTOCOL PORT", "Add a port", "acbuild port add https tcp 443 --socket-activated",
	  NULL, cmd_port_add, NULL, 3, 3, EDIT, port_flags },
	{ "remove", { "rm", NULL }, "remove NAME/PORT", "Remove a port with the given name or port number",
	  "acbuild port remove https", NULL, cmd_port_remove, NULL, 1, 1, EDIT, NULL },
	END_CMDS,
};
static const struct cmd iso_cmds[] = {
	{ "add", { NULL }, "add NAME JSON_FILE", "Add an isolator, or update an existing one (appc only)",
	  "acbuild isolator add resource/cpu ./value.json", NULL, cmd_isolator_add, NULL, 2, 2, EDIT, NULL },
	{ "remove", { "rm", NULL }, "remove NAME", "Remove an isolator (appc only)", "acbuild isolator remove resource/memory",
	  NULL, cmd_isolator_remove, NULL, 1, 1, EDIT, NULL },
	END_CMDS,
};
static const struct cmd eh_cmds[] = {
	{ "pre-start", { NULL }, "pre-start CMD [ARGS]", "Set the pre-start event handler (appc only)",
	  "acbuild set-event-handler pre-start /root/setup-stuff.sh", NULL, cmd_set_eh_pre_start, "pre-start", 1, -1, EDIT, NULL },
	{ "post-stop", { NULL }, "post-stop CMD [ARGS]", "Set the post-stop event handler (appc only)",
	  "acbuild set-event-handler post-stop /bin/report-results.sh", NULL, cmd_set_eh_post_stop, "post-stop", 1, -1, EDIT, NULL },
	END_CMDS,
};

static const struct cmd top_cmds[] = {
	{ "annotation", { NULL }, "annotation [command]", "Manage annotations", NULL, anno_cmds, NULL, NULL, 0, 0, 0, NULL },
	{ "begin", { NULL }, "begin [START_ACI]", "Start a new build, with either a new and empty image or an existing image",
	  "acbuild begin", NULL, cmd_begin, NULL, 0, 1, C_NOMODIFY, begin_flags },
	{ "cat-manifest", { NULL }, "cat-manifest", "Print the manifest from the current build", "acbuild cat-manifest",
	  NULL, cmd_cat_manifest, NULL, 0, 0, C_CTX | C_STRICT, cat_flags },
	{ "copy", { NULL }, "copy PATH_ON_HOST PATH_IN_ACI", "Copy a file or directory into the image",
	  "acbuild copy nginx.conf /etc/nginx/nginx.conf", NULL, cmd_copy, NULL, 2, 2, EDIT, NULL },
	{ "copy-to-dir", { NULL }, "copy-to-dir PATH1_ON_HOST PATH2_ON_HOST ... PATH_IN_ACI",
	  "Copy a file or directory into a directory in the image", "acbuild copy-to-dir build/bin/* /usr/bin",
	  NULL, cmd_copy_to_dir, NULL, 2, -1, EDIT, NULL },
	{ "dependency", { NULL }, "dependency [command]", "Manage dependencies (appc only)", NULL, dep_cmds, NULL, NULL, 0, 0, 0, NULL },
	{ "end", { NULL }, "end", "end a current build", "acbuild end", NULL, cmd_end, NULL, 0, 0, C_NOMODIFY, NULL },
	{ "environment", { NULL }, "environment [command]", "Manage environment variables", NULL, env_cmds, NULL, NULL, 0, 0, 0, NULL },
	{ "help", { NULL }, "help [command]", "Help about any command", "acbuild help label add", NULL, cmd_help, NULL, 0, -1, C_NOMODIFY, NULL },
	{ "isolator", { NULL }, "isolator [command]", "Manage isolators (appc only)", NULL, iso_cmds, NULL, NULL, 0, 0, 0, NULL },
	{ "label", { NULL }, "label [command]", "Manage labels", NULL, label_cmds, NULL, NULL, 0, 0, 0, NULL },
	{ "layer", { NULL }, "layer", "Add a new layer to the image (oci only)", "acbuild layer", NULL, cmd_layer, NULL, 0, 0, C_CTX | C_STRICT, NULL },
	{ "mount", { "volume", NULL }, "mount [command]", "Manage mount points", NULL, mount_cmds, NULL, NULL, 0, 0, 0, NULL },
	{ "port", { NULL }, "port [command]", "Manage ports", NULL, port_cmds, NULL, NULL, 0, 0, 0, NULL },
	{ "replace-manifest", { NULL }, "replace-manifest PATH_TO_MANIFEST", "Replace the manifest in the current build",
	  "acbuild replace-manifest path/to/manifest", NULL, cmd_replace_manifest, NULL, 1, 1, EDIT, NULL },
	{ "run", { NULL }, "run -- CMD [ARGS]", "Run a command in an ACI", "acbuild run -- yum install nginx",
	  NULL, cmd_run, NULL, 1, -1, EDIT, run_flags },
	{ "script", { NULL }, "script SCRIPT_FILE", "Runs an acbuild script", "acbuild script build-myapp.acb",
	  NULL, cmd_script, NULL, 1, 1, C_NOMODIFY, NULL },
	{ "set-event-handler", { "set-eh", NULL }, "set-event-handler [command]", "Manage event handlers", NULL, eh_cmds, NULL, NULL, 0, 0, 0, NULL },
	{ "set-exec", { NULL }, "set-exec -- CMD [ARGS]", "Set the command to execute when this image is run",
	  "acbuild set-exec -- /usr/sbin/nginx -g \"daemon off;\"", NULL, cmd_set_exec, NULL, 1, -1, EDIT, NULL },
	{ "set-group", { NULL }, "set-group GROUP", "Set the group that is used when this image is run", "acbuild set-group www-data",
	  NULL, cmd_set_group, NULL, 1, 1, EDIT, NULL },
	{ "set-name", { NULL }, "set-name ACI_NAME", "Set the image name (appc only)", "acbuild set-name quay.io/coreos/etcd",
	  NULL, cmd_set_name, NULL, 1, 1, EDIT, NULL },
	{ "set-supp-groups", { NULL }, "set-supp-groups [GROUPS]", "Set the supplementary GID's that are used when this image is run",
	  "acbuild set-supp-groups 200 300 400", NULL, cmd_set_supp_groups, NULL, 1, -1, EDIT, NULL },
	{ "set-tag", { NULL }, "set-tag TAG", "Set the tag (the version label)", "acbuild set-tag v1.0.0",
	  NULL, cmd_set_tag, NULL, 1, 1, EDIT, NULL },
	{ "set-user", { NULL }, "set-user USER", "Set the user that is used when this image is run", "acbuild set-user www-data",
	  NULL, cmd_set_user, NULL, 1, 1, EDIT, NULL },
	{ "set-working-directory", { "set-wd", NULL }, "set-working-directory DIR",
	  "Set the working directory that is used when the image is run", "acbuild set-working-directory /root",
	  NULL, cmd_set_working_directory, "set-working-dir", 1, 1, EDIT, NULL },
	{ "version", { NULL }, "version", "Get the version of acbuild", "acbuild version", NULL, cmd_version, NULL, 0, 0,
	  C_NOMODIFY | C_STRICT, NULL },
	{ "write", { NULL }, "write ACI_PATH", "Write the image from the current build to a file", "acbuild write mynewapp.aci",
	  NULL, cmd_write, NULL, 1, 1, C_CTX | C_NOMODIFY | C_STRICT, write_flags },
	END_CMDS,
};

static const struct cmd root_cmd = {
	"acbuild", { NULL }, "acbuild [command]", "the application container build system", NULL, top_cmds, NULL, NULL, 0, 0, 0, NULL,
};

static const struct cmd *find_sub(const struct cmd *parent, const char *name, const struct cmd **parent_out)
{
	const struct cmd *hit = NULL;
	int nhit = 0;
	(void)parent_out;
	for (const struct cmd *c = parent->subs; c && c->name; c++) {
		if (!strcmp(c->name, name))
			return c;
		for (int i = 0; c->aliases[i]; i++)
			if (!strcmp(c->aliases[i], name))
				return c;
	}
	/* cobra's EnablePrefixMatching: an unambiguous prefix */
	for (const struct cmd *c = parent->subs; c && c->name; c++)
		if (*name && ac_str_has_prefix(c->name, name))
			hit = c, nhit++;
	return nhit == 1 ? hit : NULL;
}

/* "acbuild label add": the command's full path. */
struct cmdpath {
	const struct cmd *v[4];
	int n;
};

static void path_string(const struct cmdpath *p, char *buf, size_t len, int skip_root)
{
	buf[0] = 0;
	for (int i = skip_root; i < p->n; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s", l ? " " : "", p->v[i]->name);
	}
}

/* ---- usage (the original's template) ---- */

static void print_flags(FILE *f, const struct flagdef *fl)
{
	for (; fl && fl->name; fl++) {
		char left[64];
		if (fl->shorthand)
			snprintf(left, sizeof(left), "  -%c, --%s%s", fl->shorthand, fl->name,
				 fl->type == F_BOOL ? "" : " string");
		else
			snprintf(left, sizeof(left), "      --%s%s", fl->name,
				 fl->type == F_BOOL ? "" : fl->type == F_LIST ? " Labels" : " string");
		fprintf(f, "%-34s %s", left, fl->help);
		if (fl->def)
			fprintf(f, " (default \"%s\")", fl->def);
		fputc('\n', f);
	}
}

static void usage(const struct cmdpath *p)
{
	const struct cmd *c = p->v[p->n - 1];
	char path[128];
	path_string(p, path, sizeof(path), 0);
	FILE *f = stdout;
	fprintf(f, "NAME:\n\t%s - %s\n\n", c->name, c->shortdesc);
	/* UseLine: the parents' path, then Use */
	char parent[128];
	struct cmdpath pp = *p;
	pp.n--;
	path_string(&pp, parent, sizeof(parent), 0);
	fprintf(f, "USAGE:\n\t%s%s%s%s\n\n", parent, *parent ? " " : "", c->use,
		(c->fl || p->n == 1) ? " [flags]" : "");
	if (c->example)
		fprintf(f, "EXAMPLE:\n\t%s\n\n", c->example);
	if (c->subs) {
		fprintf(f, "COMMANDS:\n");
		for (const struct cmd *s = c->subs; s->name; s++) {
			char name[128];
			int n = snprintf(name, sizeof(name), "%s", s->name);
			for (const struct cmd *t = s->subs; t && t->name; t++)
				n += snprintf(name + n, sizeof(name) - n, "%s%s", t == s->subs ? " [" : "|", t->name);
			if (s->subs)
				snprintf(name + n, sizeof(name) - n, "]");
			fprintf(f, "\t%-34s %s\n", name, s->shortdesc);
		}
		fputc('\n', f);
	}
	fprintf(f, "OPTIONS:\n");
	print_flags(f, p->n == 1 ? global_flags : c->fl);
	if (p->n == 1)
		fprintf(f, "\nDOCUMENTATION:\n\tAdditional documentation is available at "
			   "https://github.com/containers/build\n");
	else {
		fprintf(f, "\nGLOBAL OPTIONS:\n");
		print_flags(f, global_flags);
	}
}

/* ---- parsing ---- */

struct parsed {
	struct cmdpath path;
	char **args;
	int nargs;
};

static const struct flagdef *lookup_flag(const struct flagdef *fl, const char *name, size_t len, char shorthand)
{
	for (; fl && fl->name; fl++) {
		if (shorthand ? fl->shorthand == shorthand : (strlen(fl->name) == len && !strncmp(fl->name, name, len)))
			return fl;
	}
	return NULL;
}

static int set_flag(struct acb_opts *o, const struct flagdef *fd, const char *value, ac_error **err)
{
	char *base = (char *)o + fd->off;
	switch (fd->type) {
	case F_BOOL: {
		int v = 1;
		if (value && ac_parse_bool(value, &v) < 0)
			return ac_error_set(err, ACB_EUSAGE, "invalid argument \"%s\" for --%s: strconv.ParseBool: parsing %s: invalid syntax",
					    value, fd->name, value);
		*(int *)base = v;
		return 0;
	}
	case F_STR:
		*(const char **)base = value;
		return 0;
	default:
		o->labels = xrealloc(o->labels, (o->nlabels + 2) * sizeof(char *));
		o->labels[o->nlabels++] = (char *)value;
		o->labels[o->nlabels] = NULL;
		return 0;
	}
}

/* Returns 0, or -1 with a cobra-style parse error (exit 3). */
static int parse_cmdline(int argc, char **argv, struct acb_opts *o, struct parsed *p, ac_error **err)
{
	p->path.v[0] = &root_cmd;
	p->path.n = 1;
	p->args = xcalloc(argc + 1, sizeof(char *));
	p->nargs = 0;
	int dashdash = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct cmd *cur = p->path.v[p->path.n - 1];
		if (!dashdash && !strcmp(a, "--")) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && a[0] == '-' && a[1]) {
			const struct flagdef *fd;
			const char *value = NULL;
			if (a[1] == '-') {
				const char *name = a + 2, *eq = strchr(name, '=');
				size_t len = eq ? (size_t)(eq - name) : strlen(name);
				fd = lookup_flag(global_flags, name, len, 0);
				if (!fd)
					fd = lookup_flag(cur->fl, name, len, 0);
				if (!fd)
					return ac_error_set(err, 0, "unknown flag: --%.*s", (int)len, name);
				if (eq)
					value = eq + 1;
			} else {
				fd = lookup_flag(global_flags, NULL, 0, a[1]);
				if (!fd)
					fd = lookup_flag(cur->fl, NULL, 0, a[1]);
				if (!fd)
					return ac_error_set(err, 0, "unknown shorthand flag: '%c' in %s", a[1], a);
				if (a[2] == '=')
					value = a + 3;
				else if (a[2])
					value = a + 2;
			}
			if (fd->type != F_BOOL && !value) {
				if (i + 1 >= argc)
					return ac_error_set(err, 0, "flag needs an argument: --%s", fd->name);
				value = argv[++i];
			}
			if (set_flag(o, fd, value, err) < 0)
				return -1;
			continue;
		}
		if (cur->subs && p->nargs == 0 && !dashdash) {
			const struct cmd *c = find_sub(cur, a, NULL);
			if (!c) {
				char path[128];
				path_string(&p->path, path, sizeof(path), 0);
				return ac_error_set(err, 0, "unknown command \"%s\" for \"%s\"", a, path);
			}
			if (p->path.n < (int)ARRAY_SIZE(p->path.v))
				p->path.v[p->path.n++] = c;
			continue;
		}
		p->args[p->nargs++] = a;
	}
	return 0;
}

/* ---- simple commands ---- */

static int cmd_version(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)b, (void)argc, (void)argv, (void)err;
	printf("acbuild version %s\nappc version %s\n", ACBUILD_VERSION, ACBUILD_APPC_VERSION);
	return 0;
}

static int cmd_help(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)b;
	struct cmdpath p = { { &root_cmd }, 1 };
	for (int i = 0; i < argc; i++) {
		const struct cmd *c = find_sub(p.v[p.n - 1], argv[i], NULL);
		if (!c)
			return ac_error_set(err, 0, "unknown help topic \"%s\"", argv[i]);
		if (p.n < (int)ARRAY_SIZE(p.v))
			p.v[p.n++] = c;
	}
	usage(&p);
	return 0;
}

int cmd_layer(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)b, (void)argc, (void)argv;
	return ac_error_set(err, 0, "adding layers is currently only supported in OCI builds");
}

/* ---- dispatch ---- */

static int exit_code(const ac_error *e)
{
	if (e->code == ACB_ENOTFOUND)
		return 2;
	if (e->code >= ACB_ECHILD && e->code <= ACB_ECHILD + 255)
		return e->code - ACB_ECHILD;
	return 1;
}

static int report(const struct cmdpath *p, const char *msgname, ac_error *e)
{
	int rc = exit_code(e);
	if (e->msg && *e->msg) {
		if (msgname && *msgname && e->code != ACB_EPLAIN)
			fprintf(stderr, "%s: %s\n", msgname, e->msg);
		else
			fprintf(stderr, "%s\n", e->msg);
	}
	if (e->code == ACB_EUSAGE)
		usage(p);
	return rc;
}

/* Runs fn in an already begun context b: lock, load, edit, history, save. */
static int run_in_context(struct acb *b, const struct cmd *c, const char *histpath, int argc, char **argv,
			  ac_error **err)
{
	if (acb_lock(b, err) < 0)
		return -1;
	int ret = -1;
	if (acb_load_manifest(b, err) < 0)
		goto out;
	if (c->fn(b, argc, argv, err) < 0)
		goto out;
	if ((c->flags & C_HISTORY) && !b->o->no_history) {
		acb_add_history(b, histpath, argc, argv);
		b->changed = 1;
	}
	if (b->changed && acb_save_manifest(b, err) < 0)
		goto out;
	ret = 0;
out:
	acb_unlock(b);
	return ret;
}

static int run_modify(struct acb_opts *o, const struct cmd *c, const char *histpath, const char *msgname,
		      int argc, char **argv, ac_error **err)
{
	const char *file = o->modify;
	if (o->modify && o->modify_oci)
		return ac_error_set(err, ACB_EPLAIN, "can't modify an appc image and an oci image at the same time");
	if (c->flags & C_NOMODIFY)
		return ac_error_set(err, ACB_EPLAIN, "Can't use --modify flags with %s.", c->name);
	if (!file)
		return ac_error_set(err, ACB_EPLAIN, "modifying OCI images is not supported");
	struct stat st;
	if (stat(file, &st) < 0) {
		if (errno == ENOENT)
			return ac_error_set(err, ACB_EPLAIN, "image doesn't appear to exist: %s.", file);
		return ac_error_errno(err, "error accessing image to modify");
	}
	if (S_ISDIR(st.st_mode))
		return ac_error_set(err, ACB_EPLAIN, "image to modify is a directory: %s.", file);
	_cleanup_free_ char *abs = realpath(file, NULL);
	if (!abs)
		return ac_error_errno(err, "%s", file);

	/* A private context, never the work path's .acbuild (the original's bug). */
	_cleanup_free_ char *dir = ac_mkdtemp(ac_tmpdir(), "acbuild-modify", err);
	if (!dir)
		return -1;
	struct acb b;
	acb_init(&b, o, dir);
	b.msgname = msgname;
	int comp = AC_COMP_GZIP, ret = -1;
	if (acb_begin(&b, abs, &comp, err) < 0)
		goto out;
	if (run_in_context(&b, c, histpath, argc, argv, err) < 0)
		goto out;
	if (comp == AC_COMP_UNKNOWN || comp == AC_COMP_ZSTD)
		comp = AC_COMP_GZIP;
	if (acb_lock(&b, err) < 0)
		goto out;
	ret = acb_write_aci(&b, file, 1, comp, NULL, err);
	if (ret < 0)
		ac_error_wrap(err, "%s", file);
	acb_unlock(&b);
out:;
	ac_error *e2 = NULL;
	if (ac_rm_rf(dir, &e2) < 0) {
		fprintf(stderr, "%s\n", e2->msg);
		ac_error_free(&e2);
	}
	acb_release(&b);
	return ret;
}

int acb_main(int argc, char **argv)
{
	struct acb_opts o;
	memset(&o, 0, sizeof(o));
	o.work_path = ".";
	struct parsed p;
	ac_error *err = NULL;
	int rc;

	if (parse_cmdline(argc, argv, &o, &p, &err) < 0) {
		fprintf(stderr, "Error: %s\n", err->msg);
		if (err->code == ACB_EUSAGE || !strncmp(err->msg, "unknown flag", 12) || !strncmp(err->msg, "unknown short", 13) ||
		    !strncmp(err->msg, "flag needs", 10) || !strncmp(err->msg, "invalid arg", 11))
			usage(&p.path);
		else
			fprintf(stderr, "Run 'acbuild --help' for usage.\n");
		ac_error_free(&err);
		free(p.args);
		free(o.labels);
		return 3;
	}
	const struct cmd *c = p.path.v[p.path.n - 1];
	if (o.help || !c->fn) {
		usage(&p.path);
		rc = 0;
		goto done;
	}

	char histpath[128], msgname[128];
	path_string(&p.path, histpath, sizeof(histpath), 1);
	path_string(&p.path, msgname, sizeof(msgname), 1);
	if (c->msgname)
		snprintf(msgname, sizeof(msgname), "%s", c->msgname);

	/* argument counts, as each original command checks them */
	int bad = p.nargs < c->nmin || (c->nmax >= 0 && p.nargs > c->nmax);
	if (bad) {
		if ((c->flags & C_STRICT) || (p.nargs == 0 && c->nmin > 0)) {
			usage(&p.path);
		} else {
			fprintf(stderr, "%s: incorrect number of arguments\n", msgname);
		}
		rc = 1;
		goto done;
	}

	if (o.modify || o.modify_oci) {
		if (run_modify(&o, c, histpath, msgname, p.nargs, p.args, &err) < 0)
			rc = report(&p.path, msgname, err);
		else
			rc = 0;
		goto done;
	}

	struct acb b;
	acb_init(&b, &o, o.work_path);
	b.msgname = msgname;
	int ret;
	if (c->flags & C_CTX)
		ret = run_in_context(&b, c, histpath, p.nargs, p.args, &err);
	else
		ret = c->fn(&b, p.nargs, p.args, &err);
	rc = ret < 0 ? report(&p.path, msgname, err) : 0;
	acb_release(&b);
done:
	ac_error_free(&err);
	free(p.args);
	free(o.labels);
	return rc;
}

/* ---- man page and completions (hidden: "acbuild __doc man|bash|zsh") ---- */

static struct ac_doc_opt *doc_flags(const struct flagdef *fl, size_t *n)
{
	size_t k = 0;
	for (const struct flagdef *f = fl; f && f->name; f++)
		k++;
	struct ac_doc_opt *d = xcalloc(k + 1, sizeof(*d));
	for (size_t i = 0; i < k; i++) {
		d[i].name = fl[i].name;
		d[i].shorthand = fl[i].shorthand;
		d[i].arg = fl[i].type == F_BOOL ? NULL : fl[i].type == F_LIST ? "NAME=VALUE" : "VALUE";
		d[i].help = fl[i].help;
		d[i].def = fl[i].def;
	}
	*n = k;
	return d;
}

struct doc_list {
	struct ac_doc_cmd *v;
	size_t n;
	char **owned; /* strings to free */
	size_t nowned;
};

static const char *doc_own(struct doc_list *l, char *s)
{
	l->owned = xrealloc(l->owned, (l->nowned + 1) * sizeof(char *));
	l->owned[l->nowned++] = s;
	return s;
}

static void doc_walk(struct doc_list *l, const struct cmd *cmds, const char *prefix)
{
	for (const struct cmd *c = cmds; c->name; c++) {
		const char *path = doc_own(l, *prefix ? xasprintf("%s %s", prefix, c->name) : xstrdup(c->name));
		if (c->subs) {
			doc_walk(l, c->subs, path);
			continue;
		}
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		struct ac_doc_cmd *d = &l->v[l->n++];
		memset(d, 0, sizeof(*d));
		d->path = path;
		const char *sp = strchr(c->use, ' ');
		d->usage = sp ? sp + 1 : "";
		d->summary = c->shortdesc;
		d->description = c->example ? doc_own(l, xasprintf("%s.\n\nExample:\n\t%s", c->shortdesc, c->example))
					    : c->shortdesc;
		d->opts = doc_flags(c->fl, &d->nopts);
	}
}

static const char *const man_sections[] = {
	"THE BUILD CONTEXT",
	"A build lives in .acbuild/ under the work path (--work-path, default the current directory): "
	"the image being built (currentaci/manifest and currentaci/rootfs/), dependencies fetched for run, "
	"and a lock file. A build begun from an ACI keeps that image packed in base/ until a step needs "
	"its whole tree (run, or a copy into or through a directory or symlink of the image): files copied "
	"meanwhile wait beside it and write merges them with the packed image, so currentaci/rootfs/ only "
	"appears once the image is unpacked. Every command takes an exclusive lock on it, so a second acbuild working in the "
	"same directory at the same time fails with \"lock already held\" and changes nothing. The manifest "
	"is rewritten atomically after every edit, and each changing command is recorded in an annotation "
	"coreos.com/acbuild/command-N unless --no-history is given.\n"
	"\n"
	"With --modify IMAGE.aci (or --modify-appc) one command is applied to an existing image in a "
	"private temporary context, and the image is replaced atomically when it succeeds.",
	"RUN",
	"run executes its command in the image, in new mount, PID, UTS and IPC namespaces, as root (user "
	"and group 0) in / or --working-dir, with the image's environment, the host's network and its "
	"/etc/resolv.conf (shown read-only over the image's own, never left in it). Without dependencies "
	"the command changes currentaci/rootfs in place; with them, the dependencies are stacked read-only "
	"under it (overlayfs, else a copy written back), and only what the command changes ends up in the "
	"image.\n"
	"\n"
	"As a normal user, run (and a script with run lines) works in a user namespace that maps the caller, "
	"and only the caller, to root: the command sees itself and the files it makes as root's, and on disk "
	"they are the caller's; write records the caller's files as root's, as rootless builders do. A "
	"command that gives a file to any other user or group fails, as chown does for an ID that does not exist. Where the kernel refuses unprivileged user "
	"namespaces, run fails with one line that says so.",
	"EXIT STATUS",
	"0 on success; 1 on failure (one line on standard error says why); 2 when the element to remove "
	"does not exist; 3 for usage errors; for run, the exit status of the command.",
	"ENVIRONMENT",
	"SOURCE_DATE_EPOCH\n  write clamps every stored modification time to it.\n\n"
	"SSL_CERT_FILE\n  a CA bundle for begin NAME and dependencies fetched by discovery.\n\n"
	"AC_DISCOVERY_PORT\n  the port discovery connects to.\n\n"
	"ACRUN_DIR\n  an acrun image store searched for dependencies (read only).\n\n"
	"ACBUILD_NO_OVERLAY\n  when set (and not 0), run copies the dependencies instead of stacking them with overlayfs.\n\n"
	"GNUPGHOME\n  the keyring write --sign uses.",
	"EXAMPLES",
	"  acbuild begin\n"
	"  acbuild set-name example.com/hello\n"
	"  acbuild copy hello /hello\n"
	"  acbuild set-exec -- /hello\n"
	"  acbuild label add version 1.0\n"
	"  acbuild write --sign hello.aci\n"
	"  acbuild end",
	"SEE ALSO",
	"actool(1), acrun(1), docker2aci(1).",
	NULL, NULL,
};

static int write_doc(const char *what)
{
	struct doc_list l = { 0 };
	doc_walk(&l, top_cmds, "");
	size_t ng;
	struct ac_doc_opt *g = doc_flags(global_flags, &ng);
	struct ac_doc_tool t = {
		.name = "acbuild",
		.summary = "build App Container Images step by step",
		.synopsis = "[global flags] COMMAND [flags] [arguments...]",
		.description = "acbuild builds App Container Images (ACIs) one step per command, like the lines "
			       "of a Dockerfile: begin a build, copy files in, set the command and its environment, "
			       "add labels, ports and mount points, run commands inside the image, write the ACI, end "
			       "the build. A shell script of acbuild commands is an image's recipe; scripts written "
			       "for the original acbuild (containers/build) run unchanged. Commands may be abbreviated "
			       "to any unambiguous prefix.",
		.global = g,
		.nglobal = ng,
		.cmds = l.v,
		.ncmds = l.n,
		.sections = man_sections,
		.version = ACBUILD_VERSION,
	};
	int r = ac_doc_write(stdout, &t, what);
	for (size_t i = 0; i < l.n; i++)
		free((void *)l.v[i].opts);
	free(l.v);
	for (size_t i = 0; i < l.nowned; i++)
		free(l.owned[i]);
	free(l.owned);
	free(g);
	return r < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "__doc")) /* hidden: man page and completions for the build */
		return ac_cli_finish(write_doc(argv[2]), "acbuild");
	/* multicall: "acbuild-script FILE" is "acbuild script FILE" */
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (!strcmp(base, "acbuild-script")) {
		char **v = xcalloc(argc + 2, sizeof(char *));
		v[0] = argv[0];
		v[1] = (char *)"script";
		for (int i = 1; i < argc; i++)
			v[i + 1] = argv[i];
		int rc = acb_main(argc + 1, v);
		free(v);
		return ac_cli_finish(rc, "acbuild");
	}
	return ac_cli_finish(acb_main(argc, argv), "acbuild");
}
