/* write: the current image as an ACI.  The archive goes to a temporary file
 * next to the target, renamed over it only when complete. */
#include "acbuild.h"

#include "ac/sign.h"

#include <fcntl.h>
#include <sys/stat.h>
#include "ac/aci.h"
#include "ac/fs.h"
#include "ac/progress.h"

int acb_write_aci(struct acb *b, const char *path, int overwrite, int compression, char *id_out, ac_error **err)
{
	if (!b->manifest && acb_load_manifest(b, err) < 0)
		return -1;
	const char *name = json_string_value(json_object_get(b->manifest, "name"));
	if (!name || !strcmp(name, ACB_UNNAMED))
		return ac_error_set(err, EINVAL, "can't write ACI, name was never set");
	json_t *app = json_object_get(b->manifest, "app");
	if (json_is_object(app) && json_array_size(json_object_get(app, "exec")) == 0)
		fprintf(stderr, "warning: exec command was never set.\n");
	_cleanup_free_ char *text = ac_manifest_serialize(b->manifest, 0, err);
	if (!text)
		return -1;
	struct stat st;
	if (!overwrite && lstat(path, &st) == 0)
		return ac_error_set(err, EEXIST, "ACI already exists: %s", path);

	/* the manifest entry's time: the manifest file's, so that writing the
	 * same session twice gives the same bytes */
	_cleanup_free_ char *mpath = xasprintf("%s/manifest", b->aci);
	int64_t mtime = stat(mpath, &st) == 0 ? (int64_t)st.st_mtim.tv_sec : 0;

	struct ac_aci_write_opts wo;
	memset(&wo, 0, sizeof(wo));
	wo.comp.type = compression;
	wo.comp.level = -1;
	/* as a normal user, the caller is the image's root, as in a run step */
	wo.root_uid = geteuid();
	wo.root_gid = getegid();
	int64_t epoch;
	int r = ac_source_date_epoch(&epoch);
	if (r < 0)
		return ac_error_set(err, EINVAL, "SOURCE_DATE_EPOCH is not a whole non-negative number");
	if (r > 0) {
		wo.has_clamp = 1;
		wo.clamp_mtime = epoch;
	}

	_cleanup_close_ int layout = open(b->aci, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layout < 0)
		return ac_error_errno(err, "open %s", b->aci);
	ac_outfile out;
	if (ac_outfile_open(&out, path, 0644, overwrite ? AC_OUT_OVERWRITE : 0, err) < 0)
		return -1;
	char id[AC_IMAGE_ID_LEN + 1];
	_cleanup_free_ char *what = xasprintf("writing %s", path); /* before any goto */
	ac_aci_writer *w = ac_aci_writer_new(out.fd, &wo, err);
	int ret = -1;
	if (!w)
		goto out;
	ac_progress *prog = ac_progress_follow_fd(what, out.fd, 0, b->o->quiet);
	int wr = ac_aci_writer_add_manifest(w, text, strlen(text), mtime, err) < 0 ||
		 (b->packed ? acb_base_write(b, w, err) : ac_aci_writer_add_rootfs(w, layout, err)) < 0 ||
		 ac_aci_writer_finish(w, id, err) < 0;
	ac_progress_end(prog);
	if (wr)
		goto out;
	if (ac_outfile_commit(&out, err) < 0)
		goto out;
	if (id_out)
		memcpy(id_out, id, sizeof(id));
	ret = 0;
out:
	if (w)
		ac_aci_writer_free(w);
	ac_outfile_abort(&out);
	return ret;
}

int cmd_write(struct acb *b, int argc, char **argv, ac_error **err)
{
	(void)argc;
	ac_compression comp = AC_COMP_GZIP;
	if (b->o->compression && ac_compression_from_name(b->o->compression, &comp) < 0)
		return ac_error_set(err, EINVAL, "unknown compression \"%s\" (gzip, xz, bzip2 or none)", b->o->compression);
	acb_debug(b, "Writing ACI to %s", argv[0]);
	char id[AC_IMAGE_ID_LEN + 1];
	if (acb_write_aci(b, argv[0], b->o->overwrite, comp, id, err) < 0)
		return -1;
	if (b->o->sign || (b->o->sign_key && *b->o->sign_key)) {
		/* ACI.asc, armored and detached, as v0.4.0's "gpg --armor
		 * --detach-sig"; the image stays when signing fails */
		_cleanup_free_ char *asc = xasprintf("%s.asc", argv[0]);
		struct ac_sign_opts so = { .key = b->o->sign_key && *b->o->sign_key ? b->o->sign_key : NULL };
		acb_debug(b, "Signing %s", argv[0]);
		if (ac_sign_file(argv[0], asc, &so, NULL, err) < 0) {
			unlink(argv[0]); /* no unsigned image where a signed one was asked for */
			return ac_error_wrap(err, "signing %s", argv[0]);
		}
	}
	printf("%s\n", id);
	return 0;
}
