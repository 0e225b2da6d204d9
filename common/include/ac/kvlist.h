/* "first,key=value,key=value" strings, as appc uses for app strings
 * ("example.com/app,version=1.0"), mount points and ports on the command
 * line.  The first element becomes the value of first_key. */
#ifndef AC_KVLIST_H
#define AC_KVLIST_H

#include "ac/error.h"

struct ac_kv {
	char *key;
	char *value;
};

/* Splits s on ","; each part after the first must be "k=v", otherwise
 * `malformed string "S" - has a label without a value: K`; a key given twice
 * → `label K with multiple values ["v1" "v2"]`. *out is a malloc'ed array of
 * *n pairs; free with ac_kv_free. */
int ac_kv_parse(const char *s, const char *first_key, struct ac_kv **out, size_t *n, ac_error **err);
void ac_kv_free(struct ac_kv *kv, size_t n);

#endif
