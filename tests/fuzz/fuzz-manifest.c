/* ImageManifest: parse + validate, then the round trip: what serialises
 * must parse again and serialise to the same bytes, compact or indented.
 * Serialising may refuse what decoding let through, as the original does
 * (a label without a "name" key decodes as "", which cannot be written):
 * that is an error message, not a failure. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include "ac/manifest.h"
#include "ac/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ac_error *err = NULL;
	const char *kind;
	if (ac_manifest_parse_kind((const char *)data, size, &kind, &err) < 0)
		ac_error_free(&err);
	json_t *m = ac_manifest_parse((const char *)data, size, &err);
	if (!m) {
		if (!err || !err->msg[0])
			fuzz_fail("parse failed without a message");
		ac_error_free(&err);
		return 0;
	}
	char *s1 = ac_manifest_serialize(m, 0, &err);
	if (!s1) {
		if (!err || !err->msg[0])
			fuzz_fail("serialise failed without a message");
		ac_error_free(&err);
		json_decref(m);
		return 0;
	}
	char *p = ac_manifest_serialize(m, 4, &err);
	if (!p)
		fuzz_fail("a manifest serialises but does not pretty-print: %s", err->msg);
	json_t *m2 = ac_manifest_parse(s1, strlen(s1), &err);
	if (!m2)
		fuzz_fail("serialised manifest does not parse: %s\n%s", err->msg, s1);
	char *s2 = ac_manifest_serialize(m2, 0, &err);
	if (!s2)
		fuzz_fail("re-parsed manifest does not serialise: %s", err->msg);
	if (strcmp(s1, s2))
		fuzz_fail("round trip changed the manifest:\n%s\n%s", s1, s2);
	json_t *m3 = ac_manifest_parse(p, strlen(p), &err);
	if (!m3)
		fuzz_fail("pretty-printed manifest does not parse: %s\n%s", err->msg, p);
	char *s3 = ac_manifest_serialize(m3, 0, &err);
	if (!s3 || strcmp(s1, s3))
		fuzz_fail("pretty-printed round trip changed the manifest:\n%s\n%s", s1, s3 ? s3 : "(error)");
	/* ac_manifest_app creates the app when missing: must stay valid */
	if (ac_manifest_app(m) && ac_manifest_validate(m, &err) < 0)
		ac_error_free(&err);
	free(s1);
	free(s2);
	free(s3);
	free(p);
	json_decref(m);
	json_decref(m2);
	json_decref(m3);
	return 0;
}
