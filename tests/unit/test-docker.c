/* Unit tests of the docker2aci library: references, the manifest mapping,
 * and the layer tree (ac/docker.h, ac/docker-layer.h). */
#include "test.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include "ac/docker-layer.h"
#include "ac/docker.h"
#include "ac/fs.h"

DEFINE_TEST(test_docker_parse_ref)
{
	static const char *const cases[][4] = {
		{ "busybox", "registry-1.docker.io", "library/busybox", "latest" },
		{ "docker.io/library/busybox:1.36", "registry-1.docker.io", "library/busybox", "1.36" },
		{ "quay.io/coreos/etcd:v3.1.0", "quay.io", "coreos/etcd", "v3.1.0" },
		{ "localhost:5000/foo/bar:1.0", "localhost:5000", "foo/bar", "1.0" },
		{ "myuser/app", "registry-1.docker.io", "myuser/app", "latest" },
	};
	ac_error *err = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ac_docker_ref r;
		check_ok(ac_docker_parse_ref(cases[i][0], &r, &err), err);
		check_str(r.index_url, cases[i][1]);
		check_str(r.image_name, cases[i][2]);
		check_str(r.tag, cases[i][3]);
		check_str(r.original, cases[i][0]);
		ac_docker_ref_free(&r);
	}
	struct ac_docker_ref r;
	check_ok(ac_docker_parse_ref("busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", &r, &err), err);
	check_str(r.tag, "");
	ac_docker_ref_free(&r);
	check_err(ac_docker_parse_ref("Busybox", &r, &err), err, "must be lowercase");
	check_ok(ac_docker_check_layer_id("sha256:abcDEF012", &err), err);
	check_err(ac_docker_check_layer_id("../../x", &err), err, "invalid layer ID \"../../x\"");
	check_err(ac_docker_check_digest("sha256:../../etc", &err), err, "invalid digest");
}

DEFINE_TEST(test_docker_manifest_v1)
{
	ac_error *err = NULL;
	struct ac_docker_ref u = { "", "", "library/busybox", "latest", "" };
	json_t *layer = json_loads("{\"parent\":\"bb\",\"os\":\"linux\",\"architecture\":\"arm64\","
				   "\"created\":\"1970-01-01T00:00:00Z\",\"config\":{\"User\":\"daemon\","
				   "\"Cmd\":[\"sh\"],\"Volumes\":{\"/b\":{},\"/a\":{},\"/A\":{}},"
				   "\"PortSpecs\":[\"6379\"]}}", 0, NULL);
	json_t *m = ac_docker_manifest_v1(layer, "aa", "aa", &u, &err);
	check(m != NULL);
	_cleanup_free_ char *s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
	check_contains(s, "\"name\":\"library/busybox-aa\"");
	check_contains(s, "{\"name\":\"arch\",\"value\":\"aarch64\"}");
	check_contains(s, "\"user\":\"daemon\"");
	check_contains(s, "\"group\":\"daemon\"");
	check_contains(s, "\"exec\":[\"sh\"]");
	check_contains(s, "{\"name\":\"volume-a\",\"path\":\"/A\"");
	check_contains(s, "{\"name\":\"volume-a-1\",\"path\":\"/a\"");
	check_contains(s, "\"name\":\"6379\"");
	check(!strstr(s, "\"created\"")); /* the epoch is skipped */
	check_contains(s, "\"imageName\":\"library/busybox-bb\"");
	check_ok(ac_docker_manifest_squash(m, &err), err);
	check_str(json_string_value(json_object_get(m, "name")), "library/busybox");
	check(!json_object_get(m, "dependencies"));
	json_decref(m);
	json_decref(layer);
}

/* A layer tar file with (type, name, data-or-link) triples. */
static int make_layer(const char *path, const char *const (*e)[3], size_t n)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *x = archive_entry_new();
		archive_entry_set_pathname(x, e[i][1]);
		archive_entry_set_perm(x, 0644);
		switch (e[i][0][0]) {
		case 'f':
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_size(x, (la_int64_t)strlen(e[i][2]));
			break;
		case 'd':
			archive_entry_set_filetype(x, AE_IFDIR);
			break;
		case 'h':
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_hardlink(x, e[i][2]);
			break;
		}
		archive_write_header(a, x);
		if (e[i][0][0] == 'f')
			archive_write_data(a, e[i][2], strlen(e[i][2]));
		archive_entry_free(x);
	}
	archive_write_close(a);
	archive_write_free(a);
	return 0;
}

static int apply(ac_layer_tree *t, const char *path, ac_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY);
	struct ac_layer_src src = { fd, path, NULL, NULL };
	return ac_layer_tree_apply(t, &src, err);
}

DEFINE_TEST(test_docker_layer_tree)
{
	static const char *const l1[][3] = {
		{ "d", "d", "" }, { "f", "d/old", "1" }, { "f", "t", "T" }, { "f", "gone", "g" },
	};
	static const char *const l2[][3] = {
		{ "f", "d/.wh..wh..opq", "" }, { "f", "d/new", "2" }, { "h", "ln", "t" },
		{ "f", ".wh.t", "" }, { "f", ".wh.gone", "" }, { "f", "gone", "again" },
	};
	ac_error *err = NULL;
	make_layer("l1.tar", l1, ARRAY_SIZE(l1));
	make_layer("l2.tar", l2, ARRAY_SIZE(l2));
	ac_layer_tree *t = ac_layer_tree_new(test_tmpdir, &err);
	check(t != NULL);
	check_ok(apply(t, "l1.tar", &err), err);
	check_ok(apply(t, "l2.tar", &err), err);
	json_t *wl = ac_layer_tree_whitelist(t);
	_cleanup_free_ char *s = json_dumps(wl, JSON_COMPACT);
	/* ln keeps t's data although t is whited out in the same layer: the
	 * whiteout removes only what lower layers had (t was there) */
	check_str(s, "[\"/d\",\"/d/new\",\"/gone\",\"/ln\"]");
	json_decref(wl);
	ac_layer_tree_free(t);

	static const char *const bad[][3] = { { "f", "../x", "" } };
	make_layer("bad.tar", bad, 1);
	t = ac_layer_tree_new(test_tmpdir, &err);
	check_err(apply(t, "bad.tar", &err), err, "leads outside the root");
	ac_layer_tree_free(t);
	ac_write_file_atomic("junk.tar", "not a tar at all, not at all, no", 32, 0644, &err);
	t = ac_layer_tree_new(test_tmpdir, &err);
	check_err(apply(t, "junk.tar", &err), err, "junk.tar");
	ac_layer_tree_free(t);
}

/* Writes one ACI of a 600 KiB file (more than one read buffer), from memory
 * or streamed from fd at off; returns the bytes. */
static char *write_one(const char *out, const char *data, size_t len, int fd, int64_t off, int no_id, char *id,
		       size_t *olen, ac_error **err)
{
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct ac_aci_write_opts wo = { .comp = { .type = AC_COMP_NONE, .level = -1, .threads = 1 } };
	wo.no_image_id = no_id;
	ac_aci_writer *w = ac_aci_writer_new(ofd, &wo, err);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "rootfs/f");
	archive_entry_set_mode(e, AE_IFREG | 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	int r = ac_aci_writer_add_manifest(w, "{}", 2, 0, err);
	if (r == 0)
		r = fd < 0 ? ac_aci_writer_add_entry(w, e, data, len, err)
			   : ac_aci_writer_add_entry_fd(w, e, fd, off, (int64_t)len, err);
	if (r == 0)
		r = ac_aci_writer_finish(w, id, err);
	archive_entry_free(e);
	ac_aci_writer_free(w);
	close(ofd);
	char *buf = NULL;
	if (r == 0 && ac_read_file_at(AT_FDCWD, out, 16u << 20, &buf, olen, err) < 0)
		return NULL;
	return buf;
}

DEFINE_TEST(test_docker_writer_entry_fd)
{
	ac_error *err = NULL;
	size_t len = 600 * 1024, alen, blen;
	_cleanup_free_ char *data = xmalloc(len + 100);
	for (size_t i = 0; i < len + 100; i++)
		data[i] = (char)(i * 7 + (i >> 9));
	check_ok(ac_write_file_atomic("spool", data, len + 100, 0600, &err), err);
	int fd = open("spool", O_RDONLY | O_CLOEXEC);
	check(fd >= 0);
	char ida[AC_IMAGE_ID_LEN + 1], idb[AC_IMAGE_ID_LEN + 1];
	_cleanup_free_ char *a = write_one("a.aci", data + 100, len, -1, 0, 0, ida, &alen, &err);
	check(a != NULL);
	_cleanup_free_ char *b = write_one("b.aci", NULL, len, fd, 100, 0, idb, &blen, &err);
	check(b != NULL);
	/* the same bytes and image ID whichever way the data comes */
	check_int(alen, ==, blen);
	check_mem(a, b, alen);
	check_str(ida, idb);
	_cleanup_free_ char *c = write_one("c.aci", NULL, len, fd, 100, 1, idb, &blen, &err);
	check(c != NULL);
	check_mem(a, c, alen);
	check_str(idb, "");
	/* a file shorter than the entry says */
	check(write_one("d.aci", NULL, len, fd, 1000, 0, idb, &blen, &err) == NULL);
	check_contains(err ? err->msg : "", "data ends early");
	ac_error_free(&err);
	close(fd);
}
