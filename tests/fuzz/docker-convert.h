/* Shared by the docker-save and docker-dir targets: converts path with
 * ac_docker_convert_file into WORK/out and checks what came out. */
#ifndef AC_FUZZ_DOCKER_CONVERT_H
#define AC_FUZZ_DOCKER_CONVERT_H

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "ac/docker.h"
#include "ac/fs.h"
#include "ac/util.h"
#include "fuzz.h"

static void fuzz_docker_convert(const char *work, const char *path, int flags)
{
	char *out = xasprintf("%s/out", work), *tmp = xasprintf("%s/tmp", work);
	if (ac_mkdir_p(out, 0755, NULL) < 0 || ac_mkdir_p(tmp, 0755, NULL) < 0)
		fuzz_fail("mkdir %s", out);
	struct ac_docker_opts o;
	memset(&o, 0, sizeof(o));
	o.nosquash = flags & 1;
	o.image = flags & 2 ? "fuzz/image:latest" : NULL;
	o.comp.type = AC_COMP_NONE;
	o.comp.level = -1;
	o.comp.threads = 1;
	o.output_dir = out;
	o.tmp_dir = tmp;
	struct ac_docker_result res;
	ac_error *err = NULL;
	if (ac_docker_convert_file(path, &o, &res, &err) == 0) {
		if (!res.acis || !res.acis[0])
			fuzz_fail("conversion succeeded without output");
		for (char **a = res.acis; *a; a++) {
			if (!ac_str_has_prefix(*a, out) || (*a)[strlen(out)] != '/' || strstr(*a, "/../"))
				fuzz_fail("ACI written outside the output dir: %s", *a);
			int fd = open(*a, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				fuzz_fail("converted ACI %s is missing", *a);
			if (ac_aci_validate(fd, *a, NULL, &err) < 0)
				fuzz_fail("converted ACI %s is invalid: %s", *a, err->msg);
			close(fd);
		}
		if (!res.manifest)
			fuzz_fail("conversion succeeded without a manifest");
	} else {
		if (!err || !err->msg[0])
			fuzz_fail("conversion failed without a message");
		ac_error_free(&err);
	}
	ac_docker_result_free(&res);
	/* the temporary directory is cleaned up */
	int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd >= 0) {
		DIR *d = fdopendir(tfd);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				fuzz_fail("temporary %s/%s left behind", tmp, de->d_name);
		if (d)
			closedir(d);
	}
	fuzz_check_canary(out);
	free(out);
	free(tmp);
}

#endif
