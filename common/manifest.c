/* ImageManifest: decoding into the canonical tree and validation, following
 * appc/spec v0.8.11 schema/types (see spec-appc.md section 2).
 *
 * Decoding runs in three steps:
 *   1. normalise: jansson tree -> canonical tree (keys matched as Go does,
 *      types checked, null turned into the Go zero value or "absent");
 *   2. validate in MF_DECODE mode: like Go's UnmarshalJSON hooks, a validator of
 *      a typed field (ACIdentifier, ACName, SemVer, ...) runs only when the
 *      key was present;
 *   3. fill: Go's zero values for fields that are always written, defaults
 *      (port count 0 -> 1), omitempty lists dropped.
 * ac_manifest_validate() runs step 2 in MF_MARSHAL mode (every field checked,
 * as Go's MarshalJSON does), so an invalid tree can never be written. */
#include "manifest-internal.h"

#include <ctype.h>
#include <inttypes.h>


/* ---- the schema ---- */

const struct mf_field mf_label[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "value", MF_STR, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};
const struct mf_field mf_env[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "value", MF_STR, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};
const struct mf_field mf_eventhandler[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "exec", MF_EXEC, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};
const struct mf_field mf_mountpoint[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "path", MF_STR, NULL, 0 },
	{ "readOnly", MF_BOOL, NULL, 1 },
	{ NULL, 0, NULL, 0 },
};
const struct mf_field mf_port[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "protocol", MF_STR, NULL, 0 },
	{ "port", MF_UINT, NULL, 0 },
	{ "count", MF_UINT, NULL, 0 },
	{ "socketActivated", MF_BOOL, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};
const struct mf_field mf_isolator[] = {
	{ "name", MF_STR, NULL, 0 },
	{ "value", MF_ANY, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};
const struct mf_field mf_app[] = {
	{ "exec", MF_EXEC, NULL, 0 },
	{ "eventHandlers", MF_LIST, mf_eventhandler, 1 },
	{ "user", MF_STR, NULL, 0 },
	{ "group", MF_STR, NULL, 0 },
	{ "supplementaryGIDs", MF_INTLIST, NULL, 1 },
	{ "workingDirectory", MF_STR, NULL, 1 },
	{ "environment", MF_LIST, mf_env, 1 },
	{ "mountPoints", MF_LIST, mf_mountpoint, 1 },
	{ "ports", MF_LIST, mf_port, 1 },
	{ "isolators", MF_LIST, mf_isolator, 1 },
	{ "userAnnotations", MF_STRMAP, NULL, 1 },
	{ "userLabels", MF_STRMAP, NULL, 1 },
	{ NULL, 0, NULL, 0 },
};
const struct mf_field mf_dependency[] = {
	{ "imageName", MF_STR, NULL, 0 },
	{ "imageID", MF_STR, NULL, 1 },
	{ "labels", MF_LIST, mf_label, 1 },
	{ "size", MF_UINT, NULL, 1 },
	{ NULL, 0, NULL, 0 },
};
const struct mf_field mf_top[] = {
	{ "acKind", MF_STR, NULL, 0 },
	{ "acVersion", MF_STR, NULL, 0 },
	{ "name", MF_STR, NULL, 0 },
	{ "labels", MF_LIST, mf_label, 1 },
	{ "app", MF_STRUCT, mf_app, 1 },
	{ "annotations", MF_LIST, mf_label, 1 },
	{ "dependencies", MF_LIST, mf_dependency, 1 },
	{ "pathWhitelist", MF_STRLIST, NULL, 1 },
	{ NULL, 0, NULL, 0 },
};

/* The os/arch table of types.ValidOSArch (wider than the spec's text). */
static const struct {
	const char *os;
	const char *archs[11];
} valid_os_arch[] = { /* sorted by os, as Go prints them */
	{ "darwin", { "x86_64", "i386" } },
	{ "freebsd", { "amd64", "i386", "arm" } },
	{ "linux", { "amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b",
		     "ppc64", "ppc64le", "s390x" } },
};

/* ---- small helpers ---- */

void mf_path_key(char *dst, const char *parent, const char *key)
{
	if (*parent)
		snprintf(dst, MF_PATH_MAX, "%.300s.%.200s", parent, key);
	else
		snprintf(dst, MF_PATH_MAX, "%.200s", key);
}

void mf_path_index(char *dst, const char *parent, size_t i)
{
	snprintf(dst, MF_PATH_MAX, "%.400s[%zu]", parent, i);
}

int mf_err(ac_error **err, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (path && *path)
		return ac_error_set(err, 0, "%s: %s", path, msg);
	return ac_error_set(err, 0, "%s", msg);
}

/* Matches one character of "in" against the ASCII letter c; returns its
 * length in bytes, 0 when it does not match.  strncmp, not memcmp: in may
 * end (NUL) before the 2 or 3 bytes compared. */
static size_t fold_char(const char *in, char c)
{
	unsigned char a = (unsigned char)*in;
	if (a && tolower(a) == tolower((unsigned char)c))
		return 1;
	if ((c == 's' || c == 'S') && !strncmp(in, "\xc5\xbf", 2)) /* U+017F long s */
		return 2;
	if ((c == 'k' || c == 'K') && !strncmp(in, "\xe2\x84\xaa", 3)) /* U+212A Kelvin */
		return 3;
	return 0;
}

int mf_key_equal(const char *in, const char *canon)
{
	while (*canon) {
		size_t n = fold_char(in, *canon);
		if (!n)
			return 0;
		in += n;
		canon++;
	}
	return *in == '\0';
}

json_t *mf_ci_get(json_t *obj, const char *canon)
{
	const char *key;
	json_t *val, *found = NULL;
	if (!json_is_object(obj))
		return NULL;
	json_object_foreach(obj, key, val) {
		if (mf_key_equal(key, canon))
			found = val;
	}
	return found;
}

/* Length of the valid UTF-8 sequence at s (Go's rules: no overlongs, no
 * surrogates, at most U+10FFFF), 0 if invalid. *cp gets the code point. */
size_t mf_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (n >= 2 && s[0] >= 0xc2 && s[0] <= 0xdf && (s[1] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if (n >= 3 && (s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
		uint32_t c = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		if (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		*cp = c;
		return 3;
	}
	if (n >= 4 && (s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
	    (s[3] & 0xc0) == 0x80) {
		uint32_t c = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
			     ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		if (c < 0x10000 || c > 0x10ffff)
			return 0;
		*cp = c;
		return 4;
	}
	return 0;
}

/* Code points strconv.Quote escapes although valid (not unicode.IsPrint);
 * an approximation covering the controls, spaces and format characters. */
static int go_unprintable(uint32_t c)
{
	return (c >= 0x80 && c <= 0xa0) || c == 0xad || c == 0x1680 || (c >= 0x2000 && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) || c == 0x3000 ||
	       c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) || (c >= 0xe000 && c <= 0xf8ff);
}

char *mf_goquote(const char *s)
{
	ac_buf b = AC_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	ac_buf_addch(&b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t w;
		if (c < 0x80) {
			static const char esc[] = "\aa\bb\ff\nn\rr\tt\vv";
			const char *e = c ? strchr(esc, c) : NULL;
			if (c == '"' || c == '\\')
				ac_buf_addf(&b, "\\%c", c);
			else if (e && (e - esc) % 2 == 0)
				ac_buf_addf(&b, "\\%c", e[1]);
			else if (c < 0x20 || c == 0x7f)
				ac_buf_addf(&b, "\\x%02x", c);
			else
				ac_buf_addch(&b, (char)c);
			i++;
		} else if ((w = mf_utf8_decode(p + i, n - i, &cp)) == 0) {
			ac_buf_addf(&b, "\\x%02x", c);
			i++;
		} else {
			if (go_unprintable(cp))
				ac_buf_addf(&b, cp > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)cp);
			else
				ac_buf_add(&b, p + i, w);
			i += w;
		}
	}
	ac_buf_addch(&b, '"');
	return ac_buf_detach(&b, NULL);
}

char *ac_go_quote(const char *s)
{
	return mf_goquote(s);
}

/* ---- identifiers, hashes, versions, dates, URLs ---- */

static int check_ident(const char *s, const char *extra, const char **msg, const char *m_empty,
		       const char *m_char, const char *m_edge)
{
	if (!*s) {
		*msg = m_empty;
		return -1;
	}
	for (const char *p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(extra, *p))) {
			*msg = m_char;
			return -1;
		}
	}
	/* The Go code checks only the edges: "a//b" passes. */
	if (strchr(extra, s[0]) || strchr(extra, s[strlen(s) - 1])) {
		*msg = m_edge;
		return -1;
	}
	return 0;
}

int ac_check_acidentifier(const char *s, const char **msg)
{
	return check_ident(s, "-._~/", msg, "ACIdentifier cannot be empty",
			   "ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"",
			   "ACIdentifier must start and end with only lower case alphanumeric characters");
}

int ac_check_acname(const char *s, const char **msg)
{
	return check_ident(s, "-", msg, "ACName cannot be empty",
			   "ACName must contain only lower case alphanumeric characters plus \"-\"",
			   "ACName must start and end with only lower case alphanumeric characters");
}

int ac_check_hash(const char *s, const char **msg)
{
	/* "unrecognized hash type: X" names the input, hence a per-thread buffer. */
	static __thread char buf[128];
	const char *dash = strchr(s, '-');
	if (!dash || strchr(dash + 1, '-')) {
		*msg = "badly formatted hash string";
		return -1;
	}
	size_t tlen = (size_t)(dash - s);
	if (tlen == 0) {
		*msg = "unexpected empty hash type";
		return -1;
	}
	if (tlen != 6 || memcmp(s, "sha512", 6)) {
		snprintf(buf, sizeof(buf), "unrecognized hash type: %.*s", (int)(tlen > 80 ? 80 : tlen), s);
		*msg = buf;
		return -1;
	}
	if (!dash[1]) {
		*msg = "unexpected empty hash value";
		return -1;
	}
	return 0;
}

/* strconv.ParseInt(s, 10, 64) restricted to what can reach it: digits only. */
static int parse_semver_part(const char *s, size_t n, int64_t *out)
{
	if (n == 0 || n > 30)
		return -1;
	char tmp[32];
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)tmp[i]))
			return -1;
	return ac_parse_i64(tmp, out);
}

const char *mf_check_semver(const char *s, char **canon)
{
	/* go-semver: split off "+metadata", then "-prerelease", then exactly
	 * three dot-separated integers. */
	const char *plus = strchr(s, '+');
	size_t vlen = plus ? (size_t)(plus - s) : strlen(s);
	const char *minus = memchr(s, '-', vlen);
	const char *pre = minus ? minus + 1 : "";
	size_t prelen = minus ? vlen - (size_t)(pre - s) : 0;
	const char *meta = plus ? plus + 1 : "";
	if (minus)
		vlen = (size_t)(minus - s);
	int64_t part[3];
	const char *p = s, *end = s + vlen;
	for (int i = 0; i < 3; i++) {
		const char *dot = i < 2 ? memchr(p, '.', (size_t)(end - p)) : end;
		if (!dot || parse_semver_part(p, (size_t)(dot - p), &part[i]) < 0)
			return "SemVer is bad";
		p = dot + 1;
	}
	if (!part[0] && !part[1] && !part[2] && !prelen && !*meta)
		return "SemVer cannot be zero";
	if (canon)
		*canon = xasprintf("%" PRId64 ".%" PRId64 ".%" PRId64 "%s%.*s%s%s", part[0], part[1], part[2],
				   prelen ? "-" : "", (int)prelen, pre, *meta ? "+" : "", meta);
	return NULL;
}

/* Go's time.Parse(time.RFC3339, s) as of Go 1.19, with its error texts. */
static char *check_rfc3339(const char *s)
{
	static const char layout[] = "2006-01-02T15:04:05Z07:00";
	const char *v = s;
	const char *elem = NULL;
	long year = 0, month = 0, day = 0, hour = 0, min = 0, sec = 0;
	int fixed;
	const char *range = NULL;
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
#define LIT(ch, str)                     \
	do {                             \
		if (*v != (ch)) {        \
			elem = str;      \
			goto bad;        \
		}                        \
		v++;                     \
	} while (0)
	/* getnum: one or two digits; two required when fixed */
#define NUM(dst, el, fx)                                               \
	do {                                                           \
		elem = el;                                             \
		fixed = fx;                                            \
		if (!DIGIT(v[0]))                                      \
			goto bad;                                      \
		if (!DIGIT(v[1])) {                                    \
			if (fixed)                                     \
				goto bad;                              \
			dst = v[0] - '0';                              \
			v += 1;                                        \
		} else {                                               \
			dst = (v[0] - '0') * 10 + (v[1] - '0');        \
			v += 2;                                        \
		}                                                      \
	} while (0)
	elem = "2006";
	for (int i = 0; i < 4; i++)
		if (!DIGIT(v[i]))
			goto bad;
	year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
	v += 4;
	LIT('-', "-");
	NUM(month, "01", 1);
	if (month < 1 || month > 12) {
		range = "month";
		goto out_of_range;
	}
	LIT('-', "-");
	NUM(day, "02", 1);
	LIT('T', "T");
	NUM(hour, "15", 0);
	if (hour > 23) {
		range = "hour";
		goto out_of_range;
	}
	LIT(':', ":");
	NUM(min, "04", 1);
	if (min > 59) {
		range = "minute";
		goto out_of_range;
	}
	LIT(':', ":");
	NUM(sec, "05", 1);
	if (sec > 59) {
		range = "second";
		goto out_of_range;
	}
	/* fractional seconds are accepted after "05" */
	if ((v[0] == '.' || v[0] == ',') && DIGIT(v[1])) {
		v += 2;
		while (DIGIT(*v))
			v++;
	}
	elem = "Z07:00";
	if (*v == 'Z') {
		v++;
	} else {
		if ((v[0] != '+' && v[0] != '-') || !DIGIT(v[1]) || !DIGIT(v[2]) || v[3] != ':' ||
		    !DIGIT(v[4]) || !DIGIT(v[5]))
			goto bad;
		v += 6;
	}
	if (*v) {
		_cleanup_free_ char *qs = mf_goquote(s), *qv = mf_goquote(v);
		return xasprintf("bad Date: parsing time %s: extra text: %s", qs, qv);
	}
	{
		static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
		if (day < 1 || day > mdays[month - 1] + (month == 2 && leap)) {
			range = "day";
			goto out_of_range;
		}
	}
	return NULL;
out_of_range: {
	_cleanup_free_ char *qs = mf_goquote(s);
	return xasprintf("bad Date: parsing time %s: %s out of range", qs, range);
}
bad: {
	_cleanup_free_ char *qs = mf_goquote(s), *ql = mf_goquote(layout), *qv = mf_goquote(v),
			    *qe = mf_goquote(elem);
	return xasprintf("bad Date: parsing time %s as %s: cannot parse %s as %s", qs, ql, qv, qe);
}
#undef DIGIT
#undef LIT
#undef NUM
}

/* Go's url.Parse (the failures that matter here) and the scheme check. */
static char *check_url(const char *s)
{
	_cleanup_free_ char *q = mf_goquote(s);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return xasprintf("bad URL: parse %s: net/url: invalid control character in URL", q);
	if (s[0] == ':')
		return xasprintf("bad URL: parse %s: missing protocol scheme", q);
	/* escapes are checked outside the query (url.Parse keeps RawQuery) */
	const char *query = strchr(s, '?'), *frag = strchr(s, '#');
	if (query && frag && frag < query)
		query = NULL;
	for (const char *p = s; (p = strchr(p, '%')); p++) {
		if (query && p > query && (!frag || p < frag))
			continue;
		if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2])) {
			size_t n = strnlen(p, 3);
			return xasprintf("bad URL: parse %s: invalid URL escape \"%.*s\"", q, (int)n, p);
		}
	}
	/* scheme: [A-Za-z][A-Za-z0-9+.-]* up to the first ':', compared lower-cased */
	size_t n = 0;
	if (isalpha((unsigned char)s[0]))
		while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' || s[n] == '.')
			n++;
	if (s[n] == ':' && ((n == 4 && !strncasecmp(s, "http", 4)) || (n == 5 && !strncasecmp(s, "https", 5))))
		return NULL;
	return xstrdup("bad URL scheme, must be http/https");
}

/* ---- step 1: normalisation ---- */

static const char *type_word(enum mf_kind k)
{
	switch (k) {
	case MF_STR: return "a string";
	case MF_BOOL:
	case MF_OPTBOOL: return "a boolean";
	case MF_UINT: return "a non-negative integer";
	case MF_OPTSTR: return "a string";
	case MF_OPTINT: return "an integer";
	case MF_STRUCT:
	case MF_STRMAP: return "an object";
	default: return "an array";
	}
}

int mf_type_error(ac_error **err, const char *path, const char *want, json_t *got)
{
	if (json_is_integer(got) && !strcmp(want, "a non-negative integer"))
		return mf_err(err, path, "expected %s (got %" JSON_INTEGER_FORMAT ")", want,
			      json_integer_value(got));
	return mf_err(err, path, "expected %s", want);
}

static int norm_strlist(json_t *in, const char *path, int ints, json_t **out, ac_error **err)
{
	if (!json_is_array(in))
		return mf_type_error(err, path, "an array", in);
	json_t *res = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(in, i, v) {
		char p[MF_PATH_MAX];
		if (json_is_null(v)) {
			json_array_append_new(res, ints ? json_integer(0) : json_string(""));
		} else if (ints ? json_is_integer(v) : json_is_string(v)) {
			json_array_append(res, v);
		} else {
			mf_path_index(p, path, i);
			json_decref(res);
			return mf_type_error(err, p, ints ? "an integer" : "a string", v);
		}
	}
	*out = res;
	return 0;
}

/* Sets out[f->key] from the input value, or leaves it unset (null lists). */
static int norm_field(json_t *out, const struct mf_field *f, json_t *in, const char *path, ac_error **err)
{
	json_t *v = NULL;
	switch (f->kind) {
	case MF_STR:
		if (json_is_null(in))
			v = json_string("");
		else if (json_is_string(in))
			v = json_incref(in);
		break;
	case MF_BOOL:
		if (json_is_null(in))
			v = json_false();
		else if (json_is_boolean(in))
			v = json_incref(in);
		break;
	case MF_UINT:
		if (json_is_null(in))
			v = json_integer(0);
		else if (json_is_integer(in) && json_integer_value(in) >= 0)
			v = json_incref(in);
		break;
	case MF_EXEC:
		if (json_is_null(in))
			v = json_null();
		/* fall through */
	case MF_STRLIST:
	case MF_INTLIST:
		if (json_is_null(in)) {
			if (f->kind == MF_EXEC)
				break;
			return 0;
		}
		if (norm_strlist(in, path, f->kind == MF_INTLIST, &v, err) < 0)
			return -1;
		break;
	case MF_STRUCT:
		if (json_is_null(in))
			return 0;
		if (!(v = mf_norm_struct(in, f->sub, path, err)))
			return -1;
		break;
	case MF_LIST:
		if (json_is_null(in))
			return 0;
		if (!json_is_array(in))
			break;
		v = json_array();
		for (size_t i = 0; i < json_array_size(in); i++) {
			char p[MF_PATH_MAX];
			mf_path_index(p, path, i);
			json_t *e = mf_norm_struct(json_array_get(in, i), f->sub, p, err);
			if (!e) {
				json_decref(v);
				return -1;
			}
			json_array_append_new(v, e);
		}
		break;
	case MF_STRMAP: {
		if (json_is_null(in))
			return 0;
		if (!json_is_object(in))
			break;
		const char *key;
		json_t *val;
		v = json_object();
		json_object_foreach(in, key, val) {
			if (json_is_null(val)) {
				json_object_set_new(v, key, json_string(""));
			} else if (json_is_string(val)) {
				json_object_set(v, key, val);
			} else {
				char p[MF_PATH_MAX];
				_cleanup_free_ char *q = mf_goquote(key);
				snprintf(p, sizeof(p), "%.300s[%.200s]", path, q);
				json_decref(v);
				return mf_type_error(err, p, "a string", val);
			}
		}
		break;
	}
	case MF_ANY:
		if (json_is_null(in))
			return 0; /* Go's nil RawMessage: "value" is missing */
		v = json_deep_copy(in);
		break;
	case MF_OPTBOOL:
	case MF_OPTSTR:
	case MF_OPTINT:
		if (json_is_null(in))
			return 0; /* a nil pointer */
		if (f->kind == MF_OPTBOOL ? json_is_boolean(in)
					  : f->kind == MF_OPTSTR ? json_is_string(in) : json_is_integer(in))
			v = json_incref(in);
		break;
	}
	if (!v)
		return mf_type_error(err, path, type_word(f->kind), in);
	json_object_set_new(out, f->key, v);
	return 0;
}

json_t *mf_norm_struct(json_t *in, const struct mf_field *fields, const char *path, ac_error **err)
{
	json_t *found[16] = { 0 };
	const char *found_key[16] = { 0 };
	const char *key;
	json_t *val;
	if (json_is_null(in)) /* a null list element decodes as the zero struct */
		return json_object();
	if (!json_is_object(in)) {
		mf_type_error(err, path, "an object", in);
		return NULL;
	}
	json_object_foreach(in, key, val) {
		for (size_t i = 0; fields[i].key; i++) {
			if (!mf_key_equal(key, fields[i].key))
				continue;
			if (found[i]) {
				/* Go would decode both; duplicates are refused here. */
				char p[MF_PATH_MAX];
				mf_path_key(p, path, key);
				mf_err(err, p, "duplicate key (same as \"%s\")", found_key[i]);
				return NULL;
			}
			found[i] = val;
			found_key[i] = key;
			break;
		}
	}
	json_t *out = json_object();
	for (size_t i = 0; fields[i].key; i++) {
		char p[MF_PATH_MAX];
		if (!found[i])
			continue;
		mf_path_key(p, path, fields[i].key);
		if (norm_field(out, &fields[i], found[i], p, err) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* ---- step 2: validation ---- */

/* Typed getters for the canonical tree: 1 present, 0 absent, -1 wrong type
 * (error set). A tool may have edited the tree, so types are checked again. */
int mf_get_scalar(json_t *o, const char *key, const char *path, enum mf_kind kind, json_t **v, ac_error **err)
{
	char p[MF_PATH_MAX];
	int ok;
	*v = json_object_get(o, key);
	if (!*v)
		return 0;
	switch (kind) {
	case MF_STR:
	case MF_OPTSTR: ok = json_is_string(*v); break;
	case MF_BOOL:
	case MF_OPTBOOL: ok = json_is_boolean(*v); break;
	case MF_UINT: ok = json_is_integer(*v) && json_integer_value(*v) >= 0; break;
	case MF_OPTINT: ok = json_is_integer(*v); break;
	default: abort(); /* not a scalar kind */
	}
	if (ok)
		return 1;
	mf_path_key(p, path, key);
	return mf_type_error(err, p, type_word(kind), *v);
}

int mf_get_str(json_t *o, const char *key, const char *path, const char **s, ac_error **err)
{
	json_t *v;
	int r = mf_get_scalar(o, key, path, MF_STR, &v, err);
	*s = r > 0 ? json_string_value(v) : "";
	return r;
}

int mf_get_uint(json_t *o, const char *key, const char *path, uint64_t *u, ac_error **err)
{
	json_t *v;
	int r = mf_get_scalar(o, key, path, MF_UINT, &v, err);
	*u = r > 0 ? (uint64_t)json_integer_value(v) : 0;
	return r;
}

int mf_get_bool(json_t *o, const char *key, const char *path, ac_error **err)
{
	json_t *v;
	return mf_get_scalar(o, key, path, MF_BOOL, &v, err);
}

/* Array (or absent: *arr = NULL) of objects / strings / integers. */
int mf_get_list(json_t *o, const char *key, const char *path, enum mf_kind elem, json_t **arr,
		    ac_error **err)
{
	json_t *v = json_object_get(o, key);
	char p[MF_PATH_MAX];
	mf_path_key(p, path, key);
	*arr = NULL;
	if (!v || (elem == MF_EXEC && json_is_null(v)))
		return 0;
	if (!json_is_array(v))
		return mf_type_error(err, p, "an array", v);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		int ok = elem == MF_STRUCT ? json_is_object(e) : elem == MF_INTLIST ? json_is_integer(e)
										     : json_is_string(e);
		if (!ok) {
			char pi[MF_PATH_MAX];
			mf_path_index(pi, p, i);
			return mf_type_error(err, pi,
					  elem == MF_STRUCT ? "an object" : elem == MF_INTLIST ? "an integer" : "a string",
					  e);
		}
	}
	*arr = v;
	return 1;
}

int mf_get_strmap(json_t *o, const char *key, const char *path, ac_error **err)
{
	json_t *v = json_object_get(o, key);
	char p[MF_PATH_MAX];
	const char *k;
	json_t *val;
	mf_path_key(p, path, key);
	if (!v)
		return 0;
	if (!json_is_object(v))
		return mf_type_error(err, p, "an object", v);
	json_object_foreach(v, k, val) {
		if (!json_is_string(val)) {
			char pk[MF_PATH_MAX];
			_cleanup_free_ char *q = mf_goquote(k);
			snprintf(pk, sizeof(pk), "%.300s[%.200s]", p, q);
			return mf_type_error(err, pk, "a string", val);
		}
	}
	return 1;
}

int mf_key_err(ac_error **err, const char *path, const char *key, const char *fmt, ...)
{
	char p[MF_PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	mf_path_key(p, path, key);
	return mf_err(err, p, "%s", msg);
}

/* A typed identifier field: checked when present, or always in MF_MARSHAL mode. */
int mf_check_id_field(json_t *o, const char *key, const char *path, int acname, enum mf_mode mode,
			  ac_error **err)
{
	const char *s, *msg;
	int r = mf_get_str(o, key, path, &s, err);
	if (r < 0)
		return -1;
	if (r == 0 && mode == MF_DECODE)
		return 0;
	if ((acname ? ac_check_acname(s, &msg) : ac_check_acidentifier(s, &msg)) < 0)
		return mf_key_err(err, path, key, "%s", msg);
	return 0;
}

int mf_check_hash_field(json_t *o, const char *key, const char *path, ac_error **err)
{
	const char *s, *msg;
	int r = mf_get_str(o, key, path, &s, err);
	if (r < 0)
		return -1;
	if (r && ac_check_hash(s, &msg) < 0)
		return mf_key_err(err, path, key, "%s", msg);
	return 0;
}

int mf_v_kind(json_t *m, const char **kind, ac_error **err)
{
	int r = mf_get_str(m, "acKind", "", kind, err);
	if (r > 0 && strcmp(*kind, "ImageManifest") && strcmp(*kind, "PodManifest")) {
		if (!**kind)
			return mf_err(err, "acKind", "ACKind must be set");
		return mf_err(err, "acKind", "bad ACKind: %s", *kind);
	}
	return r;
}

int mf_v_version(json_t *m, ac_error **err)
{
	const char *version, *msg;
	int r = mf_get_str(m, "acVersion", "", &version, err);
	if (r > 0 && (msg = mf_check_semver(version, NULL)))
		return mf_err(err, "acVersion", "%s", msg);
	return r;
}

/* Each element of list (an array of objects, or NULL), checked at "path[i]". */
static int v_each(json_t *list, const char *path, mf_check_fn *check, enum mf_mode mode, ac_error **err)
{
	size_t i;
	json_t *e;
	char p[MF_PATH_MAX];
	json_array_foreach(list, i, e) {
		mf_path_index(p, path, i);
		if (check(e, p, mode, err) < 0)
			return -1;
	}
	return 0;
}

int mf_v_list(json_t *o, const char *key, const char *path, mf_check_fn *each, mf_check_fn *all,
	      enum mf_mode mode, ac_error **err)
{
	json_t *list;
	char p[MF_PATH_MAX];
	mf_path_key(p, path, key);
	if (mf_get_list(o, key, path, MF_STRUCT, &list, err) < 0)
		return -1;
	if (each && v_each(list, p, each, mode, err) < 0)
		return -1;
	return all ? all(list, p, mode, err) : 0;
}

int mf_v_object(json_t *o, const char *key, const char *path, mf_check_fn *check, enum mf_mode mode,
		ac_error **err)
{
	json_t *v = json_object_get(o, key);
	char p[MF_PATH_MAX];
	if (!v || json_is_null(v))
		return 0;
	mf_path_key(p, path, key);
	if (!json_is_object(v))
		return mf_type_error(err, p, "an object", v);
	return check(v, p, mode, err);
}

/* Whether an element before list[i] has the name "name". */
static int name_repeats(json_t *list, size_t i, const char *name)
{
	for (size_t j = 0; j < i; j++) {
		const char *other;
		mf_get_str(json_array_get(list, j), "name", "", &other, NULL);
		if (!strcmp(name, other))
			return 1;
	}
	return 0;
}

int mf_v_unique_names(json_t *list, const char *path, const char *pre, const char *post, ac_error **err)
{
	char p[MF_PATH_MAX];
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *name;
		mf_get_str(json_array_get(list, i), "name", "", &name, NULL);
		if (name_repeats(list, i, name)) {
			_cleanup_free_ char *q = mf_goquote(name);
			mf_path_index(p, path, i);
			return mf_key_err(err, p, "name", "%s%s%s", pre, q, post);
		}
	}
	return 0;
}

/* A label or an annotation: the ACIdentifier hook of its name. */
static int v_name_value(json_t *e, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *s;
	if (mf_check_id_field(e, "name", path, 0, mode, err) < 0 || mf_get_str(e, "value", path, &s, err) < 0)
		return -1;
	return 0;
}

int mf_v_labels(json_t *list, const char *path, enum mf_mode mode, ac_error **err)
{
	size_t i, n = json_array_size(list);
	json_t *l;
	char p[MF_PATH_MAX], pv[MF_PATH_MAX];
	const char *s;
	/* element decoding: the ACIdentifier hook */
	if (v_each(list, path, v_name_value, mode, err) < 0)
		return -1;
	/* Labels.assertValid */
	const char *os = NULL, *arch = NULL;
	size_t os_i = 0, arch_i = 0;
	for (i = 0; i < n; i++) {
		const char *name;
		l = json_array_get(list, i);
		mf_get_str(l, "name", "", &name, NULL);
		mf_path_index(p, path, i);
		mf_path_key(pv, p, "name");
		if (!strcmp(name, "name"))
			return mf_err(err, pv, "invalid label name: \"name\"");
		if (name_repeats(list, i, name)) {
			_cleanup_free_ char *q = mf_goquote(name);
			return mf_err(err, pv, "duplicate labels of name %s", q);
		}
		mf_get_str(l, "value", "", &s, NULL);
		if (!strcmp(name, "os"))
			os = s, os_i = i;
		else if (!strcmp(name, "arch"))
			arch = s, arch_i = i;
	}
	/* types.IsValidOSArch: arch is only checked against a valid os */
	if (!os)
		return 0;
	for (i = 0; i < ARRAY_SIZE(valid_os_arch); i++) {
		if (strcmp(os, valid_os_arch[i].os))
			continue;
		if (!arch)
			return 0;
		ac_buf list_txt = AC_BUF_INIT;
		for (const char *const *a = valid_os_arch[i].archs; *a; a++) {
			if (!strcmp(*a, arch)) {
				ac_buf_release(&list_txt);
				return 0;
			}
			ac_buf_addf(&list_txt, "%s%s", a == valid_os_arch[i].archs ? "" : " ", *a);
		}
		_cleanup_free_ char *q = mf_goquote(arch);
		mf_path_index(p, path, arch_i);
		mf_path_key(pv, p, "value");
		mf_err(err, pv, "bad arch %s for %s (must be one of: [%s])", q, os, list_txt.buf);
		ac_buf_release(&list_txt);
		return -1;
	}
	_cleanup_free_ char *q = mf_goquote(os);
	mf_path_index(p, path, os_i);
	mf_path_key(pv, p, "value");
	return mf_err(err, pv, "bad os %s (must be one of: [darwin freebsd linux])", q);
}

int mf_v_annotations(json_t *list, const char *path, enum mf_mode mode, ac_error **err)
{
	size_t i, n = json_array_size(list);
	json_t *a;
	char p[MF_PATH_MAX], pv[MF_PATH_MAX];
	const char *s;
	if (v_each(list, path, v_name_value, mode, err) < 0 ||
	    mf_v_unique_names(list, path, "duplicate annotations of name ", "", err) < 0)
		return -1;
	/* Only these three values are checked, in this order. */
	static const char *const checked[] = { "created", "homepage", "documentation" };
	for (size_t c = 0; c < ARRAY_SIZE(checked); c++) {
		for (i = 0; i < n; i++) {
			const char *name;
			a = json_array_get(list, i);
			mf_get_str(a, "name", "", &name, NULL);
			if (strcmp(name, checked[c]))
				continue;
			mf_get_str(a, "value", "", &s, NULL);
			_cleanup_free_ char *msg = c == 0 ? check_rfc3339(s) : check_url(s);
			if (msg) {
				mf_path_index(p, path, i);
				mf_path_key(pv, p, "value");
				return mf_err(err, pv, "%s", msg);
			}
		}
	}
	return 0;
}

static int v_environment(json_t *list, const char *path, enum mf_mode mode, ac_error **err)
{
	size_t i;
	json_t *e;
	char p[MF_PATH_MAX], pn[MF_PATH_MAX];
	(void)mode;
	json_array_foreach(list, i, e) {
		const char *name, *value;
		mf_path_index(p, path, i);
		mf_path_key(pn, p, "name");
		if (mf_get_str(e, "name", p, &name, err) < 0 || mf_get_str(e, "value", p, &value, err) < 0)
			return -1;
		if (!*name)
			return mf_err(err, pn, "environment variable name must not be empty");
		/* ^[A-Za-z_][A-Za-z_0-9.-]*$ */
		int ok = isalpha((unsigned char)name[0]) || name[0] == '_';
		for (const char *c = name + 1; ok && *c; c++)
			ok = isalnum((unsigned char)*c) || strchr("_.-", *c);
		if (!ok) {
			_cleanup_free_ char *q = mf_goquote(name);
			return mf_err(err, pn, "environment variable does not have valid identifier %s", q);
		}
		if (name_repeats(list, i, name)) {
			_cleanup_free_ char *q = mf_goquote(name);
			return mf_err(err, pn, "duplicate environment variable of name %s", q);
		}
	}
	return 0;
}

int mf_v_isolator(json_t *iso, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *name;
	char pv[MF_PATH_MAX];
	if (mf_check_id_field(iso, "name", path, 0, mode, err) < 0 || mf_get_str(iso, "name", path, &name, err) < 0)
		return -1;
	const struct mf_isolator_type *t = mf_isolator_lookup(name);
	json_t *value = json_object_get(iso, "value");
	if (!t)
		return 0; /* kept raw; refused as "invalid isolator" by the set check */
	mf_path_key(pv, path, "value");
	if (!value || json_is_null(value)) /* the original panics here */
		return mf_err(err, pv, "value must be set for isolator \"%s\"", name);
	return t->check(value, pv, err);
}

/* Isolators.assertValid: known types only, multiples, conflicts. */
static int v_isolator_set(json_t *list, const char *path, ac_error **err)
{
	size_t i;
	json_t *iso;
	char p[MF_PATH_MAX];
	json_array_foreach(list, i, iso) {
		const char *name;
		mf_get_str(iso, "name", "", &name, NULL);
		const struct mf_isolator_type *t = mf_isolator_lookup(name);
		mf_path_index(p, path, i);
		if (!t)
			return mf_err(err, p, "invalid isolator");
		for (size_t j = 0; j < i; j++) {
			const char *other;
			mf_get_str(json_array_get(list, j), "name", "", &other, NULL);
			if (!strcmp(other, name) && !t->multiple_allowed)
				/* the stray quote is in the original text */
				return mf_err(err, p, "isolators set contains too many instances of type %s\"", name);
			if (t->conflicts && !strcmp(other, t->conflicts))
				return mf_err(err, p, "isolators set contains incompatible types");
		}
	}
	return 0;
}

/* An eventHandler's element hook checks its name. */
static int v_eventhandler(json_t *e, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *s;
	json_t *exec;
	(void)mode;
	if (mf_get_str(e, "name", path, &s, err) < 0 || mf_get_list(e, "exec", path, MF_EXEC, &exec, err) < 0)
		return -1;
	if (!*s)
		return mf_key_err(err, path, "name", "eventHandler \"name\" cannot be empty");
	if (strcmp(s, "pre-start") && strcmp(s, "post-stop")) {
		_cleanup_free_ char *q = mf_goquote(s);
		return mf_key_err(err, path, "name", "bad eventHandler \"name\": %s", q);
	}
	return 0;
}

static int v_mountpoint(json_t *e, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *s;
	if (mf_check_id_field(e, "name", path, 1, mode, err) < 0 || mf_get_str(e, "path", path, &s, err) < 0 ||
	    mf_get_bool(e, "readOnly", path, err) < 0)
		return -1;
	return 0;
}

int mf_v_port(json_t *port, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *s;
	uint64_t n, count;
	if (mf_check_id_field(port, "name", path, 1, mode, err) < 0 ||
	    mf_get_str(port, "protocol", path, &s, err) < 0 || mf_get_uint(port, "port", path, &n, err) < 0 ||
	    mf_get_uint(port, "count", path, &count, err) < 0 || mf_get_bool(port, "socketActivated", path, err) < 0)
		return -1;
	if (n < 1 || n > 65535)
		return mf_key_err(err, path, "port", "port must be in 1-65535 range (got %" PRIu64 ")", n);
	if (count > 65536 - n)
		return mf_key_err(err, path, "count",
				  "end of port range must be in 1-65535 range (got port %" PRIu64 " count %" PRIu64
				  ")", n, count);
	return 0;
}

int mf_v_app(json_t *app, const char *path, enum mf_mode mode, ac_error **err)
{
	json_t *list;
	const char *user, *group, *wd;
	char pl[MF_PATH_MAX];

	if (mf_get_list(app, "exec", path, MF_EXEC, &list, err) < 0 ||
	    mf_v_list(app, "eventHandlers", path, v_eventhandler, NULL, mode, err) < 0 ||
	    mf_get_str(app, "user", path, &user, err) < 0 || mf_get_str(app, "group", path, &group, err) < 0 ||
	    mf_get_list(app, "supplementaryGIDs", path, MF_INTLIST, &list, err) < 0 ||
	    mf_get_str(app, "workingDirectory", path, &wd, err) < 0 ||
	    mf_v_list(app, "environment", path, NULL, v_environment, mode, err) < 0 ||
	    mf_v_list(app, "mountPoints", path, v_mountpoint, NULL, mode, err) < 0 ||
	    mf_v_list(app, "ports", path, mf_v_port, NULL, mode, err) < 0 ||
	    mf_v_list(app, "isolators", path, mf_v_isolator, NULL, mode, err) < 0 ||
	    mf_get_strmap(app, "userAnnotations", path, err) < 0 || mf_get_strmap(app, "userLabels", path, err) < 0)
		return -1;

	/* App.assertValid */
	if (!*user)
		return mf_key_err(err, path, "user", "user is required");
	if (!*group)
		return mf_key_err(err, path, "group", "group is required");
	if (*wd && wd[0] != '/')
		return mf_key_err(err, path, "workingDirectory", "workingDirectory must be an absolute path");
	mf_path_key(pl, path, "eventHandlers");
	if (mf_v_unique_names(json_object_get(app, "eventHandlers"), pl, "Only one eventHandler of name ", " allowed",
			      err) < 0)
		return -1;
	mf_path_key(pl, path, "isolators");
	return v_isolator_set(json_object_get(app, "isolators"), pl, err);
}

static int v_dependency(json_t *d, const char *path, enum mf_mode mode, ac_error **err)
{
	const char *name, *msg;
	uint64_t size;
	int has_name = mf_get_str(d, "imageName", path, &name, err);
	if (has_name < 0)
		return -1;
	if (!*name && (has_name == 0 || mode == MF_MARSHAL))
		return mf_key_err(err, path, "imageName", "imageName cannot be empty");
	if (ac_check_acidentifier(name, &msg) < 0)
		return mf_key_err(err, path, "imageName", "%s", msg);
	if (mf_check_hash_field(d, "imageID", path, err) < 0 ||
	    mf_v_list(d, "labels", path, NULL, mf_v_labels, mode, err) < 0 ||
	    mf_get_uint(d, "size", path, &size, err) < 0)
		return -1;
	return 0;
}

static int validate(json_t *m, enum mf_mode mode, ac_error **err)
{
	const char *kind, *name, *msg;
	json_t *list;
	int has_kind, has_version, has_name;

	if (!json_is_object(m))
		return mf_err(err, "manifest", "expected a JSON object");
	if ((has_kind = mf_v_kind(m, &kind, err)) < 0 || (has_version = mf_v_version(m, err)) < 0 ||
	    (has_name = mf_get_str(m, "name", "", &name, err)) < 0)
		return -1;
	if (has_name && (mode == MF_DECODE || *name) && ac_check_acidentifier(name, &msg) < 0)
		return mf_err(err, "name", "%s", msg);
	if (mf_v_list(m, "labels", "", NULL, mf_v_labels, mode, err) < 0 ||
	    mf_v_object(m, "app", "", mf_v_app, mode, err) < 0 ||
	    mf_v_list(m, "annotations", "", NULL, mf_v_annotations, mode, err) < 0 ||
	    mf_v_list(m, "dependencies", "", v_dependency, NULL, mode, err) < 0 ||
	    mf_get_list(m, "pathWhitelist", "", MF_STRLIST, &list, err) < 0)
		return -1;
	/* ImageManifest.assertValid; the original panics on a missing acKind. */
	if (!has_kind || strcmp(kind, "ImageManifest"))
		return mf_err(err, "acKind", "missing or bad ACKind (must be \"ImageManifest\")");
	if (!has_version)
		return mf_err(err, "acVersion", "acVersion must be set");
	if (!*name)
		return mf_err(err, "name", "name must be set");
	return 0;
}

int ac_manifest_validate(json_t *m, ac_error **err)
{
	return validate(m, MF_MARSHAL, err);
}

/* ---- step 3: fill in zero values and defaults ---- */

/* Puts obj's known keys in schema order, adds the zero value of fields that
 * are always written, drops empty omitempty fields and unknown keys. */
void mf_canonicalise(json_t *obj, const struct mf_field *fields)
{
	json_t *out = json_object();
	for (const struct mf_field *f = fields; f->key; f++) {
		json_t *v = json_object_get(obj, f->key);
		if (f->omitempty && mf_is_empty(v, f->kind))
			continue;
		if (!v) {
			switch (f->kind) {
			case MF_STR: v = json_string(""); break;
			case MF_BOOL: v = json_false(); break;
			case MF_UINT: v = json_integer(0); break;
			default: v = json_null(); break;
			}
			json_object_set_new(out, f->key, v);
			continue;
		}
		if (f->kind == MF_STRUCT && json_is_object(v))
			mf_canonicalise(v, f->sub);
		else if (f->kind == MF_LIST && json_is_array(v))
			for (size_t i = 0; i < json_array_size(v); i++)
				if (json_is_object(json_array_get(v, i)))
					mf_canonicalise(json_array_get(v, i), f->sub);
		json_object_set(out, f->key, v);
	}
	json_object_clear(obj);
	json_object_update(obj, out);
	json_decref(out);
}

void mf_fill_port_count(json_t *port)
{
	json_t *c = json_object_get(port, "count");
	if (json_is_object(port) && (!c || json_integer_value(c) == 0)) /* Port.UnmarshalJSON */
		json_object_set_new(port, "count", json_integer(1));
}

void mf_fill_app(json_t *app)
{
	json_t *ports = json_object_get(app, "ports");
	for (size_t i = 0; i < json_array_size(ports); i++)
		mf_fill_port_count(json_array_get(ports, i));
}

void mf_fill_version(json_t *m)
{
	const char *v = json_string_value(json_object_get(m, "acVersion"));
	char *canon = NULL;
	if (v && !mf_check_semver(v, &canon)) /* written as go-semver prints it */
		json_object_set_new(m, "acVersion", json_string(canon));
	free(canon);
}

static void fill(json_t *m)
{
	mf_fill_version(m);
	mf_fill_app(json_object_get(m, "app"));
	mf_canonicalise(m, mf_top);
}

/* ---- entry points ---- */

/* JSON text -> object (size limit, duplicate keys refused, null -> {}). */
static json_t *load(const char *buf, size_t len, ac_error **err)
{
	json_error_t jerr;
	if (len > AC_MANIFEST_MAX_SIZE) {
		ac_error_set(err, EFBIG, "manifest too large: %zu bytes (limit %u)", len, AC_MANIFEST_MAX_SIZE);
		return NULL;
	}
	/* jansson refuses invalid UTF-8 and \u0000, and nesting deeper than
	 * 2048 levels, with an error. */
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!j) {
		ac_error_set(err, 0, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (json_is_null(j)) { /* Go: decoding null leaves the zero manifest */
		json_decref(j);
		return json_object();
	}
	if (!json_is_object(j)) {
		json_decref(j);
		mf_err(err, "manifest", "expected a JSON object");
		return NULL;
	}
	return j;
}

json_t *mf_parse(const char *buf, size_t len, const struct mf_field *fields, mf_validate_fn *check,
		 void (*finish)(json_t *m), ac_error **err)
{
	json_t *in = load(buf, len, err);
	if (!in)
		return NULL;
	json_t *m = mf_norm_struct(in, fields, "", err);
	json_decref(in);
	if (!m || !check)
		return m;
	if (check(m, MF_DECODE, err) < 0) {
		json_decref(m);
		return NULL;
	}
	finish(m);
	return m;
}

json_t *ac_manifest_parse(const char *buf, size_t len, ac_error **err)
{
	return mf_parse(buf, len, mf_top, validate, fill, err);
}

int ac_manifest_parse_kind(const char *buf, size_t len, const char **kind, ac_error **err)
{
	static const struct mf_field kind_fields[] = {
		{ "acKind", MF_STR, NULL, 0 },
		{ "acVersion", MF_STR, NULL, 0 },
		{ NULL, 0, NULL, 0 },
	};
	json_t *m = mf_parse(buf, len, kind_fields, NULL, NULL, err);
	if (!m)
		return -1;
	const char *k = json_string_value(json_object_get(m, "acKind"));
	const char *v = json_string_value(json_object_get(m, "acVersion"));
	const char *msg;
	int ret = -1;
	if (!k || !*k)
		mf_err(err, "acKind", "ACKind must be set");
	else if (strcmp(k, "ImageManifest") && strcmp(k, "PodManifest"))
		mf_err(err, "acKind", "bad ACKind: %s", k);
	else if (v && (msg = mf_check_semver(v, NULL)))
		mf_err(err, "acVersion", "%s", msg);
	else {
		*kind = !strcmp(k, "ImageManifest") ? "ImageManifest" : "PodManifest";
		ret = 0;
	}
	json_decref(m);
	return ret;
}

json_t *ac_manifest_new(const char *name, ac_error **err)
{
	const char *msg;
	if (ac_check_acidentifier(name, &msg) < 0) {
		mf_err(err, "name", "%s", msg);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s}", "acKind", "ImageManifest", "acVersion", AC_SPEC_VERSION, "name", name);
}

json_t *ac_manifest_app(json_t *m)
{
	json_t *app = json_object_get(m, "app");
	if (json_is_object(app))
		return app;
	app = json_pack("{s:n, s:s, s:s}", "exec", "user", "0", "group", "0");
	json_object_set_new(m, "app", app);
	return app;
}

/* Lower-cases, replaces each invalid character (one per UTF-8 sequence, as
 * Go's regexp works on runes) and strips separators at both ends. */
static char *sanitize(const char *s, const char *seps, char repl)
{
	size_t n = strlen(s);
	char *out = xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t w = c < 0x80 ? 1 : mf_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		c = (unsigned char)tolower(c);
		if (w == 1 && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c && strchr(seps, c))))
			*o++ = (char)c;
		else
			*o++ = repl;
		i += w ? w : 1;
	}
	*o = '\0';
	char *start = out;
	while (*start && strchr(seps, *start))
		start++;
	size_t len = strlen(start);
	while (len && strchr(seps, start[len - 1]))
		len--;
	if (!len) {
		free(out);
		return NULL;
	}
	memmove(out, start, len);
	out[len] = '\0';
	return out;
}

char *ac_sanitize_acidentifier(const char *s)
{
	return sanitize(s, "-._~/", '_');
}

char *ac_sanitize_acname(const char *s)
{
	return sanitize(s, "-", '-');
}
