/* String sets with a value per string (see ac/pathset.h). */
#include "ac/pathset.h"

#include "ac/util.h"

uint64_t ac_str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h ^ (h >> 32);
}

struct ac_pathset_slot *ac_pathset_find(const struct ac_pathset *s, const char *path)
{
	if (!s->cap)
		return NULL;
	for (size_t i = ac_str_hash(path) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slots[i].path)
			return NULL;
		if (!strcmp(s->slots[i].path, path))
			return &s->slots[i];
	}
}

static void grow(struct ac_pathset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	struct ac_pathset_slot *ns = xcalloc(ncap, sizeof(*ns));
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slots[i].path)
			continue;
		size_t j = ac_str_hash(s->slots[i].path) & (ncap - 1);
		while (ns[j].path)
			j = (j + 1) & (ncap - 1);
		ns[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = ns;
	s->cap = ncap;
}

struct ac_pathset_slot *ac_pathset_put(struct ac_pathset *s, const char *path, unsigned value)
{
	struct ac_pathset_slot *sl = ac_pathset_find(s, path);
	if (sl) {
		sl->value = value;
		return sl;
	}
	if ((s->n + 1) * 2 > s->cap)
		grow(s);
	size_t j = ac_str_hash(path) & (s->cap - 1);
	while (s->slots[j].path)
		j = (j + 1) & (s->cap - 1);
	s->slots[j].path = xstrdup(path);
	s->slots[j].value = value;
	s->n++;
	return &s->slots[j];
}

void ac_pathset_free(struct ac_pathset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i].path);
	free(s->slots);
	s->slots = NULL;
	s->n = s->cap = 0;
}
