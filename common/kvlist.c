#include "ac/kvlist.h"

#include "ac/buf.h"

void ac_kv_free(struct ac_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int ac_kv_parse(const char *s, const char *first_key, struct ac_kv **out, size_t *n, ac_error **err)
{
	_cleanup_free_ char *full = xasprintf("%s=%s", first_key, s);
	size_t cnt = 1;
	for (const char *p = full; *p; p++)
		cnt += *p == ',';
	struct ac_kv *kv = xcalloc(cnt, sizeof(*kv));
	size_t used = 0;
	/* strtok_r would merge empty parts; split by hand to keep them. */
	char *part = full;
	for (;;) {
		char *comma = strchr(part, ',');
		if (comma)
			*comma = '\0';
		char *eq = strchr(part, '=');
		if (!eq) {
			ac_kv_free(kv, used);
			return ac_error_set(err, EINVAL, "malformed string \"%s\" - has a label without a value: %s", s, part);
		}
		*eq = '\0';
		for (size_t i = 0; i < used; i++) {
			if (!strcmp(kv[i].key, part)) {
				ac_error_set(err, EINVAL, "label %s with multiple values [\"%s\" \"%s\"]", part, kv[i].value, eq + 1);
				ac_kv_free(kv, used);
				return -1;
			}
		}
		kv[used].key = xstrdup(part);
		kv[used].value = xstrdup(eq + 1);
		used++;
		if (!comma)
			break;
		part = comma + 1;
	}
	*out = kv;
	*n = used;
	return 0;
}
