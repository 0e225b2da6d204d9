/* PodManifest parse + validate, then the canonical tree parsed again.  That
 * may fail as the original's would (a missing acVersion decodes as the zero
 * value, which is not a valid version when given), but must not crash. */
#include "fuzz.h"

#include "ac/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ac_error *err = NULL;
	json_t *m = ac_pod_manifest_parse((const char *)data, size, &err);
	if (!m) {
		if (!err || !err->msg[0])
			fuzz_fail("parse failed without a message");
		ac_error_free(&err);
		return 0;
	}
	char *s = json_dumps(m, JSON_COMPACT);
	if (!s)
		fuzz_fail("json_dumps failed");
	json_t *m2 = ac_pod_manifest_parse(s, strlen(s), &err);
	if (!m2)
		ac_error_free(&err);
	free(s);
	json_decref(m2);
	json_decref(m);
	return 0;
}
