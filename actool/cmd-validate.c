/* actool validate: images, layouts and manifests, with the original's type
 * detection, messages and exit codes; --json describes every file checked
 * in one document on stdout. */
#include "actool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/fs.h"
#include "ac/manifest.h"
#include "ac/progress.h"

static const char *val_type = "";
static int val_json;

static const struct ac_opt opts[] = {
	{ "json", AC_OPT_BOOL, &val_json,
	  "Print one JSON array on stdout: {\"file\", \"type\", \"valid\", \"error\"} for every file checked",
	  NULL },
	{ "type", AC_OPT_STRING, &val_type,
	  "Type of file to validate. If unset, actool will try to detect the type. One of \"appimage,layout,manifest\"",
	  NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

/* aci.DetectFileType on the first 512 bytes: compressed or tar data is an
 * image, text (as net/http's sniffer sees it) a manifest, anything else
 * unknown (NULL). */
static const char *detect_type(const unsigned char *b, size_t n)
{
	switch (ac_compression_detect(b, n)) {
	case AC_COMP_GZIP:
	case AC_COMP_BZIP2:
	case AC_COMP_XZ:
	case AC_COMP_ZSTD: /* refused later with a clear message */
		return "appimage";
	default:
		break;
	}
	if (n > 262 && !memcmp(b + 257, "ustar", 5))
		return "appimage";
	size_t i = 0;
	while (i < n && strchr("\t\n\x0c\r ", b[i]))
		i++;
	if (i < n && b[i] == '<') /* HTML and XML sniff as other types */
		return NULL;
	for (; i < n; i++)
		if (b[i] <= 0x08 || b[i] == 0x0b || (b[i] >= 0x0e && b[i] <= 0x1a) || (b[i] >= 0x1c && b[i] <= 0x1f))
			return NULL;
	return "manifest";
}

/* The outcome of the file being checked: its type (NULL until known) and
 * the one-line error, which --json records instead of printing. */
static const char *cur_type;
static char *cur_error;

static void problem(const char *fmt, ...) AC_PRINTF(1, 2);
static void problem(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	if (!val_json) {
		actool_err("%s", s);
		free(s);
		return;
	}
	size_t n = strlen(s);
	if (n && s[n - 1] == '\n') /* as actool_err prints it */
		s[n - 1] = '\0';
	free(cur_error);
	cur_error = s;
}

static int validate_manifest(const char *path, int fd)
{
	ac_error *err = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	const char *kind;
	if (ac_read_fd(fd, AC_MANIFEST_MAX_SIZE, &buf, &len, &err) < 0) {
		problem("%s: unable to read file %s", path, err->msg);
		ac_error_free(&err);
		return -1;
	}
	if (ac_manifest_parse_kind(buf, len, &kind, &err) < 0) {
		problem("%s: error unmarshaling manifest: %s", path, err->msg);
		ac_error_free(&err);
		return -1;
	}
	json_t *m = !strcmp(kind, "ImageManifest") ? ac_manifest_parse(buf, len, &err)
						    : ac_pod_manifest_parse(buf, len, &err);
	if (!m) {
		problem("%s: invalid %s: %s", path, kind, err->msg);
		ac_error_free(&err);
		return 1;
	}
	json_decref(m);
	if (actool_debug)
		actool_err("%s: valid %s", path, kind);
	return 0;
}

static int validate_one(const char *path)
{
	ac_error *err = NULL;
	struct stat st;
	const char *vt = val_type;
	_cleanup_close_ int fd = -1;

	cur_type = *vt ? vt : NULL;
	if (stat(path, &st) < 0) {
		problem("unable to access %s: stat %s: %s", path, path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!*vt) {
			vt = cur_type = "layout";
		} else if (strcmp(vt, "layout")) {
			problem("%s is a directory (wrong --type?)", path);
			return -1;
		}
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			problem("%s: unable to open: open %s: %s", path, path, strerror(errno));
			return -1;
		}
	}
	if (!*vt) {
		unsigned char b[512];
		ssize_t n = pread(fd, b, sizeof(b), 0);
		if (n < 0) {
			problem("%s: error detecting file type: read %s: %s", path, path, strerror(errno));
			return -1;
		}
		vt = cur_type = detect_type(b, (size_t)n);
		if (!vt) {
			problem("%s: unable to detect filetype (try --type)", path);
			return -1;
		}
	}

	if (!strcmp(vt, "layout")) {
		if (ac_layout_validate(path, NULL, &err) < 0) {
			problem("%s: invalid image layout: %s", path, err->msg);
			ac_error_free(&err);
			return 1;
		}
		if (actool_debug)
			actool_err("%s: valid image layout", path);
		return 0;
	}
	if (!strcmp(vt, "appimage")) {
		_cleanup_free_ char *what = xasprintf("validating %s", path);
		ac_progress *prog = ac_progress_follow_fd(what, fd, (uint64_t)st.st_size, actool_quiet);
		int vr = ac_aci_validate(fd, path, NULL, &err);
		ac_progress_end(prog);
		if (vr < 0) {
			/* rule failures are bare messages (code 0); read and
			 * decode errors already start with the file name */
			if (err->code == 0)
				problem("%s: error validating: %s", path, err->msg);
			else
				problem("%s", err->msg);
			ac_error_free(&err);
			return 1;
		}
		if (actool_debug)
			actool_err("%s: valid app container image", path);
		return 0;
	}
	return validate_manifest(path, fd);
}

static int run_validate(int argc, char **argv)
{
	int exit = 0;
	if (argc < 1) {
		actool_err("must pass one or more files");
		return 1;
	}
	if (*val_type && strcmp(val_type, "appimage") && strcmp(val_type, "layout") && strcmp(val_type, "manifest")) {
		actool_err("validate: unknown --type \"%s\" (one of \"appimage,layout,manifest\")", val_type);
		return 2;
	}
	json_t *doc = val_json ? json_array() : NULL;
	for (int i = 0; i < argc; i++) {
		int r = validate_one(argv[i]);
		if (doc) {
			json_array_append_new(doc, json_pack("{s:s,s:s?,s:b,s:s?}", "file", argv[i], "type", cur_type,
							     "valid", r == 0, "error", r ? cur_error : NULL));
			free(cur_error);
			cur_error = NULL;
		}
		if (r != 0)
			exit = 1;
		if (r < 0) /* the original stops at files it cannot read */
			break;
	}
	if (doc) {
		char *t = json_dumps(doc, JSON_INDENT(2));
		printf("%s\n", t);
		free(t);
		json_decref(doc);
	}
	return exit;
}

const struct actool_cmd cmd_validate = {
	.name = "validate",
	.summary = "Validate that one or more images or manifests meet the AppContainer specification",
	.usage = "[--type=TYPE] [--json] FILE...",
	.description = "Validate one or more AppContainer files\n\n"
		       "With --json, one JSON array on stdout, one object per file checked, in order:\n"
		       "  file   the path as given\n"
		       "  type   \"appimage\", \"layout\" or \"manifest\"; null when not determined\n"
		       "  valid  true or false\n"
		       "  error  the one-line message (field path included) printed without --json,\n"
		       "         or null when valid\n"
		       "Problems are then reported in the document only; the exit status is the same.",
	.opts = opts,
	.run = run_validate,
};
