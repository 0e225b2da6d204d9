/* A set of strings (archive paths) each carrying a small value: an open
 * addressing hash table that only grows.  Used wherever a tool must
 * remember every path of an archive (validation, packed base images). */
#ifndef AC_PATHSET_H
#define AC_PATHSET_H

#include <stddef.h>
#include <stdint.h>

struct ac_pathset {
	struct ac_pathset_slot {
		char *path;
		unsigned value;
	} *slots;
	size_t n, cap;
};
#define AC_PATHSET_INIT { NULL, 0, 0 }

/* FNV-1a: the string hash of every table in the project. */
uint64_t ac_str_hash(const char *s);

/* The slot holding path, or NULL. */
struct ac_pathset_slot *ac_pathset_find(const struct ac_pathset *s, const char *path);
/* Adds path (copied) with value, or sets the value of an existing slot;
 * returns the slot, valid until the next add. */
struct ac_pathset_slot *ac_pathset_put(struct ac_pathset *s, const char *path, unsigned value);
void ac_pathset_free(struct ac_pathset *s);

#endif
