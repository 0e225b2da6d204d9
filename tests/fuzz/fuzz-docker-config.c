/* The Docker → appc manifest mapping on an untrusted image config (schema2 /
 * OCI config, or a v1 layer JSON): volumes, ports, env, user, entrypoint,
 * created dates.  What it generates is parsed as an ImageManifest the way
 * docker2aci does (failure is an error for the user, not a crash). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include "ac/docker.h"
#include "ac/manifest.h"
#include "ac/util.h"

static void canonical(json_t *m)
{
	ac_error *err = NULL;
	char *s = json_dumps(m, JSON_COMPACT);
	if (!s)
		fuzz_fail("json_dumps failed");
	json_t *cm = ac_manifest_parse(s, strlen(s), &err);
	if (cm) {
		char *out = ac_manifest_serialize(cm, 0, &err);
		if (!out)
			fuzz_fail("canonical manifest does not serialise: %s", err->msg);
		free(out);
		json_decref(cm);
	} else {
		ac_error_free(&err);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *cfg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!cfg)
		return 0;
	ac_error *err = NULL;
	struct ac_docker_ref ref;
	if (ac_docker_parse_ref("quay.io/fuzz/image:1.0", &ref, &err) < 0)
		fuzz_fail("parse_ref: %s", err->msg);
	const char *digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	json_t *m = ac_docker_manifest_v22("quay.io/fuzz/image-0123", digest, digest, &ref, cfg, NULL, &err);
	if (m) {
		canonical(m);
		json_t *lower = json_array();
		json_array_append(lower, m);
		json_t *m2 = ac_docker_manifest_v22("quay.io/fuzz/image-4567", digest, digest, &ref, cfg, lower, &err);
		if (m2) {
			canonical(m2);
			json_decref(m2);
		} else {
			ac_error_free(&err);
		}
		json_decref(lower);
		if (ac_docker_manifest_squash(m, &err) == 0)
			canonical(m);
		else
			ac_error_free(&err);
		json_decref(m);
	} else {
		ac_error_free(&err);
	}

	m = ac_docker_manifest_v1(cfg, "0123456789abcdef", digest, &ref, &err);
	if (m) {
		canonical(m);
		if (ac_docker_manifest_squash(m, &err) == 0)
			canonical(m);
		else
			ac_error_free(&err);
		json_decref(m);
	} else {
		ac_error_free(&err);
	}
	ac_docker_ref_free(&ref);
	json_decref(cfg);
	return 0;
}
