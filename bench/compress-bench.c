/* A bench driver for the library, independent of the tools:
 *
 *   compress-bench build LAYOUT OUT [LEVEL [THREADS]]   ac_aci_writer, like actool build
 *   compress-bench validate IMAGE                       ac_aci_validate, like actool validate
 *   compress-bench gzip LEVEL THREADS < IN > OUT        ac_compressor on a plain stream
 *   compress-bench gunzip < IN > OUT                    ac_decompressor on a stream
 *
 * Built by bench/compress.sh against build/plain/libcommon.a. */
#include <fcntl.h>
#include <sys/stat.h>
#include "ac/aci.h"

static int die(ac_error *err)
{
	fprintf(stderr, "compress-bench: %s\n", err ? err->msg : "failed");
	return 1;
}

static int build(const char *layout, const char *out, int level, int threads)
{
	ac_error *err = NULL;
	int dfd = open(layout, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return perror(layout), 1;
	int mfd = openat(dfd, "manifest", O_RDONLY);
	struct stat st;
	if (mfd < 0 || fstat(mfd, &st) < 0)
		return perror("manifest"), 1;
	char *json = xmalloc((size_t)st.st_size + 1);
	if (read(mfd, json, (size_t)st.st_size) != st.st_size)
		return perror("manifest"), 1;
	close(mfd);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return perror(out), 1;
	struct ac_aci_write_opts o = { .comp = { .type = AC_COMP_GZIP, .level = level, .threads = threads },
				       .owner_root = 1 };
	ac_aci_writer *w = ac_aci_writer_new(fd, &o, &err);
	char id[AC_IMAGE_ID_LEN + 1];
	if (!w || ac_aci_writer_add_manifest(w, json, (size_t)st.st_size, st.st_mtime, &err) < 0 ||
	    ac_aci_writer_add_rootfs(w, dfd, &err) < 0 || ac_aci_writer_finish(w, id, &err) < 0)
		return die(err);
	ac_aci_writer_free(w);
	free(json);
	close(fd);
	close(dfd);
	printf("%s\n", id);
	return 0;
}

static int validate(const char *image)
{
	ac_error *err = NULL;
	int fd = open(image, O_RDONLY);
	if (fd < 0)
		return perror(image), 1;
	if (ac_aci_validate(fd, image, NULL, &err) < 0)
		return die(err);
	close(fd);
	return 0;
}

static int gz(int level, int threads)
{
	ac_error *err = NULL;
	int out = 1;
	struct ac_compress_opts o = { .type = AC_COMP_GZIP, .level = level, .threads = threads };
	ac_compressor *c = ac_compressor_new(&o, ac_sink_fd, &out, &err);
	if (!c)
		return die(err);
	static char buf[1 << 16];
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (ac_compressor_write(c, buf, (size_t)n, &err) < 0)
			return die(err);
	if (n < 0 || ac_compressor_finish(c, &err) < 0)
		return die(err);
	ac_compressor_free(c);
	return 0;
}

static int gunzip(void)
{
	ac_error *err = NULL;
	int in = 0;
	ac_decompressor *d = ac_decompressor_new(AC_COMP_UNKNOWN, ac_source_fd, &in, &err);
	if (!d)
		return die(err);
	for (;;) {
		const void *b;
		size_t l;
		if (ac_decompressor_next(d, &b, &l, &err) < 0)
			return die(err);
		if (!l)
			break;
		if (ac_sink_fd(&(int){ 1 }, b, l) < 0)
			return perror("write"), 1;
	}
	ac_decompressor_free(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "build"))
		return build(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : -1, argc > 5 ? atoi(argv[5]) : 0);
	if (argc == 3 && !strcmp(argv[1], "validate"))
		return validate(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "gzip"))
		return gz(atoi(argv[2]), atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "gunzip"))
		return gunzip();
	fprintf(stderr, "usage: compress-bench build LAYOUT OUT [LEVEL [THREADS]] | validate IMAGE | "
			"gzip LEVEL THREADS | gunzip\n");
	return 2;
}
