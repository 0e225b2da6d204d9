/* Docker image references (reference.ParseNormalizedNamed), and the layer
 * ID and digest checks that guard paths built from untrusted strings. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include "ac/docker.h"
#include "ac/util.h"

static void no_traversal(const char *what, const char *s)
{
	if (strchr(s, '/') || !strcmp(s, "..") || !*s)
		fuzz_fail("%s accepted a path-unsafe string \"%s\"", what, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	ac_error *err = NULL;
	struct ac_docker_ref r;
	memset(&r, 0, sizeof(r));
	if (ac_docker_parse_ref(s, &r, &err) == 0) {
		if (!r.original || !r.index_url || !r.image_name || !r.tag || !r.digest)
			fuzz_fail("parsed reference with a NULL field");
		if (!*r.image_name)
			fuzz_fail("parsed reference without an image name");
		ac_docker_ref_free(&r);
	} else {
		ac_error_free(&err);
	}
	if (ac_docker_check_layer_id(s, &err) == 0)
		no_traversal("check_layer_id", s);
	else
		ac_error_free(&err);
	if (ac_docker_check_digest(s, &err) == 0) {
		if (strncmp(s, "sha256:", 7) || strlen(s) != 71)
			fuzz_fail("check_digest accepted \"%s\"", s);
		no_traversal("check_digest", s + 7);
	} else {
		ac_error_free(&err);
	}
	free(s);
	return 0;
}
