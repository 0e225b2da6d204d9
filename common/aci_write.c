/* The ACI writer: a deterministic tar stream (libarchive, pax restricted)
 * hashed with SHA-512 for the image ID and compressed on several threads.
 *
 * Determinism: entries are written in byte-wise sorted order of their paths,
 * with no atime/ctime, no user/group names (except "root" with owner_root),
 * whole-second mtimes clamped to SOURCE_DATE_EPOCH when the caller asks, and
 * xattrs in sorted order.  The tar is not padded to a 10 KiB record: it ends
 * with exactly two zero blocks, as the Go writers did. */
#include "ac/aci.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include "ac/buf.h"
#include "ac/fs.h"

#define READ_CHUNK (256 * 1024)

struct inode_key {
	dev_t dev;
	ino_t ino;
	char *path; /* first archive path of this inode */
};

struct ac_aci_writer {
	struct archive *a;
	ac_compressor *comp;
	ac_digest *sha;
	int fd;
	struct ac_aci_write_opts o;
	ac_error *cb_err; /* error raised inside the libarchive callback */
	/* hard-link detection: open addressing on (dev, ino) */
	struct inode_key *inodes;
	size_t ninodes, inode_cap;
	char *iobuf;
};

static int sink_to_fd(void *arg, const void *buf, size_t len)
{
	ac_aci_writer *w = arg;
	return ac_write_all(w->fd, buf, len);
}

static la_ssize_t on_tar_bytes(struct archive *a, void *arg, const void *buf, size_t len)
{
	ac_aci_writer *w = arg;
	(void)a;
	if (w->sha)
		ac_digest_update(w->sha, buf, len);
	if (ac_compressor_write(w->comp, buf, len, &w->cb_err) < 0) {
		archive_set_error(a, w->cb_err ? w->cb_err->code : EIO, "%s", w->cb_err ? w->cb_err->msg : "write error");
		return -1;
	}
	return (la_ssize_t)len;
}

/* The message of a libarchive failure, preferring our own callback's error. */
static int archive_fail(ac_aci_writer *w, ac_error **err, const char *what)
{
	if (w->cb_err) {
		ac_error *e = steal_pointer(&w->cb_err);
		*err = e;
		return ac_error_wrap(err, "%s", what);
	}
	return ac_error_set(err, archive_errno(w->a) > 0 ? archive_errno(w->a) : EIO, "%s: %s", what,
			    archive_error_string(w->a) ? archive_error_string(w->a) : "archive error");
}

ac_aci_writer *ac_aci_writer_new(int fd, const struct ac_aci_write_opts *o, ac_error **err)
{
	ac_aci_writer *w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->o = *o;
	if (!o->no_image_id)
		w->sha = ac_digest_new(AC_SHA512);
	w->iobuf = xmalloc(READ_CHUNK);
	w->comp = ac_compressor_new(&o->comp, sink_to_fd, w, err);
	if (!w->comp) {
		ac_aci_writer_free(w);
		return NULL;
	}
	w->a = archive_write_new();
	if (!w->a || archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->a, 64 * 1024) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open2(w->a, w, NULL, on_tar_bytes, NULL, NULL) != ARCHIVE_OK) {
		ac_error_set(err, EIO, "cannot start the tar stream: %s",
			     w->a && archive_error_string(w->a) ? archive_error_string(w->a) : "libarchive error");
		ac_aci_writer_free(w);
		return NULL;
	}
	return w;
}

static int64_t clamp(const ac_aci_writer *w, int64_t t)
{
	return w->o.has_clamp && t > w->o.clamp_mtime ? w->o.clamp_mtime : t;
}

/* Applies the ownership and time policy to an entry. */
static void normalise(ac_aci_writer *w, struct archive_entry *e)
{
	if (w->o.owner_root) {
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_uname(e, "root");
		archive_entry_set_gname(e, "root");
	}
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	archive_entry_set_mtime(e, clamp(w, archive_entry_mtime(e)), 0);
}

static int write_header(ac_aci_writer *w, struct archive_entry *e, ac_error **err)
{
	int r = archive_write_header(w->a, e);
	if (r < ARCHIVE_WARN || (r == ARCHIVE_WARN && w->cb_err))
		return archive_fail(w, err, archive_entry_pathname(e));
	return 0;
}

static int write_data(ac_aci_writer *w, const void *buf, size_t len, const char *path, ac_error **err)
{
	const char *p = buf;
	while (len) {
		la_ssize_t n = archive_write_data(w->a, p, len);
		if (n <= 0)
			return archive_fail(w, err, path);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ac_aci_writer_add_manifest(ac_aci_writer *w, const char *json, size_t len, int64_t mtime, ac_error **err)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "manifest");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, mtime, 0);
	normalise(w, e);
	int r = write_header(w, e, err);
	if (r == 0)
		r = write_data(w, json, len, "manifest", err);
	archive_entry_free(e);
	return r;
}

int ac_aci_writer_add_entry(ac_aci_writer *w, struct archive_entry *e, const void *data, size_t len, ac_error **err)
{
	normalise(w, e);
	if (write_header(w, e, err) < 0)
		return -1;
	return len ? write_data(w, data, len, archive_entry_pathname(e), err) : 0;
}

int ac_aci_writer_add_entry_fd(ac_aci_writer *w, struct archive_entry *e, int fd, int64_t off, int64_t len,
			       ac_error **err)
{
	normalise(w, e);
	if (write_header(w, e, err) < 0)
		return -1;
	const char *path = archive_entry_pathname(e);
	while (len > 0) {
		size_t want = len < READ_CHUNK ? (size_t)len : READ_CHUNK;
		ssize_t n = pread(fd, w->iobuf, want, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ac_error_errno(err, "cannot read the data of '%s'", path);
		}
		if (n == 0)
			return ac_error_set(err, EIO, "'%s': data ends early", path);
		if (write_data(w, w->iobuf, (size_t)n, path, err) < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

int ac_aci_writer_copy_entry(ac_aci_writer *w, struct archive_entry *e, ac_aci_reader *r, ac_error **err)
{
	normalise(w, e);
	if (write_header(w, e, err) < 0)
		return -1;
	for (;;) {
		const void *buf;
		size_t len;
		if (ac_aci_reader_data(r, &buf, &len, err) < 0)
			return -1;
		if (!len)
			return 0;
		if (write_data(w, buf, len, archive_entry_pathname(e), err) < 0)
			return -1;
	}
}

/* ---- hard-link table ---- */
static size_t inode_hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;
	return (size_t)(h ^ (h >> 29));
}

/* Returns the first path seen for (dev, ino), or records path and returns NULL. */
static const char *inode_seen(ac_aci_writer *w, dev_t dev, ino_t ino, const char *path)
{
	if (w->ninodes * 2 >= w->inode_cap) {
		size_t cap = w->inode_cap ? w->inode_cap * 2 : 256;
		struct inode_key *t = xcalloc(cap, sizeof(*t));
		for (size_t i = 0; i < w->inode_cap; i++) {
			if (!w->inodes[i].path)
				continue;
			size_t j = inode_hash(w->inodes[i].dev, w->inodes[i].ino) & (cap - 1);
			while (t[j].path)
				j = (j + 1) & (cap - 1);
			t[j] = w->inodes[i];
		}
		free(w->inodes);
		w->inodes = t;
		w->inode_cap = cap;
	}
	size_t j = inode_hash(dev, ino) & (w->inode_cap - 1);
	while (w->inodes[j].path) {
		if (w->inodes[j].dev == dev && w->inodes[j].ino == ino)
			return w->inodes[j].path;
		j = (j + 1) & (w->inode_cap - 1);
	}
	w->inodes[j].dev = dev;
	w->inodes[j].ino = ino;
	w->inodes[j].path = xstrdup(path);
	w->ninodes++;
	return NULL;
}

/* ---- walking the tree ---- */
static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory (without "." and ".."). */
static int list_dir(int dfd, const char *path, char ***out, size_t *n, ac_error **err)
{
	DIR *d = ac_opendir_at(dfd, NULL);
	if (!d)
		return ac_error_errno(err, "cannot read directory '%s'", path);
	size_t cap = 16, cnt = 0;
	char **names = xmalloc(cap * sizeof(*names));
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (cnt + 1 >= cap)
			names = xrealloc(names, (cap *= 2) * sizeof(*names));
		names[cnt++] = xstrdup(de->d_name);
		errno = 0;
	}
	int e = errno;
	closedir(d);
	names[cnt] = NULL;
	if (e) {
		ac_strv_free(names);
		errno = e;
		return ac_error_errno(err, "cannot read directory '%s'", path);
	}
	qsort(names, cnt, sizeof(*names), cmp_names);
	*out = names;
	*n = cnt;
	return 0;
}

static int add_xattrs(struct archive_entry *e, int dirfd, const char *name, const char *path, ac_error **err)
{
	/* lgetxattr needs a path; /proc/self/fd/N/name keeps it relative to dirfd. */
	_cleanup_free_ char *p = xasprintf("/proc/self/fd/%d/%s", dirfd, name);
	ssize_t n = llistxattr(p, NULL, 0);
	if (n <= 0)
		return 0; /* no xattrs, or a filesystem without them */
	_cleanup_free_ char *list = xmalloc((size_t)n + 1);
	n = llistxattr(p, list, (size_t)n);
	if (n < 0)
		return errno == ERANGE ? ac_error_set(err, EAGAIN, "%s: xattrs changed while reading", path) : 0;
	list[n] = '\0';
	size_t count = 0;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		count++;
	_cleanup_free_ char **names = xmalloc((count + 1) * sizeof(*names));
	count = 0;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		names[count++] = list + i;
	qsort(names, count, sizeof(*names), cmp_names);
	for (size_t i = 0; i < count; i++) {
		/* overlayfs bookkeeping of the directory an image was built in
		 * (acbuild run over dependencies): meaningless in an image, and
		 * a runner's overlayfs would misread it */
		if (ac_str_has_prefix(names[i], "trusted.overlay.") || ac_str_has_prefix(names[i], "user.overlay."))
			continue;
		ssize_t vlen = lgetxattr(p, names[i], NULL, 0);
		if (vlen < 0)
			continue;
		_cleanup_free_ char *val = xmalloc((size_t)vlen + 1);
		vlen = lgetxattr(p, names[i], val, (size_t)vlen);
		if (vlen < 0)
			continue;
		archive_entry_xattr_add_entry(e, names[i], val, (size_t)vlen);
	}
	return 0;
}

static int add_file_data(ac_aci_writer *w, int dirfd, const char *name, const char *path, int64_t size, ac_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ac_error_errno(err, "cannot open '%s'", path);
	int64_t left = size;
	while (left > 0) {
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
		ssize_t n = read(fd, w->iobuf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ac_error_errno(err, "cannot read '%s'", path);
		}
		if (n == 0)
			return ac_error_set(err, EIO, "'%s' shrank while being read", path);
		if (write_data(w, w->iobuf, (size_t)n, path, err) < 0)
			return -1;
		left -= n;
	}
	return 0;
}

/* Adds dirfd/name (archive path apath) and, for a directory, its contents;
 * entries that skip() names are left out (a directory's contents are still
 * visited). */
struct tree_filter {
	ac_aci_tree_skip_fn *skip;
	void *arg;
};

static int add_path(ac_aci_writer *w, int dirfd, const char *name, const char *apath, int depth,
		    const struct tree_filter *f, ac_error **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return ac_error_errno(err, "cannot stat '%s'", apath);
	if (S_ISSOCK(st.st_mode))
		return 0; /* sockets cannot be archived; the original skips them too */
	if (depth > 4096)
		return ac_error_set(err, ELOOP, "'%s': directory tree too deep", apath);

	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, apath);
	archive_entry_set_mode(e, st.st_mode);
	archive_entry_set_uid(e, st.st_uid == w->o.root_uid ? 0 : st.st_uid);
	archive_entry_set_gid(e, st.st_gid == w->o.root_gid ? 0 : st.st_gid);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	int ret = 0;
	const char *first = NULL;
	/* a skipped entry must not become the target of later hard links */
	int skipped = f && f->skip && f->skip(f->arg, apath, &st);
	if (!skipped && !S_ISDIR(st.st_mode) && st.st_nlink > 1)
		first = inode_seen(w, st.st_dev, st.st_ino, apath);
	if (first) {
		archive_entry_set_hardlink(e, first);
		archive_entry_set_size(e, 0);
	} else if (S_ISREG(st.st_mode)) {
		archive_entry_set_size(e, st.st_size);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096 + 1];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0) {
			ret = ac_error_errno(err, "cannot read link '%s'", apath);
			goto out;
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		archive_entry_set_rdevmajor(e, major(st.st_rdev));
		archive_entry_set_rdevminor(e, minor(st.st_rdev));
	}
	if (!skipped && !first && (ret = add_xattrs(e, dirfd, name, apath, err)) < 0)
		goto out;
	normalise(w, e);
	if (!skipped && (ret = write_header(w, e, err)) < 0)
		goto out;
	if (!skipped && !first && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((ret = add_file_data(w, dirfd, name, apath, st.st_size, err)) < 0)
			goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			ret = ac_error_errno(err, "cannot open directory '%s'", apath);
			goto out;
		}
		_cleanup_strv_ char **names = NULL;
		size_t n = 0;
		if ((ret = list_dir(sub, apath, &names, &n, err)) < 0)
			goto out;
		for (size_t i = 0; i < n && ret == 0; i++) {
			_cleanup_free_ char *child = xasprintf("%s/%s", apath, names[i]);
			ret = add_path(w, sub, names[i], child, depth + 1, f, err);
		}
	}
out:
	archive_entry_free(e);
	return ret;
}

int ac_aci_writer_add_rootfs(ac_aci_writer *w, int layout_dirfd, ac_error **err)
{
	return add_path(w, layout_dirfd, "rootfs", "rootfs", 0, NULL, err);
}

int ac_aci_writer_add_tree(ac_aci_writer *w, int dirfd, const char *name, const char *apath,
			   ac_aci_tree_skip_fn *skip, void *arg, ac_error **err)
{
	struct tree_filter f = { skip, arg };
	return add_path(w, dirfd, name, apath, 0, &f, err);
}

int ac_aci_writer_finish(ac_aci_writer *w, char image_id[AC_IMAGE_ID_LEN + 1], ac_error **err)
{
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return archive_fail(w, err, "cannot finish the tar stream");
	if (ac_compressor_finish(w->comp, err) < 0)
		return -1;
	unsigned char raw[64];
	if (w->sha) {
		ac_digest_final(w->sha, raw);
		if (image_id)
			ac_image_id_format(raw, image_id);
	} else if (image_id) {
		image_id[0] = '\0';
	}
	return 0;
}

void ac_aci_writer_free(ac_aci_writer *w)
{
	if (!w)
		return;
	if (w->a)
		archive_write_free(w->a); /* does not call our close: none was given */
	ac_compressor_free(w->comp);
	ac_digest_free(w->sha);
	ac_error_free(&w->cb_err);
	for (size_t i = 0; i < w->inode_cap; i++)
		free(w->inodes[i].path);
	free(w->inodes);
	free(w->iobuf);
	free(w);
}
