/* ACI reader, ac_aci_validate, ac_aci_read_manifest and the safe extractor.
 * The extractor writes into a scratch directory that is removed after each
 * input; fuzz_work_check() aborts when anything appeared beside it (escape).
 * A hash of the input picks the extractor mode, so an input always replays
 * the same way: with or without strip_prefix "rootfs", with openat2 or the
 * component-walk fallback. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ac/aci.h"
#include "ac/extract.h"
#include "ac/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ac_error *err = NULL;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;

	int fd = fuzz_memfd(data, size);
	json_t *m = NULL;
	if (ac_aci_validate(fd, "fuzz.aci", &m, &err) < 0)
		ac_error_free(&err);
	json_decref(m);

	lseek(fd, 0, SEEK_SET);
	char *json = NULL;
	size_t len;
	/* (the manifest may hold NUL bytes: callers pass len, not strlen) */
	if (ac_aci_read_manifest(fd, "fuzz.aci", &json, &len, &err) < 0)
		ac_error_free(&err);
	else if (json && json[len])
		fuzz_fail("manifest of %zu bytes not NUL-terminated", len);
	free(json);

	lseek(fd, 0, SEEK_SET);
	ac_aci_reader *r = ac_aci_reader_open(fd, "fuzz.aci", &err);
	if (!r) {
		ac_error_free(&err);
		close(fd);
		return 0;
	}
	const char *work = fuzz_work_dir();
	char *root = xasprintf("%s/root", work);
	struct ac_extract_opts o;
	ac_extract_opts_default(&o);
	o.strip_prefix = h & 1 ? "rootfs" : NULL;
	o.allow_devices = 0; /* device nodes: skipped, as for a non-root user */
	o.max_bytes = 64u << 20;
	if (h & 2)
		setenv("AC_EXTRACT_NO_OPENAT2", "1", 1);
	if (ac_extract(r, root, &o, &err) < 0) {
		ac_error_free(&err);
	} else {
		char id[AC_IMAGE_ID_LEN + 1];
		if (ac_aci_reader_finish(r, id, &err) < 0)
			ac_error_free(&err);
	}
	unsetenv("AC_EXTRACT_NO_OPENAT2");
	ac_aci_reader_free(r);
	close(fd);
	free(root);
	fuzz_work_check();
	return 0;
}
