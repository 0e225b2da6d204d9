/* actool extract and image-id: commands the original lacked. */
#include "actool.h"

#include <fcntl.h>
#include "ac/extract.h"
#include "ac/progress.h"
#include <sys/stat.h>

static int keep_manifest_only_rootfs; /* --rootfs-only */
static const char *max_size = "";

static const struct ac_opt extract_opts[] = {
	{ "max-size", AC_OPT_STRING, &max_size, "Refuse to write more than this many bytes of file data (a decompression bomb guard; suffixes K, M, G)", NULL },
	{ "rootfs-only", AC_OPT_BOOL, &keep_manifest_only_rootfs, "Extract only the rootfs, into DIRECTORY itself", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static ac_aci_reader *open_image(const char *cmd, const char *path, int *fd)
{
	ac_error *err = NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		actool_err("%s: Cannot open %s: open %s: %s", cmd, path, path, strerror(errno));
		return NULL;
	}
	ac_aci_reader *r = ac_aci_reader_open(*fd, path, &err);
	if (!r) {
		actool_err("%s: %s", cmd, err->msg);
		ac_error_free(&err);
	}
	return r;
}

/* "123", "10K", "64M", "2G" (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end)
		return -1;
	if (shift && end[1])
		return -1;
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Validates the whole image first (a second read), so that nothing is
 * extracted from an image that is invalid further on. */
static int run_extract(int argc, char **argv)
{
	ac_error *err = NULL;
	if (argc != 2) {
		actool_err("extract: Must provide an image and a target directory");
		return 1;
	}
	const char *in = argv[0], *dir = argv[1];
	uint64_t cap = 0;
	if (*max_size && parse_size(max_size, &cap) < 0) {
		actool_err("extract: --max-size: %s is not a size (bytes, or a number with K, M or G)", max_size);
		return 2;
	}
	_cleanup_close_ int vfd = open(in, O_RDONLY | O_CLOEXEC);
	if (vfd < 0) {
		actool_err("extract: Cannot open %s: open %s: %s", in, in, strerror(errno));
		return 1;
	}
	if (ac_aci_validate(vfd, in, NULL, &err) < 0) {
		if (err->code == 0)
			actool_err("extract: %s: error validating: %s", in, err->msg);
		else
			actool_err("extract: %s", err->msg);
		ac_error_free(&err);
		return 1;
	}
	_cleanup_close_ int fd = -1;
	ac_aci_reader *r = open_image("extract", in, &fd);
	if (!r)
		return 1;
	struct ac_extract_opts o;
	ac_extract_opts_default(&o);
	if (keep_manifest_only_rootfs)
		o.strip_prefix = "rootfs";
	o.max_bytes = cap;
	char id[AC_IMAGE_ID_LEN + 1];
	struct stat st;
	_cleanup_free_ char *what = xasprintf("extracting %s", in);
	ac_progress *prog = ac_progress_follow_fd(what, fd, fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0, actool_quiet);
	int rc = ac_extract(r, dir, &o, &err);
	if (rc == 0)
		rc = ac_aci_reader_finish(r, id, &err);
	ac_progress_end(prog);
	ac_aci_reader_free(r);
	if (rc < 0) {
		actool_err("extract: %s", err->msg);
		ac_error_free(&err);
		return 1;
	}
	if (actool_debug)
		actool_err("%s: extracted %s", dir, id);
	return 0;
}

const struct actool_cmd cmd_extract = {
	.name = "extract",
	.summary = "Extract an ACI into a directory, safely",
	.usage = "[--rootfs-only] [--max-size=SIZE] ACI_FILE DIRECTORY",
	.description = "Validate an ACI, then extract its manifest and rootfs into DIRECTORY\n"
		       "(created if missing). Nothing is ever written outside DIRECTORY,\n"
		       "whatever the archive holds. As root, owners, setuid bits and device\n"
		       "nodes are restored; otherwise files belong to the caller and device\n"
		       "nodes are skipped.",
	.opts = extract_opts,
	.run = run_extract,
};

static int run_image_id(int argc, char **argv)
{
	ac_error *err = NULL;
	if (argc < 1) {
		actool_err("image-id: Must provide one or more files");
		return 1;
	}
	int status = 0;
	for (int i = 0; i < argc; i++) {
		_cleanup_close_ int fd = -1;
		ac_aci_reader *r = open_image("image-id", argv[i], &fd);
		char id[AC_IMAGE_ID_LEN + 1];
		if (!r) {
			status = 1;
			continue;
		}
		if (ac_aci_reader_finish(r, id, &err) < 0) {
			actool_err("image-id: %s", err->msg);
			ac_error_free(&err);
			status = 1;
		} else if (argc > 1) {
			printf("%s\t%s\n", id, argv[i]);
		} else {
			printf("%s\n", id);
		}
		ac_aci_reader_free(r);
	}
	return status;
}

const struct actool_cmd cmd_image_id = {
	.name = "image-id",
	.summary = "Print the image ID of one or more ACIs",
	.usage = "ACI_FILE...",
	.description = "Print the image ID (sha512- and the SHA-512 of the uncompressed tar)\n"
		       "of each ACI, as appc image stores and dependencies name them.",
	.run = run_image_id,
};
