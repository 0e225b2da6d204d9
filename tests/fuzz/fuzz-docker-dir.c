/* The Docker/OCI image directory reader (manifest.json, repositories,
 * index.json, blobs, configs, layer tars), with the files given in one input
 * so that the fuzzer mutates the JSON directly:
 *   "==> NAME\n" CONTENT  ("\n==> NAME\n" starts the next file)
 *   "==> NAME -> TARGET\n" a symlink (skopeo writes layer.tar symlinks)
 * NAME is restricted to plain relative paths; TARGET is anything.  A first
 * line "flags N" picks -nosquash (1) and -image (2). */
#include "fuzz.h"

#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "docker-convert.h"

#define MARK "==> "

static int safe_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 200)
		return 0;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("._-:+/", *p)))
			return 0;
	/* components: not empty, not "." or ".." */
	for (const char *c = s;;) {
		size_t l = strcspn(c, "/");
		if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!c[l])
			return 1;
		c += l + 1;
	}
}

static void add_file(const char *dir, const char *head, size_t hlen, const uint8_t *body, size_t blen)
{
	char *h = xstrndup(head, hlen);
	char *arrow = strstr(h, " -> ");
	if (arrow)
		*arrow = '\0';
	if (safe_name(h)) {
		char *path = xasprintf("%s/%s", dir, h);
		char *slash = strrchr(path, '/');
		*slash = '\0';
		if (ac_mkdir_p(path, 0755, NULL) == 0) {
			*slash = '/';
			if (arrow) {
				if (symlink(arrow + 4, path) < 0) {
					/* a name given twice: the first wins */
				}
			} else {
				int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
				if (fd >= 0) {
					if (ac_write_all(fd, body, blen) < 0)
						fuzz_fail("write %s", path);
					close(fd);
				}
			}
		}
		free(path);
	}
	free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *work = fuzz_work_dir();
	char *dir = xasprintf("%s/image", work);
	if (mkdir(dir, 0755) < 0)
		fuzz_fail("mkdir %s", dir);
	int flags = 0;
	const uint8_t *p = data, *end = data + size;
	if (size > 6 && !memcmp(p, "flags ", 6)) {
		flags = p[6] - '0';
		const uint8_t *nl = memchr(p, '\n', size);
		p = nl ? nl + 1 : end;
	}
	if ((size_t)(end - p) >= strlen(MARK) && !memcmp(p, MARK, strlen(MARK))) {
		p += strlen(MARK);
		while (p < end) {
			const uint8_t *nl = memchr(p, '\n', end - p);
			if (!nl)
				break;
			const uint8_t *body = nl + 1;
			const uint8_t *next = memmem(body, end - body, "\n" MARK, strlen(MARK) + 1);
			const uint8_t *bend = next ? next : end;
			add_file(dir, (const char *)p, nl - p, body, bend - body);
			p = next ? next + 1 + strlen(MARK) : end;
		}
	}
	fuzz_docker_convert(work, dir, flags);
	free(dir);
	fuzz_work_check();
	return 0;
}
