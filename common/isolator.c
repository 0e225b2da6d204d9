/* Isolator values as appc/spec v0.8.11 knows them (schema/types/isolator_
 * resources.go, isolator_linux_specific.go, isolator_unix.go): the value's
 * decoding (Go's json.Unmarshal into the type), its AssertValid, and the
 * multiple/conflict rules used by Isolators.assertValid. */
#include "manifest-internal.h"

#include <inttypes.h>

/* ---- decoding helpers (same wording as manifest.c's type errors) ---- */

static int type_err(ac_error **err, const char *path, const char *want)
{
	return mf_err(err, path, "expected %s", want);
}

/* The member of obj matching canon as Go matches keys; two spellings of one
 * key are refused as in manifest.c. *out is NULL when absent. */
static int member(json_t *obj, const char *canon, const char *path, json_t **out, ac_error **err)
{
	const char *key, *found_key = NULL;
	json_t *val;
	*out = NULL;
	json_object_foreach(obj, key, val) {
		if (!mf_key_equal(key, canon))
			continue;
		if (found_key) {
			char p[MF_PATH_MAX];
			mf_path_key(p, path, key);
			return mf_err(err, p, "duplicate key (same as \"%s\")", found_key);
		}
		found_key = key;
		*out = val;
	}
	return 0;
}

/* A string member: null or absent reads as "". */
static int member_str(json_t *obj, const char *canon, const char *path, const char **s, ac_error **err)
{
	json_t *v;
	char p[MF_PATH_MAX];
	*s = "";
	if (member(obj, canon, path, &v, err) < 0)
		return -1;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		mf_path_key(p, path, canon);
		return type_err(err, p, "a string");
	}
	*s = json_string_value(v);
	return 0;
}

/* A list of strings; null or absent is the empty list. Returns the size. */
static int member_strlist(json_t *obj, const char *canon, const char *path, size_t *n, ac_error **err)
{
	json_t *v, *e;
	size_t i;
	char p[MF_PATH_MAX], pi[MF_PATH_MAX];
	*n = 0;
	if (member(obj, canon, path, &v, err) < 0)
		return -1;
	if (!v || json_is_null(v))
		return 0;
	mf_path_key(p, path, canon);
	if (!json_is_array(v))
		return type_err(err, p, "an array");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) && !json_is_null(e)) {
			mf_path_index(pi, p, i);
			return type_err(err, pi, "a string");
		}
	}
	*n = json_array_size(v);
	return 0;
}

/* Go decodes null into a struct as a no-op: the zero value. */
static int want_object(json_t *v, const char *path, ac_error **err)
{
	if (json_is_object(v) || json_is_null(v))
		return 0;
	return type_err(err, path, "an object");
}

/* ---- resource.Quantity ---- */

static const char quantity_format_msg[] =
	"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* suffixer.interpret: base, exponent; binary is set for BinarySI. */
static int quantity_suffix(const char *s, size_t n, int *base, int32_t *exp, int *binary)
{
	static const struct {
		const char *s;
		int base, exp;
	} table[] = {
		{ "", 10, 0 },	   { "n", 10, -9 },  { "u", 10, -6 },  { "m", 10, -3 },  { "k", 10, 3 },
		{ "M", 10, 6 },	   { "G", 10, 9 },   { "T", 10, 12 },  { "P", 10, 15 },  { "E", 10, 18 },
		{ "Ki", 2, 10 },   { "Mi", 2, 20 },  { "Gi", 2, 30 },  { "Ti", 2, 40 },  { "Pi", 2, 50 },
		{ "Ei", 2, 60 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		if (strlen(table[i].s) == n && !memcmp(table[i].s, s, n)) {
			*base = table[i].base;
			*exp = table[i].exp;
			*binary = table[i].base == 2;
			return 0;
		}
	}
	if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
		/* strconv.ParseInt(s[1:], 10, 64), then int32() truncation */
		char tmp[32];
		int64_t v;
		if (n - 1 >= sizeof(tmp))
			return -1;
		memcpy(tmp, s + 1, n - 1);
		tmp[n - 1] = '\0';
		const char *d = tmp + (tmp[0] == '+' || tmp[0] == '-');
		if (!*d)
			return -1;
		for (; *d; d++)
			if (!is_digit(*d))
				return -1;
		if (ac_parse_i64(tmp[0] == '+' ? tmp + 1 : tmp, &v) < 0)
			return -1;
		*base = 10;
		*exp = (int32_t)(uint32_t)(uint64_t)v;
		*binary = 0;
		return 0;
	}
	return -1;
}

/* resource.ParseQuantity; NULL or the original's error text. */
static const char *parse_quantity(const char *str, size_t end)
{
	size_t pos = 0, num_start, num_len, denom_len = 0, value_len, suf_start;
	if (end == 0)
		return quantity_format_msg;
	if (end == 1 && str[0] == '0')
		return NULL;
	/* parseQuantityString */
	if (str[0] == '-' || str[0] == '+')
		pos++;
	while (pos < end && str[pos] == '0')
		pos++;
	if (pos >= end)
		return NULL; /* all zeroes: the number 0 */
	num_start = pos;
	while (pos < end && is_digit(str[pos]))
		pos++;
	num_len = pos - num_start;
	if (pos >= end)
		return NULL; /* digits only */
	if (str[pos] == '.') {
		size_t d = ++pos;
		while (pos < end && is_digit(str[pos]))
			pos++;
		denom_len = pos - d;
		if (pos >= end)
			return NULL;
	}
	value_len = pos;
	suf_start = pos;
	while (pos < end && strchr("eEinumkKMGTP", str[pos]))
		pos++;
	if (pos < end) {
		if (str[pos] == '-' || str[pos] == '+')
			pos++;
		while (pos < end && is_digit(str[pos]))
			pos++;
		if (pos < end)
			return quantity_format_msg;
	}
	if (num_len == 0)
		num_len = 1; /* num = "0" */

	int base, binary;
	int32_t exp;
	if (quantity_suffix(str + suf_start, end - suf_start, &base, &exp, &binary) < 0)
		return "unable to parse quantity's suffix";
	/* The int64 fast path never fails; the inf.Dec path fails when the
	 * numeric text has no digit at all (e.g. "Ei", ".e-20"). */
	int64_t precision;
	int64_t scale = binary ? 0 : exp;
	if (!binary)
		precision = 18 - (int64_t)(num_len + denom_len);
	else if (denom_len == 0)
		precision = 15 - (int64_t)num_len - (int32_t)((float)exp * 3 / 10) - 1;
	else
		precision = -1;
	if (precision >= 0 && scale - (int64_t)denom_len >= -9)
		return NULL;
	for (size_t i = 0; i < value_len; i++)
		if (is_digit(str[i]))
			return NULL;
	return "unable to parse numeric part of quantity";
}

const char *mf_check_quantity(json_t *v)
{
	char tmp[40];
	const char *s;
	size_t n;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return NULL;
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER:
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = tmp;
		n = strlen(tmp);
		break;
	case JSON_REAL:
		/* Go parses the raw text; jansson kept only the double, so take
		 * its shortest form */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, json_real_value(v));
			if (strtod(tmp, NULL) == json_real_value(v))
				break;
		}
		s = tmp;
		n = strlen(tmp);
		break;
	default: /* objects, arrays, booleans: the raw text never matches */
		return quantity_format_msg;
	}
	/* strings.TrimSpace */
	while (n && strchr(" \t\n\r\v\f", s[0]))
		s++, n--;
	while (n && strchr(" \t\n\r\v\f", s[n - 1]))
		n--;
	return parse_quantity(s, n);
}

/* ---- the value types ---- */

/* resourceValue {default bool, request, limit *Quantity}. *has_request is
 * set when request is given and not null. */
static int decode_resource(json_t *v, const char *path, int *def, int *has_request, ac_error **err)
{
	static const char *const qkeys[] = { "request", "limit" };
	json_t *d, *q;
	char p[MF_PATH_MAX];
	const char *msg;
	*def = 0;
	*has_request = 0;
	if (want_object(v, path, err) < 0)
		return -1;
	if (json_is_null(v))
		return 0;
	if (member(v, "default", path, &d, err) < 0)
		return -1;
	if (d && !json_is_null(d)) {
		if (!json_is_boolean(d)) {
			mf_path_key(p, path, "default");
			return type_err(err, p, "a boolean");
		}
		*def = json_is_true(d);
	}
	for (size_t i = 0; i < ARRAY_SIZE(qkeys); i++) {
		if (member(v, qkeys[i], path, &q, err) < 0)
			return -1;
		if (!q)
			continue;
		mf_path_key(p, path, qkeys[i]);
		if ((msg = mf_check_quantity(q)))
			return mf_err(err, p, "%s", msg);
		if (i == 0 && !json_is_null(q))
			*has_request = 1;
	}
	return 0;
}

/* resource/cpu, resource/memory */
static int check_resource_nodefault(json_t *v, const char *path, ac_error **err)
{
	int def, req;
	if (decode_resource(v, path, &def, &req, err) < 0)
		return -1;
	if (def)
		return mf_err(err, path, "default must be false");
	return 0;
}

/* resource/block-bandwidth, block-iops, network-bandwidth */
static int check_resource_default(json_t *v, const char *path, ac_error **err)
{
	int def, req;
	if (decode_resource(v, path, &def, &req, err) < 0)
		return -1;
	if (!def)
		return mf_err(err, path, "default must be true");
	if (req)
		return mf_err(err, path, "request not supported by this resource, must be empty");
	return 0;
}

static int check_capabilities(json_t *v, const char *path, ac_error **err)
{
	size_t n = 0;
	if (want_object(v, path, err) < 0)
		return -1;
	if (json_is_object(v) && member_strlist(v, "set", path, &n, err) < 0)
		return -1;
	if (n == 0)
		return mf_err(err, path, "set must be non-empty");
	return 0;
}

/* unicode.IsUpper || unicode.IsNumber, for the common scripts only. */
static int errno_char_ok(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3a9) ||
	       (c >= 0x400 && c <= 0x42f) || c == 0xb2 || c == 0xb3 || c == 0xb9 || (c >= 0xbc && c <= 0xbe);
}

static int check_seccomp(json_t *v, const char *path, ac_error **err)
{
	size_t n = 0;
	const char *errno_s = "";
	if (want_object(v, path, err) < 0)
		return -1;
	if (json_is_object(v) && (member_strlist(v, "set", path, &n, err) < 0 ||
				  member_str(v, "errno", path, &errno_s, err) < 0))
		return -1;
	if (n == 0)
		return mf_err(err, path, "set must be non-empty");
	const unsigned char *s = (const unsigned char *)errno_s;
	size_t len = strlen(errno_s);
	for (size_t i = 0; i < len;) {
		uint32_t c = s[i];
		size_t w = c < 0x80 ? 1 : mf_utf8_decode(s + i, len - i, &c);
		if (w == 0) { /* Go ranges over it as U+FFFD */
			c = 0xfffd;
			w = 1;
		}
		if (i == 0 && c != 'E')
			return mf_err(err, path, "errno must start with an 'E' character, got %s", errno_s);
		if (!errno_char_ok(c))
			return mf_err(err, path, "errno can only contain upper case or numeric characters, got %s",
				      errno_s);
		i += w;
	}
	return 0;
}

static int check_bool(json_t *v, const char *path, ac_error **err)
{
	if (!json_is_boolean(v) && !json_is_null(v))
		return type_err(err, path, "a boolean");
	return 0;
}

/* A Go int; null decodes as 0. */
static int decode_int(json_t *v, const char *path, json_int_t *out, ac_error **err)
{
	*out = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return type_err(err, path, "an integer");
	*out = json_integer_value(v);
	return 0;
}

static int check_oom_score_adj(json_t *v, const char *path, ac_error **err)
{
	json_int_t i;
	if (decode_int(v, path, &i, err) < 0)
		return -1;
	if (i < -1000 || i > 1000)
		return mf_err(err, path, "os/linux/oom-score-adj must be between -1000 and 1000, got %" JSON_INTEGER_FORMAT,
			      i);
	return 0;
}

static int check_cpu_shares(json_t *v, const char *path, ac_error **err)
{
	json_int_t i;
	if (decode_int(v, path, &i, err) < 0)
		return -1;
	if (i < 2 || i > 262144)
		return mf_err(err, path, "os/linux/cpu-shares must be between 2 and 262144, got %" JSON_INTEGER_FORMAT, i);
	return 0;
}

static int check_selinux(json_t *v, const char *path, ac_error **err)
{
	static const char *const keys[] = { "user", "role", "type", "level" };
	const char *val[4] = { "", "", "", "" };
	if (want_object(v, path, err) < 0)
		return -1;
	for (size_t i = 0; i < 4 && json_is_object(v); i++)
		if (member_str(v, keys[i], path, &val[i], err) < 0)
			return -1;
	for (size_t i = 0; i < 4; i++) {
		/* the level may contain ':' (s0:c1,c2) */
		if (!*val[i] || (i < 3 && strchr(val[i], ':'))) {
			_cleanup_free_ char *q = mf_goquote(val[i]);
			return mf_err(err, path, "invalid %s value %s", keys[i], q);
		}
	}
	return 0;
}

static int check_sysctl(json_t *v, const char *path, ac_error **err)
{
	const char *key;
	json_t *val;
	if (want_object(v, path, err) < 0)
		return -1;
	if (json_is_null(v))
		return 0;
	json_object_foreach(v, key, val) {
		if (!json_is_string(val) && !json_is_null(val)) {
			char p[MF_PATH_MAX];
			_cleanup_free_ char *q = mf_goquote(key);
			snprintf(p, sizeof(p), "%.300s[%.200s]", path, q);
			return type_err(err, p, "a string");
		}
	}
	return 0;
}

static const struct mf_isolator_type types[] = {
	{ "resource/block-bandwidth", check_resource_default, 1, NULL },
	{ "resource/block-iops", check_resource_default, 1, NULL },
	{ "resource/cpu", check_resource_nodefault, 1, NULL },
	{ "resource/memory", check_resource_nodefault, 1, NULL },
	{ "resource/network-bandwidth", check_resource_default, 1, NULL },
	{ "os/linux/capabilities-retain-set", check_capabilities, 1, NULL },
	{ "os/linux/capabilities-remove-set", check_capabilities, 1, NULL },
	{ "os/linux/no-new-privileges", check_bool, 1, NULL },
	{ "os/linux/seccomp-remove-set", check_seccomp, 0, "os/linux/seccomp-retain-set" },
	{ "os/linux/seccomp-retain-set", check_seccomp, 0, "os/linux/seccomp-remove-set" },
	{ "os/linux/oom-score-adj", check_oom_score_adj, 0, NULL },
	{ "os/linux/cpu-shares", check_cpu_shares, 0, NULL },
	{ "os/linux/selinux-context", check_selinux, 0, NULL },
	{ "os/unix/sysctl", check_sysctl, 0, NULL },
};

const struct mf_isolator_type *mf_isolator_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcmp(types[i].name, name))
			return &types[i];
	return NULL;
}
