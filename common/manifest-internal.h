/* Shared by manifest.c, manifest-pod.c, manifest-write.c and isolator.c;
 * not a public header. */
#ifndef AC_MANIFEST_INTERNAL_H
#define AC_MANIFEST_INTERNAL_H

#include "ac/buf.h"
#include "ac/manifest.h"

/* The shape of the ImageManifest, in the spec's key order. Parsing maps input
 * keys onto these (case-insensitively), serialising writes them in this
 * order. */
enum mf_kind {
	MF_STR,     /* string; null reads as "" */
	MF_BOOL,    /* boolean; null reads as false */
	MF_UINT,    /* non-negative integer; null reads as 0 */
	MF_STRLIST, /* list of strings; null = absent */
	MF_INTLIST, /* list of integers; null = absent */
	MF_EXEC,    /* list of strings or null, always written ("exec":null) */
	MF_STRUCT,  /* object with the fields in .sub; null = absent */
	MF_LIST,    /* list of objects with the fields in .sub; null = absent */
	MF_STRMAP,  /* object string -> string, written with sorted keys */
	MF_ANY,     /* any JSON, kept as given (isolator values) */
	/* Go pointers (*bool, *string, *int): null = absent, otherwise
	 * written even when zero (PodManifest volumes, image name) */
	MF_OPTBOOL,
	MF_OPTSTR,
	MF_OPTINT,
};

struct mf_field {
	const char *key;
	enum mf_kind kind;
	const struct mf_field *sub; /* MF_STRUCT, MF_LIST; ends with key NULL */
	int omitempty;              /* Go's ",omitempty" */
};

extern const struct mf_field mf_top[];
extern const struct mf_field mf_app[];
extern const struct mf_field mf_label[];
extern const struct mf_field mf_env[];
extern const struct mf_field mf_eventhandler[];
extern const struct mf_field mf_mountpoint[];
extern const struct mf_field mf_port[];
extern const struct mf_field mf_isolator[];
extern const struct mf_field mf_dependency[];

#define MF_PATH_MAX 512

/* "parent.key" (or "key" at the top) and "parent[i]". */
void mf_path_key(char *dst, const char *parent, const char *key);
void mf_path_index(char *dst, const char *parent, size_t i);
/* Sets "path: message" (path may be empty). Returns -1. */
int mf_err(ac_error **err, const char *path, const char *fmt, ...) AC_PRINTF(3, 4);

/* Go's encoding/json key matching: ASCII case folding plus the two
 * special folds it knows (U+017F for s, U+212A for k). */
int mf_key_equal(const char *in, const char *canon);
/* Last member of obj whose key matches canon as above (Go: last one wins). */
json_t *mf_ci_get(json_t *obj, const char *canon);

/* Go's strconv.Quote, for messages. Returns malloc'ed text. */
char *mf_goquote(const char *s);

/* Length of the valid UTF-8 sequence at s by Go's rules (no overlongs, no
 * surrogates, at most U+10FFFF), 0 if invalid; *cp gets the code point. */
size_t mf_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Go-compatible JSON string escaping (HTML-safe, \ufffd for bad UTF-8). */
void mf_write_string(ac_buf *b, const char *s, size_t len);
/* Writes obj as Go's encoding/json writes the struct described by fields
 * (indent 0: json.Marshal; n: json.MarshalIndent with n spaces), starting at
 * nesting level "level". Does not validate. */
void mf_write_struct(ac_buf *b, json_t *obj, const struct mf_field *fields, int indent, int level);

/* SemVer as coreos/go-semver (the version vendored by appc/spec 0.8.11).
 * Returns NULL or a static message; *canon (optional) gets the normalised
 * text (malloc'ed). */
const char *mf_check_semver(const char *s, char **canon);

/* Go's isEmptyValue for the kinds of the schema (v may be NULL: empty). */
int mf_is_empty(json_t *v, enum mf_kind kind);
/* Puts obj's known keys in schema order, adds the zero value of the fields
 * that are always written, drops empty omitempty fields and unknown keys. */
void mf_canonicalise(json_t *obj, const struct mf_field *fields);

/* Decoding and validation steps of manifest.c, shared with manifest-pod.c.
 * MF_DECODE runs a typed field's check only when the key was present (Go's
 * UnmarshalJSON hooks); MF_MARSHAL checks every field (MarshalJSON). A
 * PodManifest is only ever decoded. */
enum mf_mode { MF_DECODE, MF_MARSHAL };
/* A check of one value (an object, or a list of them) found at path. */
typedef int mf_check_fn(json_t *v, const char *path, enum mf_mode mode, ac_error **err);
/* A check of a whole normalised manifest. */
typedef int mf_validate_fn(json_t *m, enum mf_mode mode, ac_error **err);
/* JSON text -> tree with the canonical keys of fields (size limit, duplicate
 * keys refused, null -> {}, keys matched case-insensitively, unknown keys
 * dropped, types checked); then, when check is given, check in MF_DECODE
 * mode and finish (defaults, canonical order). */
json_t *mf_parse(const char *buf, size_t len, const struct mf_field *fields, mf_validate_fn *check,
		 void (*finish)(json_t *m), ac_error **err);
/* Input object -> tree with the canonical keys (case-insensitive match,
 * duplicates refused, unknown keys dropped, types checked). */
json_t *mf_norm_struct(json_t *in, const struct mf_field *fields, const char *path, ac_error **err);
int mf_type_error(ac_error **err, const char *path, const char *want, json_t *got);
/* Sets "path.key: message". Returns -1. */
int mf_key_err(ac_error **err, const char *path, const char *key, const char *fmt, ...) AC_PRINTF(4, 5);
/* Typed getters of the tree: 1 present, 0 absent, -1 wrong type.
 * mf_get_scalar: o[key] (*v, NULL when absent) of a scalar kind (MF_STR,
 * MF_BOOL, MF_UINT, MF_OPT*). */
int mf_get_scalar(json_t *o, const char *key, const char *path, enum mf_kind kind, json_t **v, ac_error **err);
int mf_get_str(json_t *o, const char *key, const char *path, const char **s, ac_error **err);
int mf_get_uint(json_t *o, const char *key, const char *path, uint64_t *u, ac_error **err);
int mf_get_bool(json_t *o, const char *key, const char *path, ac_error **err);
int mf_get_list(json_t *o, const char *key, const char *path, enum mf_kind elem, json_t **arr, ac_error **err);
int mf_get_strmap(json_t *o, const char *key, const char *path, ac_error **err);
/* o[key], a list of objects (absent: NULL): each element checked by each
 * (at "path.key[i]"), then the list by all (at "path.key"); either may be
 * NULL. */
int mf_v_list(json_t *o, const char *key, const char *path, mf_check_fn *each, mf_check_fn *all,
	      enum mf_mode mode, ac_error **err);
/* o[key], an object checked by check, or null/absent (nothing checked). */
int mf_v_object(json_t *o, const char *key, const char *path, mf_check_fn *check, enum mf_mode mode,
		ac_error **err);
/* The Go code's uniqueness loops: "path[i].name: <pre><quoted name><post>"
 * for the first element whose name an earlier one has. */
int mf_v_unique_names(json_t *list, const char *path, const char *pre, const char *post, ac_error **err);
/* acKind (types.ACKind) and acVersion (types.SemVer) when present:
 * 1 present, 0 absent, -1 invalid. */
int mf_v_kind(json_t *m, const char **kind, ac_error **err);
int mf_v_version(json_t *m, ac_error **err);
/* An ACIdentifier (or ACName) field, checked as mode says. */
int mf_check_id_field(json_t *o, const char *key, const char *path, int acname, enum mf_mode mode,
		      ac_error **err);
/* A types.Hash field, checked when present. */
int mf_check_hash_field(json_t *o, const char *key, const char *path, ac_error **err);
int mf_v_labels(json_t *list, const char *path, enum mf_mode mode, ac_error **err);
int mf_v_annotations(json_t *list, const char *path, enum mf_mode mode, ac_error **err);
/* One isolator's value (not the set rules). */
int mf_v_isolator(json_t *iso, const char *path, enum mf_mode mode, ac_error **err);
/* types.Port (Port.UnmarshalJSON's checks). */
int mf_v_port(json_t *port, const char *path, enum mf_mode mode, ac_error **err);
/* types.App: decoding hooks and App.assertValid (isolator set included). */
int mf_v_app(json_t *app, const char *path, enum mf_mode mode, ac_error **err);
/* acVersion as go-semver prints it. */
void mf_fill_version(json_t *m);
/* Port.UnmarshalJSON: count 0 -> 1, for one port or each port of an app. */
void mf_fill_port_count(json_t *port);
void mf_fill_app(json_t *app);

/* Isolators (isolator.c). */
struct mf_isolator_type {
	const char *name;
	/* Checks the decoded value; value is never NULL. */
	int (*check)(json_t *value, const char *path, ac_error **err);
	int multiple_allowed;
	const char *conflicts; /* name of the one conflicting type, or NULL */
};
/* NULL for names v0.8.11 does not know (those are "invalid isolator"). */
const struct mf_isolator_type *mf_isolator_lookup(const char *name);
/* Kubernetes resource.Quantity syntax; NULL or a static message. */
const char *mf_check_quantity(json_t *v);

#endif
