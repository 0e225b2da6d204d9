/* The appc ImageManifest (spec 0.8.11): parse, validate, serialise.
 *
 * A manifest is held as a jansson tree in canonical form: keys spelled as the
 * spec spells them, objects in the spec's key order, defaults applied the way
 * the original Go types do (port count 0 -> 1, empty lists dropped ...).
 * Tools edit that tree (with the helpers below or jansson directly) and call
 * ac_manifest_serialize(), which validates again, so an invalid manifest can
 * never be written out.
 *
 * Error messages name the field path first, then the original's wording,
 * e.g. "app.ports[1].port: port must be in 1-65535 range (got 70000)". */
#ifndef AC_MANIFEST_H
#define AC_MANIFEST_H

#include <jansson.h>
#include "ac/buf.h"
#include "ac/error.h"

#define AC_MANIFEST_MAX_SIZE (4u << 20) /* larger manifests are refused */
#define AC_SPEC_VERSION "0.8.11"

/* Decodes JSON text (keys matched case-insensitively as Go does), validates
 * every rule, returns the canonical tree (new reference). */
json_t *ac_manifest_parse(const char *buf, size_t len, ac_error **err);
/* Only {acKind, acVersion}, as "actool validate" checks first; sets *kind to
 * "ImageManifest" or "PodManifest" (static strings). */
int ac_manifest_parse_kind(const char *buf, size_t len, const char **kind, ac_error **err);
/* Validates a canonical tree (after edits). */
int ac_manifest_validate(json_t *m, ac_error **err);
/* Validates, then serialises in canonical key order; Go-compatible escaping.
 * indent 0: compact (as stored in ACIs); 4: "--pretty-print". Returns a
 * malloc'ed string. */
char *ac_manifest_serialize(json_t *m, int indent, ac_error **err);

/* A PodManifest (schema/pod.go of v0.8.11): decoded and validated with the
 * same rules and error style; returns the canonical tree (new reference). */
json_t *ac_pod_manifest_parse(const char *buf, size_t len, ac_error **err);

/* A new minimal manifest: acKind, acVersion, name (validated). */
json_t *ac_manifest_new(const char *name, ac_error **err);

/* The "app" object of a canonical manifest (borrowed reference). When there
 * is none it is created as acbuild does: {"exec":null,"user":"0","group":"0"}. */
json_t *ac_manifest_app(json_t *m);

/* Identifier checks with the original's messages; return 0 or -1 with *msg
 * pointing at a static message. */
int ac_check_acidentifier(const char *s, const char **msg);
int ac_check_acname(const char *s, const char **msg);
/* Image ID / hash string "sha512-..." as types.NewHash. */
int ac_check_hash(const char *s, const char **msg);
/* Lower-cases and replaces invalid characters, as docker2aci's sanitisers. */
char *ac_sanitize_acidentifier(const char *s); /* NULL if nothing is left */
char *ac_sanitize_acname(const char *s);

/* Go's strconv.Quote (the %q of the originals' messages); malloc'ed. */
char *ac_go_quote(const char *s);

/* Appends s as a JSON string escaped as Go's encoding/json does (HTML-safe,
 * \ufffd for invalid UTF-8), for tools that print JSON like the originals. */
void ac_json_quote(ac_buf *b, const char *s);

#endif
