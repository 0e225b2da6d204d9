/* The packed base: a session begun from an ACI keeps that image packed in
 * .acbuild/base/ until a step needs its files.  begin validates the image and
 * records its paths (base/index) instead of extracting them; copy places
 * what it can in a tree of changes (base/changes/); write streams the base's
 * entries, minus those the changes replace, followed by the changes.  A step
 * that needs the whole tree (run, or a copy that would merge into or replace
 * something of the base) unpacks it first, and the session goes on as after
 * an extracting begin, with currentaci/rootfs.  Most scripts (begin from a
 * base, set names, labels, exec, copy a few files, write) thus never write
 * the base's thousands of files to disk only to read them back.
 *
 * States, judged under the lock (acb_base_check):
 *   packed    base/ exists, currentaci/rootfs does not;
 *   unpacked  currentaci/rootfs exists; a base/ beside it is what an unpack
 *             killed after its commit left, and is removed.
 * An unpack builds the tree in unpack.tmp/ and commits by renaming it to
 * currentaci/rootfs, so a killed command leaves one state or the other.
 *
 * Index records, NUL-terminated: 'd' PATH (a directory), 'n' PATH (anything
 * else), 't' PATH (the target of a hard link); PATH is relative to the
 * rootfs and cleaned. */
#include "acbuild.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "ac/aci.h"
#include "ac/buf.h"
#include "ac/extract.h"
#include "ac/fs.h"
#include "ac/pathset.h"
#include "ac/progress.h"

/* index values */
enum { IX_DIR = 1, IX_IMPLICIT_DIR = 2, IX_OTHER = 3, IX_TYPE = 3, IX_LINKED = 8 };
/* changes-set values */
enum { CH_DIR = 1, CH_OTHER = 2 };

#define BASE_IMAGE "base/image.aci"
#define BASE_INDEX "base/index"
#define BASE_CHANGES "base/changes"

/* ---- begin ---- */

struct indexer {
	ac_buf out;
	int64_t manifest_mtime;
};

static void add_record(ac_buf *out, char type, const char *rel)
{
	ac_buf_addch(out, type);
	ac_buf_add(out, rel, strlen(rel) + 1);
}

static int index_entry(void *arg, const char *path, struct archive_entry *e, ac_error **err)
{
	(void)err;
	struct indexer *ix = arg;
	if (!strcmp(path, "manifest")) {
		ix->manifest_mtime = archive_entry_mtime(e);
		return 0;
	}
	if (!strcmp(path, "rootfs"))
		return 0;
	const char *rel = path + strlen("rootfs/");
	const char *hl = archive_entry_hardlink(e);
	add_record(&ix->out, !hl && archive_entry_filetype(e) == AE_IFDIR ? 'd' : 'n', rel);
	if (hl) {
		/* validation made sure it is "rootfs/..." once cleaned */
		_cleanup_free_ char *t = ac_path_clean(hl);
		add_record(&ix->out, 't', t + strlen("rootfs/"));
	}
	return 0;
}

static int write_file(const char *path, const void *data, size_t len, ac_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ac_write_all(fd, data, len) < 0)
		return ac_error_errno(err, "cannot write %s", path);
	return 0;
}

static int copy_image(const char *from, const char *to, ac_error **err)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ac_error_errno(err, "open %s", from);
	_cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return ac_error_errno(err, "create %s", to);
	return ac_copy_fd(in, out, from, err);
}

int acb_base_begin(const char *ctx, const char *aci, const char *image, int take, int *comp, int quiet,
		   ac_error **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/base", ctx);
	_cleanup_free_ char *changes = xasprintf("%s/" BASE_CHANGES, ctx);
	_cleanup_free_ char *packed = xasprintf("%s/" BASE_IMAGE, ctx);
	_cleanup_free_ char *index = xasprintf("%s/" BASE_INDEX, ctx);
	_cleanup_free_ char *mpath = xasprintf("%s/manifest", aci);
	_cleanup_free_ char *what = xasprintf("checking %s", image);
	_cleanup_free_ char *text = NULL;
	if (mkdir(dir, 0755) < 0 || mkdir(changes, 0755) < 0)
		return ac_error_errno(err, "mkdir %s", changes);
	/* Our own copy, checked after copying: the image named may change or
	 * go away during the build.  A download of ours is simply taken. */
	if (take) {
		if (rename(image, packed) < 0)
			return ac_error_errno(err, "rename %s", image);
	} else if (copy_image(image, packed, err) < 0) {
		return -1;
	}

	_cleanup_close_ int fd = open(packed, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open %s", packed);
	if (comp) {
		ac_aci_reader *r = ac_aci_reader_open(fd, image, err);
		if (!r)
			return -1;
		*comp = ac_aci_reader_compression(r);
		ac_aci_reader_free(r);
		if (lseek(fd, 0, SEEK_SET) < 0)
			return ac_error_errno(err, "seek %s", packed);
	}
	struct indexer ix = { AC_BUF_INIT, 0 };
	json_t *m = NULL;
	struct stat st;
	ac_progress *prog = ac_progress_follow_fd(what, fd, fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0, quiet);
	int ret = ac_aci_validate_visit(fd, image, &m, index_entry, &ix, err);
	ac_progress_end(prog);
	if (ret < 0) {
		if ((*err)->code == 0)
			ac_error_wrap(err, "%s: invalid image", image);
	} else if (write_file(index, ix.out.buf, ix.out.len, err) < 0 ||
		   !(text = ac_manifest_serialize(m, 0, err)) || write_file(mpath, text, strlen(text), err) < 0) {
		ret = -1;
	} else {
		/* the manifest as an extracting begin leaves it: the entry's time */
		struct timespec ts[2] = { { ix.manifest_mtime, 0 }, { ix.manifest_mtime, 0 } };
		utimensat(AT_FDCWD, mpath, ts, 0);
	}
	json_decref(m);
	ac_buf_release(&ix.out);
	return ret;
}

/* ---- state ---- */

void acb_base_check(struct acb *b)
{
	_cleanup_free_ char *dir = xasprintf("%s/base", b->ctx);
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", b->aci);
	struct stat st;
	b->packed = 0;
	if (lstat(dir, &st) < 0)
		return;
	if (lstat(rootfs, &st) == 0) {
		ac_rm_rf(dir, NULL); /* an unpack was killed after its commit */
		return;
	}
	b->packed = 1;
}

static int load_index(struct acb *b, ac_error **err)
{
	if (b->base_index)
		return 0;
	_cleanup_free_ char *path = xasprintf("%s/" BASE_INDEX, b->ctx);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, path, SIZE_MAX / 2, &text, &len, err) < 0)
		return -1;
	struct ac_pathset *ix = xcalloc(1, sizeof(*ix));
	for (size_t off = 0; off < len;) {
		char type = text[off];
		const char *rel = text + off + 1;
		off += strlen(rel) + 2;
		if (type == 't') {
			struct ac_pathset_slot *sl = ac_pathset_find(ix, rel);
			if (sl)
				sl->value |= IX_LINKED;
			continue;
		}
		unsigned v = type == 'd' ? IX_DIR : IX_OTHER;
		struct ac_pathset_slot *sl = ac_pathset_find(ix, rel);
		if (sl) /* an implicit parent, met earlier, now archived */
			sl->value = v | (sl->value & IX_LINKED);
		else
			ac_pathset_put(ix, rel, v);
		/* parents the archive never names are directories all the same */
		_cleanup_free_ char *p = xstrdup(rel);
		for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
			*slash = 0;
			if (ac_pathset_find(ix, p))
				break;
			ac_pathset_put(ix, p, IX_IMPLICIT_DIR);
		}
	}
	b->base_index = ix;
	return 0;
}

static unsigned base_type(struct acb *b, const char *rel)
{
	struct ac_pathset_slot *sl = ac_pathset_find(b->base_index, rel);
	return sl ? sl->value : 0;
}

/* ---- placing copies ---- */

int acb_base_can_place(struct acb *b, int cfd, const char *dir, const char *name, int src_is_dir, ac_error **err)
{
	if (load_index(b, err) < 0)
		return -1;
	/* every directory on the way: one of the base or of the changes,
	 * never a symlink or a file (their resolution needs the whole tree) */
	if (strcmp(dir, ".")) {
		_cleanup_free_ char *p = xstrdup(dir);
		for (char *s = p;; *s = '/', s++) {
			s = strchr(s, '/');
			if (s)
				*s = 0;
			unsigned t = base_type(b, p) & IX_TYPE;
			struct stat st;
			if (t == IX_OTHER)
				return 0;
			if (fstatat(cfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
				return 0;
			if (!s)
				break;
		}
	}
	_cleanup_free_ char *target = strcmp(dir, ".") ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	unsigned t = base_type(b, target);
	if (!t)
		return 1; /* new */
	if ((t & IX_TYPE) != IX_OTHER || src_is_dir || (t & IX_LINKED))
		return 0; /* a merge into a directory, or a replaced hard-link target */
	return 1; /* a file, symlink or node replaced by a non-directory */
}

int acb_base_open_changes(struct acb *b, ac_error **err)
{
	_cleanup_free_ char *changes = xasprintf("%s/" BASE_CHANGES, b->ctx);
	int fd = open(changes, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open %s", changes);
	return fd;
}

/* ---- unpacking ---- */

int acb_extract_fd(int fd, const char *name, const char *dir, const char *strip_prefix, const char *what, int *comp,
		   int quiet, ac_error **err)
{
	ac_aci_reader *r = ac_aci_reader_open(fd, name, err);
	if (!r)
		return -1;
	if (comp)
		*comp = ac_aci_reader_compression(r);
	ac_aci_reader_skip_id(r); /* no use for it here */
	struct ac_extract_opts eo;
	ac_extract_opts_default(&eo);
	eo.strip_prefix = strip_prefix;
	struct stat st;
	ac_progress *prog = ac_progress_follow_fd(what, fd, fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0, quiet);
	int ret = ac_extract(r, dir, &eo, err);
	if (ret == 0)
		ret = ac_aci_reader_finish(r, NULL, err);
	ac_progress_end(prog);
	ac_aci_reader_free(r);
	return ret;
}

int acb_base_unpack(struct acb *b, ac_error **err)
{
	if (!b->packed)
		return 0;
	_cleanup_free_ char *tmp = xasprintf("%s/unpack.tmp", b->ctx);
	_cleanup_free_ char *root = xasprintf("%s/rootfs", tmp);
	_cleanup_free_ char *packed = xasprintf("%s/" BASE_IMAGE, b->ctx);
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", b->aci);
	if (ac_rm_rf(tmp, err) < 0)
		return -1;
	if (mkdir(tmp, 0700) < 0 || mkdir(root, 0755) < 0)
		return ac_error_errno(err, "mkdir %s", root);
	acb_debug(b, "Unpacking the base image");
	_cleanup_close_ int fd = open(packed, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open %s", packed);
	if (acb_extract_fd(fd, packed, root, "rootfs", "unpacking the base image", NULL, b->o->quiet, err) < 0)
		return ac_error_wrap(err, "error unpacking the base image");
	_cleanup_close_ int cfd = acb_base_open_changes(b, err);
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0 || rfd < 0)
		return cfd < 0 ? -1 : ac_error_errno(err, "open %s", root);
	if (acb_link_tree_over(cfd, rfd, err) < 0)
		return -1;
	if (rename(root, rootfs) < 0) /* the commit */
		return ac_error_errno(err, "rename %s", root);
	b->packed = 0;
	_cleanup_free_ char *dir = xasprintf("%s/base", b->ctx);
	ac_rm_rf(dir, NULL);
	ac_rm_rf(tmp, NULL);
	return 0;
}

/* ---- writing ---- */

struct merge {
	struct acb *b;
	struct ac_pathset changes; /* CH_* by path relative to the rootfs */
};

static int list_changes(struct ac_pathset *set, int dfd, const char *prefix, int depth, ac_error **err)
{
	if (depth > 4096)
		return ac_error_set(err, ELOOP, "%s: directory tree too deep", prefix);
	DIR *d = ac_opendir_at(dfd, NULL);
	if (!d)
		return ac_error_errno(err, "cannot read the changes");
	int ret = 0;
	struct dirent *de;
	while (ret == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *rel = *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = ac_error_errno(err, "cannot stat the change %s", rel);
			break;
		}
		ac_pathset_put(set, rel, S_ISDIR(st.st_mode) ? CH_DIR : CH_OTHER);
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			ret = sub < 0 ? ac_error_errno(err, "cannot open the change %s", rel)
				      : list_changes(set, sub, rel, depth + 1, err);
		}
	}
	closedir(d);
	return ret;
}

/* Whether the base's entry rel (of type t) gives way to the changes: they
 * hold rel itself (but for a directory over a directory) or a
 * non-directory at one of its parents. */
static int replaced(struct merge *mg, const char *rel, unsigned t)
{
	struct ac_pathset_slot *sl = ac_pathset_find(&mg->changes, rel);
	if (sl && !(sl->value == CH_DIR && t == IX_DIR))
		return 1;
	_cleanup_free_ char *p = xstrdup(rel);
	for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
		*slash = 0;
		sl = ac_pathset_find(&mg->changes, p);
		if (sl && sl->value == CH_OTHER)
			return 1;
	}
	return 0;
}

/* The changes' directories that the base archives already keep the base's
 * entry (mode, owner, times). */
static int skip_base_dirs(void *arg, const char *apath, const struct stat *st)
{
	struct merge *mg = arg;
	if (!S_ISDIR(st->st_mode))
		return 0;
	if (!strcmp(apath, "rootfs"))
		return 1;
	return base_type(mg->b, apath + strlen("rootfs/")) == IX_DIR;
}

int acb_base_write(struct acb *b, ac_aci_writer *w, ac_error **err)
{
	if (load_index(b, err) < 0)
		return -1;
	struct merge mg = { b, AC_PATHSET_INIT };
	_cleanup_free_ char *packed = xasprintf("%s/" BASE_IMAGE, b->ctx);
	_cleanup_close_ int cfd = acb_base_open_changes(b, err);
	_cleanup_close_ int fd = open(packed, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int basefd = -1;
	_cleanup_free_ char *dir = xasprintf("%s/base", b->ctx);
	ac_aci_reader *r = NULL;
	int ret = -1;
	if (cfd < 0)
		goto out;
	if (fd < 0) {
		ac_error_errno(err, "open %s", packed);
		goto out;
	}
	if (list_changes(&mg.changes, cfd, "", 0, err) < 0)
		goto out;
	if (!(r = ac_aci_reader_open(fd, packed, err)))
		goto out;
	ac_aci_reader_skip_id(r);
	for (;;) {
		struct archive_entry *e;
		int rc = ac_aci_reader_next(r, &e, err);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		_cleanup_free_ char *c = ac_path_clean(archive_entry_pathname(e));
		if (!ac_str_has_prefix(c, "rootfs")) /* the manifest, ".": the image was validated */
			continue;
		const char *rel = c[6] ? c + 7 : "";
		if (*rel && replaced(&mg, rel, base_type(b, rel) & IX_TYPE))
			continue;
		const char *hl = archive_entry_hardlink(e);
		if (hl) {
			_cleanup_free_ char *t = ac_path_clean(hl);
			if (replaced(&mg, t + strlen("rootfs/"), IX_OTHER)) {
				/* acb_base_can_place unpacks before this can happen */
				ac_error_set(err, EINVAL, "%s: hard link to a replaced file", c);
				goto out;
			}
			archive_entry_set_hardlink(e, t);
		}
		/* as an extracted and re-read tree would be: names cleaned,
		 * owners numeric, symlinks 0777 (Linux has no symlink modes) */
		archive_entry_set_pathname(e, c);
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
		if (!hl && archive_entry_filetype(e) == AE_IFLNK)
			archive_entry_set_perm(e, 0777);
		if (ac_aci_writer_copy_entry(w, e, r, err) < 0)
			goto out;
	}
	if (ac_aci_reader_finish(r, NULL, err) < 0)
		goto out;
	basefd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (basefd < 0) {
		ac_error_errno(err, "open %s", dir);
		goto out;
	}
	ret = ac_aci_writer_add_tree(w, basefd, "changes", "rootfs", skip_base_dirs, &mg, err);
out:
	if (r)
		ac_aci_reader_free(r);
	ac_pathset_free(&mg.changes);
	return ret;
}

void acb_base_release(struct acb *b)
{
	if (b->base_index) {
		ac_pathset_free(b->base_index);
		free(b->base_index);
		b->base_index = NULL;
	}
}
