/* The merged tree of Docker/OCI layers (see ac/docker-layer.h).
 *
 * Nodes are kept in a hash table by path and in their parent's child list;
 * non-directory nodes share an inode record when they are hard links, so a
 * link keeps its data when its target goes.  Data goes to one spool file
 * (appended, never rewritten) and streamed back while writing the ACI. */
#include "ac/docker-layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "ac/compress.h"
#include "ac/digest.h"
#include "ac/fs.h"
#include "ac/pathset.h"

#define IOBUF (256 * 1024)

struct xattr {
	char *name;
	void *val;
	size_t len;
};

struct inode {
	unsigned refs;
	mode_t mode; /* type and permission bits */
	int64_t uid, gid, mtime;
	uint64_t off, size; /* regular files: bytes in the spool */
	char *symlink;
	unsigned long rmaj, rmin;
	struct xattr *xa;
	size_t nxa;
	unsigned gen;  /* output run that wrote it first ... */
	char *written; /* ... under this path */
};

struct node {
	char *path; /* "" for the root, else "a/b" */
	const char *base;
	struct node *parent;
	struct node **kids;
	size_t nkids, kcap;
	struct node *hnext;
	struct inode *ino;
	int layer;   /* layer that set this node */
	int touched; /* last layer that set it or something below it */
	int is_virtual;
};

struct ac_layer_tree {
	struct node *root;
	struct node **buckets;
	size_t nbuckets, count;
	int spool;
	uint64_t spool_end;
	int layer; /* number of the last layer applied (1-based) */
	unsigned gen;
	struct node **virt; /* stdio symlinks added for the next write */
	size_t nvirt;
	char *buf;
};

/* ---- inodes and nodes ---- */

static struct inode *inode_new(mode_t mode)
{
	struct inode *i = xcalloc(1, sizeof(*i));
	i->refs = 1;
	i->mode = mode;
	return i;
}

static void inode_unref(struct inode *i)
{
	if (!i || --i->refs)
		return;
	for (size_t k = 0; k < i->nxa; k++) {
		free(i->xa[k].name);
		free(i->xa[k].val);
	}
	free(i->xa);
	free(i->symlink);
	free(i->written);
	free(i);
}

static struct node *lookup(ac_layer_tree *t, const char *path)
{
	if (!*path)
		return t->root;
	for (struct node *n = t->buckets[(size_t)ac_str_hash(path) & (t->nbuckets - 1)]; n; n = n->hnext)
		if (!strcmp(n->path, path))
			return n;
	return NULL;
}

static void hash_insert(ac_layer_tree *t, struct node *n)
{
	if (t->count * 2 >= t->nbuckets) {
		size_t nb = t->nbuckets * 2;
		struct node **b = xcalloc(nb, sizeof(*b));
		for (size_t i = 0; i < t->nbuckets; i++) {
			struct node *m = t->buckets[i], *next;
			for (; m; m = next) {
				next = m->hnext;
				size_t j = (size_t)ac_str_hash(m->path) & (nb - 1);
				m->hnext = b[j];
				b[j] = m;
			}
		}
		free(t->buckets);
		t->buckets = b;
		t->nbuckets = nb;
	}
	size_t j = (size_t)ac_str_hash(n->path) & (t->nbuckets - 1);
	n->hnext = t->buckets[j];
	t->buckets[j] = n;
	t->count++;
}

static void hash_remove(ac_layer_tree *t, struct node *n)
{
	struct node **p = &t->buckets[(size_t)ac_str_hash(n->path) & (t->nbuckets - 1)];
	for (; *p; p = &(*p)->hnext) {
		if (*p == n) {
			*p = n->hnext;
			t->count--;
			return;
		}
	}
}

static void touch(struct node *n, int layer)
{
	for (; n && n->touched != layer; n = n->parent)
		n->touched = layer;
}

static struct node *node_new(ac_layer_tree *t, struct node *parent, const char *path, struct inode *ino, int layer)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->path = xstrdup(path);
	const char *slash = strrchr(n->path, '/');
	n->base = slash ? slash + 1 : n->path;
	n->parent = parent;
	n->ino = ino;
	n->layer = layer;
	if (parent->nkids == parent->kcap) {
		parent->kcap = parent->kcap ? parent->kcap * 2 : 4;
		parent->kids = xrealloc(parent->kids, parent->kcap * sizeof(*parent->kids));
	}
	parent->kids[parent->nkids++] = n;
	hash_insert(t, n);
	touch(n, layer);
	return n;
}

static void node_free_rec(ac_layer_tree *t, struct node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		node_free_rec(t, n->kids[i]);
	if (n != t->root)
		hash_remove(t, n);
	inode_unref(n->ino);
	free(n->kids);
	free(n->path);
	free(n);
}

/* Removes n and everything below it. */
static void node_remove(ac_layer_tree *t, struct node *n)
{
	struct node *p = n->parent;
	for (size_t i = 0; i < p->nkids; i++) {
		if (p->kids[i] == n) {
			p->kids[i] = p->kids[--p->nkids];
			break;
		}
	}
	node_free_rec(t, n);
}

/* Removes below dir what only lower layers (before layer) put there. */
static void remove_lower(ac_layer_tree *t, struct node *dir, int layer)
{
	for (size_t i = 0; i < dir->nkids;) {
		struct node *c = dir->kids[i];
		if (c->touched < layer) {
			node_remove(t, c); /* moves the last child to i */
			continue;
		}
		if (S_ISDIR(c->ino->mode))
			remove_lower(t, c, layer);
		i++;
	}
}

/* The directory at path, created (0755, root) or replacing a non-directory
 * where needed, as Docker's applier creates missing parents. */
static struct node *ensure_dir(ac_layer_tree *t, const char *path, int layer)
{
	struct node *n = lookup(t, path);
	if (n && S_ISDIR(n->ino->mode))
		return n;
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *ppath = xstrndup(path, slash ? (size_t)(slash - path) : 0);
	struct node *parent = ensure_dir(t, ppath, layer);
	if (n)
		node_remove(t, n);
	return node_new(t, parent, path, inode_new(S_IFDIR | 0755), layer);
}

ac_layer_tree *ac_layer_tree_new(const char *tmp_dir, ac_error **err)
{
	if (!tmp_dir || !*tmp_dir)
		tmp_dir = ac_tmpdir();
	int fd = open(tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		_cleanup_free_ char *p = xasprintf("%s/docker2aci-spool-XXXXXX", tmp_dir);
		fd = mkostemp(p, O_CLOEXEC);
		if (fd < 0) {
			ac_error_errno(err, "cannot create a temporary file in %s", tmp_dir);
			return NULL;
		}
		unlink(p);
	}
	ac_layer_tree *t = xcalloc(1, sizeof(*t));
	t->spool = fd;
	t->nbuckets = 1024;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	t->root = xcalloc(1, sizeof(*t->root));
	t->root->path = xstrdup("");
	t->root->base = t->root->path;
	t->root->ino = inode_new(S_IFDIR | 0755);
	t->buf = xmalloc(IOBUF);
	return t;
}

void ac_layer_tree_free(ac_layer_tree *t)
{
	if (!t)
		return;
	node_free_rec(t, t->root);
	free(t->buckets);
	free(t->virt);
	free(t->buf);
	if (t->spool >= 0)
		close(t->spool);
	free(t);
}

/* ---- reading one layer ---- */

struct layer_in {
	int fd;
	ac_digest *cdig; /* of the file's bytes */
	ac_digest *udig; /* of the uncompressed tar */
	ac_decompressor *dec;
	ac_error *err;
};

static ssize_t layer_src(void *arg, void *buf, size_t len)
{
	struct layer_in *in = arg;
	ssize_t n;
	do
		n = read(in->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		ac_digest_update(in->cdig, buf, (size_t)n);
	return n;
}

static la_ssize_t layer_read(struct archive *a, void *arg, const void **buf)
{
	struct layer_in *in = arg;
	size_t len;
	if (ac_decompressor_next(in->dec, buf, &len, &in->err) < 0) {
		archive_set_error(a, in->err && in->err->code ? in->err->code : EIO, "%s",
				  in->err ? in->err->msg : "read error");
		return -1;
	}
	ac_digest_update(in->udig, *buf, len);
	return (la_ssize_t)len;
}

/* The cleaned, relative name of a layer entry: NULL (and *root = 1) for the
 * root itself; an error for names leading outside. */
static char *clean_name(const char *name, const char *what, int *root, ac_error **err)
{
	*root = 0;
	char *c = ac_path_clean(name);
	const char *p = c;
	while (*p == '/')
		p++;
	if (!*p || !strcmp(p, ".")) {
		free(c);
		*root = 1;
		return NULL;
	}
	if (!strcmp(p, "..") || ac_str_has_prefix(p, "../")) {
		free(c);
		ac_error_set(err, EINVAL, "invalid layer: %s \"%s\" leads outside the root", what, name);
		return NULL;
	}
	char *r = xstrdup(p);
	free(c);
	return r;
}

static int spool_data(ac_layer_tree *t, struct archive *a, struct inode *ino, const char *name, ac_error **err)
{
	ino->off = t->spool_end;
	uint64_t total = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, t->buf, IOBUF);
		if (n < 0)
			return ac_error_set(err, EBADMSG, "%s: %s", name, archive_error_string(a));
		if (n == 0)
			break;
		const char *p = t->buf;
		size_t left = (size_t)n;
		while (left) {
			ssize_t w = pwrite(t->spool, p, left, (off_t)(ino->off + total));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return ac_error_errno(err, "cannot write the layer spool");
			}
			p += w;
			left -= (size_t)w;
			total += (uint64_t)w;
		}
	}
	ino->size = total;
	t->spool_end += total;
	return 0;
}

static void copy_meta(struct inode *ino, struct archive_entry *e)
{
	ino->uid = archive_entry_uid(e);
	ino->gid = archive_entry_gid(e);
	ino->mtime = archive_entry_mtime(e);
	for (size_t k = 0; k < ino->nxa; k++) {
		free(ino->xa[k].name);
		free(ino->xa[k].val);
	}
	free(ino->xa);
	ino->xa = NULL;
	ino->nxa = 0;
	const char *xn;
	const void *xv;
	size_t xl;
	int cnt = archive_entry_xattr_reset(e);
	if (cnt > 0) {
		ino->xa = xcalloc((size_t)cnt, sizeof(*ino->xa));
		while (archive_entry_xattr_next(e, &xn, &xv, &xl) == ARCHIVE_OK && ino->nxa < (size_t)cnt) {
			struct xattr *x = &ino->xa[ino->nxa++];
			x->name = xstrdup(xn);
			x->val = xmalloc(xl ? xl : 1);
			memcpy(x->val, xv, xl);
			x->len = xl;
		}
	}
}

static int apply_whiteout(ac_layer_tree *t, const char *path, const char *dir, const char *base, int layer)
{
	if (!strcmp(base, ".wh..wh..opq")) {
		struct node *d = lookup(t, dir);
		if (d && S_ISDIR(d->ino->mode))
			remove_lower(t, d, layer);
		return 0;
	}
	_cleanup_free_ char *target = *dir ? xasprintf("%s/%s", dir, base + 4) : xstrdup(base + 4);
	(void)path;
	struct node *n = lookup(t, target);
	if (!n || n == t->root)
		return 0;
	if (n->touched < layer)
		node_remove(t, n);
	else if (S_ISDIR(n->ino->mode))
		remove_lower(t, n, layer); /* re-created in this layer: keep it, hide the rest */
	return 0;
}

static int apply_entry(ac_layer_tree *t, struct archive *a, struct archive_entry *e, int layer, ac_error **err)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		return ac_error_set(err, EBADMSG, "invalid layer: entry without a name");
	int root;
	_cleanup_free_ char *path = clean_name(name, "entry", &root, err);
	if (!path)
		return root ? 0 : -1;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	_cleanup_free_ char *dir = xstrndup(path, slash ? (size_t)(slash - path) : 0);

	if (ac_str_has_prefix(base, ".wh."))
		return apply_whiteout(t, path, dir, base, layer);

	const char *hl = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	if (!hl && type == AE_IFSOCK)
		return 0; /* sockets cannot be archived */
	if (!strcmp(path, "dev") && (hl || type != AE_IFDIR))
		return ac_error_set(err, EINVAL, "invalid layer: \"/dev\" is not a directory");

	struct inode *ino = NULL;
	if (hl) {
		_cleanup_free_ char *target = clean_name(hl, "hard link target", &root, err);
		if (!target) {
			if (root)
				ac_error_set(err, EINVAL, "invalid layer: hard link \"%s\" to the root", name);
			return -1;
		}
		struct node *tn = lookup(t, target);
		if (!tn || S_ISDIR(tn->ino->mode))
			return ac_error_set(err, EINVAL, "invalid layer: hard link \"%s\" to %s \"%s\"", name,
					    tn ? "the directory" : "missing target", hl);
		if (tn == lookup(t, path))
			return 0; /* a link to itself changes nothing */
		ino = tn->ino;
		ino->refs++;
	} else {
		switch (type) {
		case AE_IFREG: case AE_IFDIR: case AE_IFLNK: case AE_IFCHR: case AE_IFBLK: case AE_IFIFO:
			break;
		default:
			return ac_error_set(err, EINVAL, "invalid layer: entry \"%s\" has an unknown type", name);
		}
		ino = inode_new(type | (archive_entry_perm(e) & 07777));
		copy_meta(ino, e);
		if (type == AE_IFLNK)
			ino->symlink = xstrdup(archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
		if (type == AE_IFCHR || type == AE_IFBLK) {
			ino->rmaj = archive_entry_rdevmajor(e);
			ino->rmin = archive_entry_rdevminor(e);
		}
		if (type == AE_IFREG && spool_data(t, a, ino, name, err) < 0) {
			inode_unref(ino);
			return -1;
		}
	}

	struct node *parent = ensure_dir(t, dir, layer);
	struct node *old = lookup(t, path);
	if (old && S_ISDIR(old->ino->mode) && S_ISDIR(ino->mode)) {
		/* directory over directory: merge, the new metadata wins */
		inode_unref(old->ino);
		old->ino = ino;
		old->layer = layer;
		touch(old, layer);
		return 0;
	}
	if (old)
		node_remove(t, old);
	node_new(t, parent, path, ino, layer);
	return 0;
}

static int check_digest(ac_digest *d, const char *want, const char *what, const char *name, ac_error **err)
{
	unsigned char raw[32];
	char hex[65];
	ac_digest_final(d, raw);
	ac_hex(raw, 32, hex);
	if (want && (!ac_str_has_prefix(want, "sha256:") || strcmp(want + 7, hex)))
		return ac_error_set(err, EBADMSG, "%s: %s mismatch: expected %s, got sha256:%s", name, what, want, hex);
	return 0;
}

int ac_layer_tree_apply(ac_layer_tree *t, const struct ac_layer_src *src, ac_error **err)
{
	struct layer_in in = { .fd = src->fd };
	int layer = ++t->layer, ret = -1;
	struct archive *a = NULL;
	in.cdig = ac_digest_new(AC_SHA256);
	in.udig = ac_digest_new(AC_SHA256);
	/* layer_src touches only in->fd and in->cdig, which nothing else uses
	 * while the decompressor runs: inflating may go to a helper thread. */
	in.dec = ac_decompressor_new_threads(AC_COMP_UNKNOWN, 0, layer_src, &in, err);
	if (!in.dec) {
		ac_error_wrap(err, "%s", src->name);
		goto out;
	}
	a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open(a, &in, NULL, layer_read, NULL) != ARCHIVE_OK) {
		ac_error_set(err, EBADMSG, "%s: cannot read the layer: %s", src->name,
			     in.err ? in.err->msg : archive_error_string(a));
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			ac_error_set(err, EBADMSG, "%s: cannot read the layer: %s", src->name,
				     in.err ? in.err->msg : archive_error_string(a));
			goto out;
		}
		if (apply_entry(t, a, e, layer, err) < 0) {
			ac_error_wrap(err, "%s", src->name);
			goto out;
		}
	}
	/* The rest of the stream (tar padding, trailing data) counts for the
	 * digests, and must still decode. */
	for (;;) {
		const void *b;
		size_t len;
		if (ac_decompressor_next(in.dec, &b, &len, err) < 0) {
			ac_error_wrap(err, "%s", src->name);
			goto out;
		}
		if (!len)
			break;
		ac_digest_update(in.udig, b, len);
	}
	/* The helper thread may call layer_src until the decompressor is gone. */
	ac_decompressor_free(in.dec);
	in.dec = NULL;
	for (;;) {
		ssize_t n = layer_src(&in, t->buf, IOBUF);
		if (n < 0) {
			ac_error_errno(err, "%s: read error", src->name);
			goto out;
		}
		if (!n)
			break;
	}
	if (check_digest(in.cdig, src->digest, "digest", src->name, err) < 0 ||
	    check_digest(in.udig, src->diff_id, "diff ID", src->name, err) < 0)
		goto out;
	ret = 0;
out:
	if (a)
		archive_read_free(a);
	ac_decompressor_free(in.dec);
	ac_digest_free(in.cdig);
	ac_digest_free(in.udig);
	ac_error_free(&in.err);
	return ret;
}

/* ---- stdio symlinks ---- */

int ac_layer_tree_add_stdio(ac_layer_tree *t, ac_error **err)
{
	static const char *const links[][2] = {
		{ "dev/fd", "/proc/self/fd" },
		{ "dev/stderr", "/dev/console" },
		{ "dev/stdin", "/proc/self/fd/0" },
		{ "dev/stdout", "/dev/console" },
	};
	struct node *dev = lookup(t, "dev");
	if (dev && !S_ISDIR(dev->ino->mode))
		return ac_error_set(err, EINVAL, "invalid layer: \"/dev\" is not a directory");
	t->virt = xrealloc(t->virt, (ARRAY_SIZE(links) + 1) * sizeof(*t->virt));
	t->nvirt = 0;
	if (!dev) {
		dev = node_new(t, t->root, "dev", inode_new(S_IFDIR | 0755), t->layer);
		dev->is_virtual = 1;
		t->virt[t->nvirt++] = dev;
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		if (lookup(t, links[i][0]))
			continue;
		struct inode *ino = inode_new(S_IFLNK | 0777);
		ino->symlink = xstrdup(links[i][1]);
		struct node *n = node_new(t, dev, links[i][0], ino, t->layer);
		n->is_virtual = 1;
		t->virt[t->nvirt++] = n;
	}
	return 0;
}

static void drop_virtual(ac_layer_tree *t)
{
	while (t->nvirt)
		node_remove(t, t->virt[--t->nvirt]);
}

/* ---- output ---- */

static int cmp_nodes(const void *a, const void *b)
{
	return strcmp((*(struct node *const *)a)->base, (*(struct node *const *)b)->base);
}

static void set_xattrs(struct archive_entry *e, const struct inode *ino)
{
	for (size_t k = 0; k < ino->nxa; k++)
		archive_entry_xattr_add_entry(e, ino->xa[k].name, ino->xa[k].val, ino->xa[k].len);
}

static int write_node(ac_layer_tree *t, ac_aci_writer *w, struct node *n, int only_last, ac_error **err)
{
	if (only_last && n->touched != t->layer)
		return 0;
	struct inode *ino = n->ino;
	struct archive_entry *e = archive_entry_new();
	_cleanup_free_ char *apath = xasprintf("rootfs/%s", n->path);
	archive_entry_set_pathname(e, apath);
	archive_entry_set_mode(e, ino->mode);
	archive_entry_set_uid(e, ino->uid);
	archive_entry_set_gid(e, ino->gid);
	archive_entry_set_mtime(e, ino->mtime, 0);
	int r;
	if (!S_ISDIR(ino->mode) && ino->gen == t->gen) {
		_cleanup_free_ char *target = xasprintf("rootfs/%s", ino->written);
		archive_entry_set_hardlink(e, target);
		archive_entry_set_size(e, 0);
		r = ac_aci_writer_add_entry(w, e, NULL, 0, err);
	} else {
		if (!S_ISDIR(ino->mode)) {
			ino->gen = t->gen;
			free(ino->written);
			ino->written = xstrdup(n->path);
		}
		set_xattrs(e, ino);
		if (S_ISLNK(ino->mode))
			archive_entry_set_symlink(e, ino->symlink);
		if (S_ISCHR(ino->mode) || S_ISBLK(ino->mode)) {
			archive_entry_set_rdevmajor(e, ino->rmaj);
			archive_entry_set_rdevminor(e, ino->rmin);
		}
		if (S_ISREG(ino->mode)) {
			archive_entry_set_size(e, (la_int64_t)ino->size);
			r = ac_aci_writer_add_entry_fd(w, e, t->spool, (int64_t)ino->off, (int64_t)ino->size, err);
		} else {
			archive_entry_set_size(e, 0);
			r = ac_aci_writer_add_entry(w, e, NULL, 0, err);
		}
	}
	archive_entry_free(e);
	if (r < 0 || !S_ISDIR(ino->mode))
		return r;
	if (n->nkids)
		qsort(n->kids, n->nkids, sizeof(*n->kids), cmp_nodes);
	for (size_t i = 0; i < n->nkids; i++)
		if (write_node(t, w, n->kids[i], only_last, err) < 0)
			return -1;
	return 0;
}

int ac_layer_tree_write(ac_layer_tree *t, ac_aci_writer *w, int only_last, ac_error **err)
{
	t->gen++;
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "rootfs");
	archive_entry_set_mode(e, S_IFDIR | 0755);
	archive_entry_set_mtime(e, 0, 0);
	int r = ac_aci_writer_add_entry(w, e, NULL, 0, err);
	archive_entry_free(e);
	struct node *root = t->root;
	if (root->nkids)
		qsort(root->kids, root->nkids, sizeof(*root->kids), cmp_nodes);
	for (size_t i = 0; r == 0 && i < root->nkids; i++)
		r = write_node(t, w, root->kids[i], only_last, err);
	drop_virtual(t);
	return r;
}

static void collect(struct node *n, char ***v, size_t *len, size_t *cap)
{
	for (size_t i = 0; i < n->nkids; i++) {
		if (*len + 1 >= *cap)
			*v = xrealloc(*v, (*cap = *cap * 2 + 16) * sizeof(**v));
		(*v)[(*len)++] = n->kids[i]->path;
		collect(n->kids[i], v, len, cap);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *ac_layer_tree_whitelist(ac_layer_tree *t)
{
	char **v = NULL;
	size_t len = 0, cap = 0;
	collect(t->root, &v, &len, &cap);
	/* sort.Strings on "/a/b": the same order as on "a/b" */
	if (len)
		qsort(v, len, sizeof(*v), cmp_str);
	json_t *arr = json_array();
	for (size_t i = 0; i < len; i++) {
		_cleanup_free_ char *p = xasprintf("/%s", v[i]);
		json_array_append_new(arr, json_string(p));
	}
	free(v);
	return arr;
}
