/* actool build: validates an image layout and writes it as an ACI. */
#include "actool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/fs.h"
#include "ac/manifest.h"
#include "ac/progress.h"

static int overwrite, no_compression, owner_root, threads;
static const char *compression;

static const struct ac_opt opts[] = {
	{ "compression", AC_OPT_STRING, &compression, "Compression of the produced ACI: gzip, xz, bzip2 or none", "gzip" },
	{ "no-compression", AC_OPT_BOOL, &no_compression, "Do not gzip-compress the produced ACI", NULL },
	{ "overwrite", AC_OPT_BOOL, &overwrite, "Overwrite target file if it already exists", NULL },
	{ "owner-root", AC_OPT_BOOL, &owner_root, "Force ownership to root:root on all files", NULL },
	{ "threads", AC_OPT_INT, &threads, "Compression threads (0: one per CPU); the output is the same for any number", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static int write_image(const char *root, json_t *manifest, const struct ac_aci_write_opts *wo, int fd,
		       char image_id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	_cleanup_close_ int dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return ac_error_errno(err, "open %s", root);
	struct stat st;
	if (fstatat(dirfd, "manifest", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return ac_error_errno(err, "stat %s/manifest", root);
	_cleanup_free_ char *json = ac_manifest_serialize(manifest, 0, err);
	if (!json)
		return -1;
	ac_aci_writer *w = ac_aci_writer_new(fd, wo, err);
	if (!w)
		return -1;
	int r = ac_aci_writer_add_manifest(w, json, strlen(json), st.st_mtime, err);
	if (r == 0)
		r = ac_aci_writer_add_rootfs(w, dirfd, err);
	if (r == 0)
		r = ac_aci_writer_finish(w, image_id, err);
	ac_aci_writer_free(w);
	return r;
}

static int run_build(int argc, char **argv)
{
	ac_error *err = NULL;
	struct ac_aci_write_opts wo;

	if (argc != 2) {
		actool_err("build: Must provide directory and output file");
		return 1;
	}
	const char *root = argv[0], *tgt = argv[1];
	const char *base = strrchr(tgt, '/') ? strrchr(tgt, '/') + 1 : tgt;
	const char *ext = strrchr(base, '.');
	if (!ext || strcmp(ext, ".aci")) {
		actool_err("build: Extension must be .aci (given %s)", ext ? ext : "");
		return 1;
	}
	if (actool_write_opts("build", no_compression, compression, owner_root, &wo) < 0)
		return 1;
	if (threads < 0) {
		actool_err("build: --threads must not be negative");
		return 1;
	}
	wo.comp.threads = threads;

	json_t *manifest = NULL;
	if (ac_layout_validate(root, &manifest, &err) < 0) {
		actool_err("build: Layout failed validation: %s", err->msg);
		ac_error_free(&err);
		return 1;
	}

	ac_outfile out;
	if (ac_outfile_open(&out, tgt, 0644, overwrite ? AC_OUT_OVERWRITE : 0, &err) < 0) {
		if (err->code == EEXIST)
			actool_err("build: Target file exists (try --overwrite)");
		else
			actool_err("build: Unable to open target %s: %s", tgt, err->msg);
		ac_error_free(&err);
		json_decref(manifest);
		return 1;
	}
	char id[AC_IMAGE_ID_LEN + 1];
	_cleanup_free_ char *what = xasprintf("writing %s", tgt);
	ac_progress *prog = ac_progress_follow_fd(what, out.fd, 0, actool_quiet);
	int r = write_image(root, manifest, &wo, out.fd, id, &err);
	ac_progress_end(prog);
	json_decref(manifest);
	if (r == 0)
		r = ac_outfile_commit(&out, &err);
	if (r < 0) {
		ac_outfile_abort(&out);
		actool_err("build: Unable to write image %s: %s", tgt, err->msg);
		ac_error_free(&err);
		return 1;
	}
	if (actool_debug)
		actool_err("%s: %s", tgt, id);
	return 0;
}

const struct actool_cmd cmd_build = {
	.name = "build",
	.summary = "Build an ACI from an Image Layout (experimental)",
	.usage = "[--overwrite] [--no-compression] [--owner-root] DIRECTORY OUTPUT_FILE",
	.description = "Build an ACI from a given directory. The directory should\n"
		       "contain an Image Layout. The Image Layout will be validated\n"
		       "before the ACI is created. The produced ACI will be\n"
		       "gzip-compressed by default.",
	.opts = opts,
	.run = run_build,
};
