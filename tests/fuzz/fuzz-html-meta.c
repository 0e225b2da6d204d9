/* The discovery page scanner: <meta name="ac-..." content="PREFIX URI">. */
#include "fuzz.h"

#include <string.h>
#include "ac/discovery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ac_meta *m = NULL;
	/* a small cap too, to exercise the limit */
	size_t max = size && data[0] == 'M' ? 2 : AC_DISCOVERY_MAX_TAGS;
	size_t n = ac_html_find_meta((const char *)data, size, &m, max);
	if (n > max)
		fuzz_fail("%zu tags returned, max %zu", n, max);
	for (size_t i = 0; i < n; i++)
		if (!m[i].name || !m[i].prefix || !m[i].uri)
			fuzz_fail("tag %zu incomplete", i);
	ac_meta_free(m, n);
	return 0;
}
