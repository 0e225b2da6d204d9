/* "first,k=v,..." lists (app strings, --mount, --port). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include "ac/kvlist.h"
#include "ac/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	ac_error *err = NULL;
	struct ac_kv *kv = NULL;
	size_t n = 0;
	if (ac_kv_parse(s, "name", &kv, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!kv[i].key || !kv[i].value)
				fuzz_fail("pair %zu without key or value", i);
		ac_kv_free(kv, n);
	} else {
		if (!err || !err->msg)
			fuzz_fail("failure without a message");
		ac_error_free(&err);
	}
	free(s);
	return 0;
}
