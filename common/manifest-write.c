/* Serialising a canonical manifest tree byte for byte as the original Go
 * code does: json.Marshal of the schema structs (fields in declaration
 * order, omitempty, maps with sorted keys, HTML-safe escaping), and
 * json.MarshalIndent(m, "", "    ") for the pretty form. */
#include "manifest-internal.h"

#include <math.h>

static const char hex[] = "0123456789abcdef";

/* encoding/json's encodeState.string with escapeHTML (Go 1.19: \b and \f
 * are still written as \u0008 and \u000c). */
void mf_write_string(ac_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = 0, i = 0;
	ac_buf_addch(b, '"');
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
				i++;
				continue;
			}
			ac_buf_add(b, s + start, i - start);
			switch (c) {
			case '"':
			case '\\':
				ac_buf_addch(b, '\\');
				ac_buf_addch(b, (char)c);
				break;
			case '\n': ac_buf_addstr(b, "\\n"); break;
			case '\r': ac_buf_addstr(b, "\\r"); break;
			case '\t': ac_buf_addstr(b, "\\t"); break;
			default: ac_buf_addf(b, "\\u00%c%c", hex[c >> 4], hex[c & 0xf]); break;
			}
			start = ++i;
			continue;
		}
		uint32_t cp;
		size_t w = mf_utf8_decode(s + i, len - i, &cp);
		if (w == 0) {
			ac_buf_add(b, s + start, i - start);
			ac_buf_addstr(b, "\\ufffd");
			start = ++i;
			continue;
		}
		/* U+2028 and U+2029 break JavaScript string literals */
		if (cp == 0x2028 || cp == 0x2029) {
			ac_buf_add(b, s + start, i - start);
			ac_buf_addf(b, "\\u202%c", hex[cp & 0xf]);
			start = i + w;
		}
		i += w;
	}
	ac_buf_add(b, s + start, len - start);
	ac_buf_addch(b, '"');
}

static void write_jstring(ac_buf *b, json_t *v)
{
	mf_write_string(b, json_string_value(v), json_string_length(v));
}

/* json.Indent: a newline and the indentation of the nesting level. */
static void newline(ac_buf *b, int indent, int level)
{
	if (!indent)
		return;
	ac_buf_addch(b, '\n');
	for (int i = 0; i < indent * level; i++)
		ac_buf_addch(b, ' ');
}

static void write_key(ac_buf *b, const char *key, int indent, int level, int *first)
{
	if (!*first)
		ac_buf_addch(b, ',');
	*first = 0;
	newline(b, indent, level);
	mf_write_string(b, key, strlen(key));
	ac_buf_addstr(b, indent ? ": " : ":");
}

/* A real number. Go keeps an isolator value's raw text; jansson does not,
 * so write the shortest text that reads back as the same double, with
 * ".0" where that would look like an integer (the text had "." or "e"). */
static void write_real(ac_buf *b, double d)
{
	char tmp[40];
	if (!isfinite(d)) { /* cannot come from JSON text */
		ac_buf_addstr(b, "null");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	ac_buf_addstr(b, tmp);
	if (!strpbrk(tmp, ".e"))
		ac_buf_addstr(b, ".0");
}

/* Any JSON value, object keys in the tree's order (Go keeps a raw value's
 * text; json.Marshal only compacts it) or sorted (Go maps). */
static void write_any(ac_buf *b, json_t *v, int indent, int level, int sorted);

/* An array; with sub, its objects are written as the struct sub describes. */
static void write_array(ac_buf *b, json_t *v, const struct mf_field *sub, int indent, int level, int sorted)
{
	size_t i;
	json_t *e;
	if (json_array_size(v) == 0) {
		ac_buf_addstr(b, "[]");
		return;
	}
	ac_buf_addch(b, '[');
	json_array_foreach(v, i, e) {
		if (i)
			ac_buf_addch(b, ',');
		newline(b, indent, level + 1);
		if (sub && json_is_object(e))
			mf_write_struct(b, e, sub, indent, level + 1);
		else
			write_any(b, e, indent, level + 1, sorted);
	}
	newline(b, indent, level);
	ac_buf_addch(b, ']');
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void write_object(ac_buf *b, json_t *v, int indent, int level, int sorted)
{
	size_t n = json_object_size(v), i = 0;
	const char *key;
	json_t *val;
	if (n == 0) {
		ac_buf_addstr(b, "{}");
		return;
	}
	const char **keys = xmalloc(n * sizeof(*keys));
	json_object_foreach(v, key, val)
		keys[i++] = key;
	if (sorted)
		qsort(keys, n, sizeof(*keys), cmp_keys);
	int first = 1;
	ac_buf_addch(b, '{');
	for (i = 0; i < n; i++) {
		write_key(b, keys[i], indent, level + 1, &first);
		write_any(b, json_object_get(v, keys[i]), indent, level + 1, sorted);
	}
	newline(b, indent, level);
	ac_buf_addch(b, '}');
	free(keys);
}

static void write_any(ac_buf *b, json_t *v, int indent, int level, int sorted)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		write_object(b, v, indent, level, sorted);
		break;
	case JSON_ARRAY: write_array(b, v, NULL, indent, level, sorted); break;
	case JSON_STRING: write_jstring(b, v); break;
	case JSON_INTEGER: ac_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case JSON_REAL: write_real(b, json_real_value(v)); break;
	case JSON_TRUE: ac_buf_addstr(b, "true"); break;
	case JSON_FALSE: ac_buf_addstr(b, "false"); break;
	case JSON_NULL: ac_buf_addstr(b, "null"); break;
	}
}

int mf_is_empty(json_t *v, enum mf_kind kind)
{
	if (!v || json_is_null(v))
		return 1;
	switch (kind) {
	case MF_STR: return json_is_string(v) && json_string_length(v) == 0;
	case MF_BOOL: return json_is_false(v);
	case MF_UINT: return json_is_integer(v) && json_integer_value(v) == 0;
	case MF_STRUCT:
	case MF_ANY: return 0;
	case MF_STRMAP: return json_is_object(v) && json_object_size(v) == 0;
	default: return json_is_array(v) && json_array_size(v) == 0;
	}
}

static void write_field(ac_buf *b, json_t *v, const struct mf_field *f, int indent, int level)
{
	if (!v || json_is_null(v)) {
		/* a missing field has Go's zero value */
		switch (f->kind) {
		case MF_STR: ac_buf_addstr(b, "\"\""); return;
		case MF_BOOL: ac_buf_addstr(b, "false"); return;
		case MF_UINT: ac_buf_addstr(b, "0"); return;
		default: ac_buf_addstr(b, "null"); return;
		}
	}
	switch (f->kind) {
	case MF_STRUCT:
		if (json_is_object(v)) {
			mf_write_struct(b, v, f->sub, indent, level);
			return;
		}
		break;
	case MF_LIST:
		if (json_is_array(v)) {
			write_array(b, v, f->sub, indent, level, 0);
			return;
		}
		break;
	case MF_STRMAP:
		write_any(b, v, indent, level, 1);
		return;
	default:
		break;
	}
	write_any(b, v, indent, level, 0);
}

void mf_write_struct(ac_buf *b, json_t *obj, const struct mf_field *fields, int indent, int level)
{
	int first = 1;
	ac_buf_addch(b, '{');
	for (const struct mf_field *f = fields; f->key; f++) {
		json_t *v = json_object_get(obj, f->key);
		if (f->omitempty && mf_is_empty(v, f->kind))
			continue;
		write_key(b, f->key, indent, level + 1, &first);
		write_field(b, v, f, indent, level + 1);
	}
	if (!first)
		newline(b, indent, level);
	ac_buf_addch(b, '}');
}

char *ac_manifest_serialize(json_t *m, int indent, ac_error **err)
{
	if (indent < 0 || indent > 16) {
		ac_error_set(err, EINVAL, "bad indentation %d", indent);
		return NULL;
	}
	if (ac_manifest_validate(m, err) < 0)
		return NULL;
	ac_buf b = AC_BUF_INIT;
	mf_write_struct(&b, m, mf_top, indent, 0);
	return ac_buf_detach(&b, NULL);
}

void ac_json_quote(ac_buf *b, const char *s)
{
	mf_write_string(b, s, strlen(s));
}
