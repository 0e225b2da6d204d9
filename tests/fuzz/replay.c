/* Runs a fuzz target without libFuzzer: every file named on the command line
 * (directories: every file in them) is fed once to LLVMFuzzerTestOneInput.
 * Used to replay the regression inputs with the normal compiler. */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ac/fs.h"
#include "ac/util.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_file(const char *path)
{
	char *data = NULL;
	size_t len = 0;
	ac_error *err = NULL;
	if (ac_read_file_at(AT_FDCWD, path, 64u << 20, &data, &len, &err) < 0) {
		fprintf(stderr, "replay: %s\n", err->msg);
		ac_error_free(&err);
		return -1;
	}
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xasprintf("%s/%s", path, de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		if (run_path(names[i]) < 0)
			ret = -1;
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	int ret = 0;
	/* absolute names: targets may change the cwd */
	for (int i = 1; i < argc; i++) {
		char *abs = realpath(argv[i], NULL);
		if (!abs || run_path(abs) < 0)
			ret = 1;
		if (!abs)
			perror(argv[i]);
		free(abs);
	}
	return ret;
}
