/* ImageManifest and PodManifest: every validation rule with its message
 * (spec-appc.md section 2), canonical serialisation byte for byte. */
#include "test.h"

#include "ac/manifest.h"
#include "../../common/manifest-internal.h"

#define MIN "\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/x\""
#define APP_MIN "\"exec\":null,\"user\":\"0\",\"group\":\"0\""

/* Parses and serialises; the text or NULL (with a test failure). */
static char *serialize_text(const char *in, int indent, const char *file, int line)
{
	ac_error *err = NULL;
	json_t *m = ac_manifest_parse(in, strlen(in), &err);
	if (!m) {
		test_fail(file, line, "parse of %s failed: %s", in, err->msg);
		ac_error_free(&err);
		return NULL;
	}
	char *s = ac_manifest_serialize(m, indent, &err);
	if (!s) {
		test_fail(file, line, "serialize of %s failed: %s", in, err->msg);
		ac_error_free(&err);
	}
	json_decref(m);
	return s;
}

/* in parses and serialises (indent 0) to exactly out. */
#define check_rt(in, out)                                                  \
	do {                                                               \
		char *_s = serialize_text(in, 0, __FILE__, __LINE__);      \
		if (_s)                                                    \
			check_str(_s, out);                                \
		free(_s);                                                  \
	} while (0)

/* The message of parsing in, or "(accepted)". */
static char *parse_msg(const char *in, size_t len, json_t *(*parse)(const char *, size_t, ac_error **))
{
	static char buf[1024];
	ac_error *err = NULL;
	json_t *m = parse(in, len, &err);
	if (m) {
		json_decref(m);
		return strcpy(buf, "(accepted)");
	}
	snprintf(buf, sizeof(buf), "%s", err ? err->msg : "(no error set)");
	ac_error_free(&err);
	return buf;
}
#define check_bad(in, msg) check_str(parse_msg(in, strlen(in), ac_manifest_parse), msg)
#define check_good(in) check_str(parse_msg(in, strlen(in), ac_manifest_parse), "(accepted)")
#define check_pod_bad(in, msg) check_str(parse_msg(in, strlen(in), ac_pod_manifest_parse), msg)
#define check_pod_good(in) check_str(parse_msg(in, strlen(in), ac_pod_manifest_parse), "(accepted)")

/* ---- round trips ---- */

DEFINE_TEST(test_manifest_minimal_roundtrip)
{
	check_rt("{" MIN "}", "{" MIN "}");
	char *s = serialize_text("{" MIN "}", 4, __FILE__, __LINE__);
	check_str(s, "{\n    \"acKind\": \"ImageManifest\",\n    \"acVersion\": \"0.8.11\",\n"
		     "    \"name\": \"example.com/x\"\n}");
	free(s);
}

static const char full_in[] =
	"{\"name\":\"example.com/app\",\"acVersion\":\"0.8.11+git\",\"acKind\":\"ImageManifest\",\"junk\":[1,2],"
	"\"labels\":[{\"value\":\"1.0.0\",\"name\":\"version\"},{\"name\":\"os\",\"value\":\"linux\"},"
	"{\"name\":\"arch\",\"value\":\"amd64\"}],"
	"\"app\":{\"user\":\"0\",\"group\":\"0\",\"exec\":[\"/bin/sh\",\"-c\",\"echo <&>\"],"
	"\"eventHandlers\":[{\"name\":\"pre-start\",\"exec\":[\"/x\"]}],\"supplementaryGids\":[10,-1],"
	"\"workingDirectory\":\"/srv\",\"environment\":[{\"name\":\"PATH\",\"value\":\"/bin\"}],"
	"\"mountPoints\":[{\"name\":\"data\",\"path\":\"/data\",\"readOnly\":true},{\"name\":\"tmp\",\"path\":\"/tmp\"}],"
	"\"ports\":[{\"name\":\"http\",\"protocol\":\"tcp\",\"port\":80}],"
	"\"isolators\":[{\"name\":\"resource/memory\",\"value\": { \"limit\" : \"1G\", \"default\" : false } }],"
	"\"userLabels\":{\"z\":\"1\",\"a\":\"2\",\"B\":\"3\"},\"userAnnotations\":{},\"unknown\":true},"
	"\"annotations\":[{\"name\":\"created\",\"value\":\"2016-01-02T03:04:05.5+01:00\"}],"
	"\"dependencies\":[{\"imageName\":\"example.com/base\",\"size\":0,\"labels\":[]}],"
	"\"pathWhitelist\":[]}";

static const char full_compact[] =
	"{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11+git\",\"name\":\"example.com/app\","
	"\"labels\":[{\"name\":\"version\",\"value\":\"1.0.0\"},{\"name\":\"os\",\"value\":\"linux\"},"
	"{\"name\":\"arch\",\"value\":\"amd64\"}],"
	"\"app\":{\"exec\":[\"/bin/sh\",\"-c\",\"echo \\u003c\\u0026\\u003e\"],"
	"\"eventHandlers\":[{\"name\":\"pre-start\",\"exec\":[\"/x\"]}],\"user\":\"0\",\"group\":\"0\","
	"\"supplementaryGIDs\":[10,-1],\"workingDirectory\":\"/srv\","
	"\"environment\":[{\"name\":\"PATH\",\"value\":\"/bin\"}],"
	"\"mountPoints\":[{\"name\":\"data\",\"path\":\"/data\",\"readOnly\":true},{\"name\":\"tmp\",\"path\":\"/tmp\"}],"
	"\"ports\":[{\"name\":\"http\",\"protocol\":\"tcp\",\"port\":80,\"count\":1,\"socketActivated\":false}],"
	"\"isolators\":[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"1G\",\"default\":false}}],"
	"\"userLabels\":{\"B\":\"3\",\"a\":\"2\",\"z\":\"1\"}},"
	"\"annotations\":[{\"name\":\"created\",\"value\":\"2016-01-02T03:04:05.5+01:00\"}],"
	"\"dependencies\":[{\"imageName\":\"example.com/base\"}]}";

static const char full_pretty[] = "{\n"
				  "    \"acKind\": \"ImageManifest\",\n"
				  "    \"acVersion\": \"0.8.11+git\",\n"
				  "    \"name\": \"example.com/app\",\n"
				  "    \"labels\": [\n"
				  "        {\n"
				  "            \"name\": \"version\",\n"
				  "            \"value\": \"1.0.0\"\n"
				  "        },\n"
				  "        {\n"
				  "            \"name\": \"os\",\n"
				  "            \"value\": \"linux\"\n"
				  "        },\n"
				  "        {\n"
				  "            \"name\": \"arch\",\n"
				  "            \"value\": \"amd64\"\n"
				  "        }\n"
				  "    ],\n"
				  "    \"app\": {\n"
				  "        \"exec\": [\n"
				  "            \"/bin/sh\",\n"
				  "            \"-c\",\n"
				  "            \"echo \\u003c\\u0026\\u003e\"\n"
				  "        ],\n"
				  "        \"eventHandlers\": [\n"
				  "            {\n"
				  "                \"name\": \"pre-start\",\n"
				  "                \"exec\": [\n"
				  "                    \"/x\"\n"
				  "                ]\n"
				  "            }\n"
				  "        ],\n"
				  "        \"user\": \"0\",\n"
				  "        \"group\": \"0\",\n"
				  "        \"supplementaryGIDs\": [\n"
				  "            10,\n"
				  "            -1\n"
				  "        ],\n"
				  "        \"workingDirectory\": \"/srv\",\n"
				  "        \"environment\": [\n"
				  "            {\n"
				  "                \"name\": \"PATH\",\n"
				  "                \"value\": \"/bin\"\n"
				  "            }\n"
				  "        ],\n"
				  "        \"mountPoints\": [\n"
				  "            {\n"
				  "                \"name\": \"data\",\n"
				  "                \"path\": \"/data\",\n"
				  "                \"readOnly\": true\n"
				  "            },\n"
				  "            {\n"
				  "                \"name\": \"tmp\",\n"
				  "                \"path\": \"/tmp\"\n"
				  "            }\n"
				  "        ],\n"
				  "        \"ports\": [\n"
				  "            {\n"
				  "                \"name\": \"http\",\n"
				  "                \"protocol\": \"tcp\",\n"
				  "                \"port\": 80,\n"
				  "                \"count\": 1,\n"
				  "                \"socketActivated\": false\n"
				  "            }\n"
				  "        ],\n"
				  "        \"isolators\": [\n"
				  "            {\n"
				  "                \"name\": \"resource/memory\",\n"
				  "                \"value\": {\n"
				  "                    \"limit\": \"1G\",\n"
				  "                    \"default\": false\n"
				  "                }\n"
				  "            }\n"
				  "        ],\n"
				  "        \"userLabels\": {\n"
				  "            \"B\": \"3\",\n"
				  "            \"a\": \"2\",\n"
				  "            \"z\": \"1\"\n"
				  "        }\n"
				  "    },\n"
				  "    \"annotations\": [\n"
				  "        {\n"
				  "            \"name\": \"created\",\n"
				  "            \"value\": \"2016-01-02T03:04:05.5+01:00\"\n"
				  "        }\n"
				  "    ],\n"
				  "    \"dependencies\": [\n"
				  "        {\n"
				  "            \"imageName\": \"example.com/base\"\n"
				  "        }\n"
				  "    ]\n"
				  "}";

DEFINE_TEST(test_manifest_full_roundtrip)
{
	check_rt(full_in, full_compact);
	char *s = serialize_text(full_in, 4, __FILE__, __LINE__);
	if (s)
		check_str(s, full_pretty);
	free(s);
	/* the canonical text is a fixed point */
	check_rt(full_compact, full_compact);
	check_rt(full_pretty, full_compact);
}

DEFINE_TEST(test_manifest_zero_values_written)
{
	/* exec, user and group are always written; empty lists and maps are not */
	check_rt("{" MIN ",\"app\":{\"user\":\"u\",\"group\":\"g\",\"environment\":null,\"exec\":[]}}",
		 "{" MIN ",\"app\":{\"exec\":[],\"user\":\"u\",\"group\":\"g\"}}");
	check_rt("{" MIN ",\"app\":{\"user\":\"u\",\"group\":\"g\"}}",
		 "{" MIN ",\"app\":{\"exec\":null,\"user\":\"u\",\"group\":\"g\"}}");
	char *s = serialize_text("{" MIN ",\"app\":{\"user\":\"u\",\"group\":\"g\",\"exec\":[]}}", 4, __FILE__,
				 __LINE__);
	check_str(s, "{\n    \"acKind\": \"ImageManifest\",\n    \"acVersion\": \"0.8.11\",\n"
		     "    \"name\": \"example.com/x\",\n    \"app\": {\n        \"exec\": [],\n"
		     "        \"user\": \"u\",\n        \"group\": \"g\"\n    }\n}");
	free(s);
	/* null lists and objects are fine and omitted */
	check_rt("{" MIN ",\"labels\":null,\"app\":null,\"annotations\":null,\"dependencies\":null,"
		 "\"pathWhitelist\":null}",
		 "{" MIN "}");
	/* pathWhitelist is not validated */
	check_rt("{" MIN ",\"pathWhitelist\":[\"rel\",\"/abs\"]}", "{" MIN ",\"pathWhitelist\":[\"rel\",\"/abs\"]}");
	/* port count 0 becomes 1; socketActivated is always written */
	check_rt("{" MIN ",\"app\":{\"user\":\"0\",\"group\":\"0\",\"ports\":[{\"name\":\"p\",\"port\":8080,\"count\":0}]}}",
		 "{" MIN ",\"app\":{" APP_MIN ",\"ports\":[{\"name\":\"p\",\"protocol\":\"\",\"port\":8080,"
		 "\"count\":1,\"socketActivated\":false}]}}");
	/* dependency: zero size omitted, imageID kept */
	check_rt("{" MIN ",\"dependencies\":[{\"imageName\":\"a\",\"imageID\":\"sha512-aa\",\"size\":5}]}",
		 "{" MIN ",\"dependencies\":[{\"imageName\":\"a\",\"imageID\":\"sha512-aa\",\"size\":5}]}");
	/* acVersion as go-semver prints it */
	check_rt("{\"acKind\":\"ImageManifest\",\"acVersion\":\"00.08.011-rc.1+m\",\"name\":\"x\"}",
		 "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11-rc.1+m\",\"name\":\"x\"}");
}

DEFINE_TEST(test_manifest_case_insensitive_keys)
{
	check_rt("{\"ACKIND\":\"ImageManifest\",\"acversion\":\"0.8.11\",\"NAME\":\"example.com/x\","
		 "\"App\":{\"USER\":\"0\",\"Group\":\"0\",\"SUPPLEMENTARYGIDS\":[1]}}",
		 "{" MIN ",\"app\":{" APP_MIN ",\"supplementaryGIDs\":[1]}}");
	/* Go's special folds: U+212A (Kelvin) for k, U+017F (long s) for s */
	check_rt("{\"ac\\u212aind\":\"ImageManifest\",\"acVer\\u017fion\":\"0.8.11\",\"name\":\"example.com/x\"}",
		 "{" MIN "}");
	/* but not other non-ASCII look-alikes: the key is unknown, dropped */
	check_bad("{\"ac\\u212aind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"n\\u00e4me\":\"x\"}",
		  "name: name must be set");
}

DEFINE_TEST(test_manifest_duplicate_and_unknown_keys)
{
	check_bad("{" MIN ",\"name\":\"y\"}", "invalid JSON at line 1, column 76: duplicate object key near '\"name\"'");
	check_bad("{" MIN ",\"NAME\":\"y\"}", "NAME: duplicate key (same as \"name\")");
	check_bad("{" MIN ",\"app\":{\"user\":\"0\",\"group\":\"0\",\"User\":\"1\"}}",
		  "app.User: duplicate key (same as \"user\")");
	/* unknown keys are dropped at every level */
	check_rt("{" MIN ",\"x\":1,\"labels\":[{\"name\":\"a\",\"value\":\"b\",\"extra\":{}}]}",
		 "{" MIN ",\"labels\":[{\"name\":\"a\",\"value\":\"b\"}]}");
}

DEFINE_TEST(test_manifest_json_errors_and_size)
{
	check_bad("", "invalid JSON at line 1, column 0: unexpected token near end of file");
	check_bad("[]", "manifest: expected a JSON object");
	check_bad("{" MIN "} x", "invalid JSON at line 1, column 72: end of file expected near 'x'");
	check_bad("null", "acKind: missing or bad ACKind (must be \"ImageManifest\")");
	check_bad("{\"name\":5}", "name: expected a string");
	check_bad("{" MIN ",\"labels\":{}}", "labels: expected an array");
	check_bad("{" MIN ",\"labels\":[5]}", "labels[0]: expected an object");
	check_bad("{" MIN ",\"app\":{\"user\":\"0\",\"group\":\"0\",\"exec\":[1]}}", "app.exec[0]: expected a string");
	check_bad("{" MIN ",\"app\":{\"user\":\"0\",\"group\":\"0\",\"ports\":[{\"port\":-1}]}}",
		  "app.ports[0].port: expected a non-negative integer (got -1)");
	check_bad("{" MIN ",\"app\":{\"user\":\"0\",\"group\":\"0\",\"userLabels\":{\"a\":1}}}",
		  "app.userLabels[\"a\"]: expected a string");

	size_t n = AC_MANIFEST_MAX_SIZE + 1;
	char *big = xmalloc(n);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	ac_error *err = NULL;
	check(ac_manifest_parse(big, n, &err) == NULL);
	check_str(err ? err->msg : NULL, "manifest too large: 4194305 bytes (limit 4194304)");
	check_int(err ? err->code : 0, ==, EFBIG);
	ac_error_free(&err);
	/* exactly at the limit it is read */
	check_str(parse_msg(big, n - 1, ac_manifest_parse),
		  "invalid JSON at line 1, column 4194304: string or '}' expected near end of file");
	free(big);
}

/* ---- top level ---- */

DEFINE_TEST(test_manifest_top_level_rules)
{
	check_bad("{\"acVersion\":\"0.8.11\",\"name\":\"x\"}", "acKind: missing or bad ACKind (must be \"ImageManifest\")");
	check_bad("{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\",\"name\":\"x\"}",
		  "acKind: missing or bad ACKind (must be \"ImageManifest\")");
	check_bad("{\"acKind\":\"Foo\",\"acVersion\":\"0.8.11\",\"name\":\"x\"}", "acKind: bad ACKind: Foo");
	check_bad("{\"acKind\":\"\",\"acVersion\":\"0.8.11\",\"name\":\"x\"}", "acKind: ACKind must be set");
	check_bad("{\"acKind\":\"ImageManifest\",\"name\":\"x\"}", "acVersion: acVersion must be set");
	check_bad("{\"acKind\":\"ImageManifest\",\"acVersion\":\"1.0\",\"name\":\"x\"}", "acVersion: SemVer is bad");
	check_bad("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.0.0\",\"name\":\"x\"}", "acVersion: SemVer cannot be zero");
	check_good("{\"acKind\":\"ImageManifest\",\"acVersion\":\"2.0.0\",\"name\":\"x\"}");
	check_good("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.1.0\",\"name\":\"x\"}");
	check_bad("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\"}", "name: name must be set");
	check_bad("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"\"}", "name: ACIdentifier cannot be empty");
	check_bad("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"Example\"}",
		  "name: ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"");
	check_bad("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"/x\"}",
		  "name: ACIdentifier must start and end with only lower case alphanumeric characters");
	/* consecutive separators pass, as in the original */
	check_good("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a//b\"}");
}

DEFINE_TEST(test_manifest_identifier_helpers)
{
	const char *msg;
	check_int(ac_check_acname("a--b", &msg), ==, 0);
	check_int(ac_check_acname("a.b", &msg), ==, -1);
	check_str(msg, "ACName must contain only lower case alphanumeric characters plus \"-\"");
	check_int(ac_check_acname("a-", &msg), ==, -1);
	check_str(msg, "ACName must start and end with only lower case alphanumeric characters");
	check_int(ac_check_acname("", &msg), ==, -1);
	check_str(msg, "ACName cannot be empty");
	check_int(ac_check_hash("sha512-abc", &msg), ==, 0);
	check_int(ac_check_hash("sha512", &msg), ==, -1);
	check_str(msg, "badly formatted hash string");
	check_int(ac_check_hash("a-b-c", &msg), ==, -1);
	check_str(msg, "badly formatted hash string");
	check_int(ac_check_hash("-abc", &msg), ==, -1);
	check_str(msg, "unexpected empty hash type");
	check_int(ac_check_hash("sha256-abc", &msg), ==, -1);
	check_str(msg, "unrecognized hash type: sha256");
	check_int(ac_check_hash("sha512-", &msg), ==, -1);
	check_str(msg, "unexpected empty hash value");

	char *s = ac_sanitize_acidentifier("--Foo Bar/é--");
	check_str(s, "foo_bar"); /* "_" is a separator: "/_--" is stripped */
	free(s);
	check(ac_sanitize_acidentifier("..") == NULL);
	s = ac_sanitize_acname("My_App.v2-");
	check_str(s, "my-app-v2");
	free(s);

	ac_error *err = NULL;
	json_t *m = ac_manifest_new("example.com/new", &err);
	check(m != NULL);
	char *t = ac_manifest_serialize(m, 0, &err);
	check_str(t, "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/new\"}");
	free(t);
	json_decref(m);
	check(ac_manifest_new("Bad", &err) == NULL);
	check_str(err ? err->msg : NULL,
		  "name: ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"");
	ac_error_free(&err);
}

DEFINE_TEST(test_manifest_parse_kind)
{
	const char *kind = NULL;
	ac_error *err = NULL;
	const char *im = "{\"ACKIND\":\"ImageManifest\",\"foo\":1}";
	check_ok(ac_manifest_parse_kind(im, strlen(im), &kind, &err), err);
	check_str(kind, "ImageManifest");
	const char *pm = "{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\"}";
	check_ok(ac_manifest_parse_kind(pm, strlen(pm), &kind, &err), err);
	check_str(kind, "PodManifest");
	const char *bad = "{\"acKind\":\"Other\"}";
	check_err(ac_manifest_parse_kind(bad, strlen(bad), &kind, &err), err, "acKind: bad ACKind: Other");
	const char *none = "{}";
	check_err(ac_manifest_parse_kind(none, strlen(none), &kind, &err), err, "acKind: ACKind must be set");
	const char *ver = "{\"acKind\":\"PodManifest\",\"acVersion\":\"x\"}";
	check_err(ac_manifest_parse_kind(ver, strlen(ver), &kind, &err), err, "acVersion: SemVer is bad");
}

/* ---- labels, annotations, dependencies ---- */

DEFINE_TEST(test_manifest_labels)
{
	check_bad("{" MIN ",\"labels\":[{\"name\":\"name\",\"value\":\"x\"}]}", "labels[0].name: invalid label name: \"name\"");
	check_bad("{" MIN ",\"labels\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"a\"}]}",
		  "labels[2].name: duplicate labels of name \"a\"");
	check_bad("{" MIN ",\"labels\":[{\"name\":\"os\",\"value\":\"plan9\"}]}",
		  "labels[0].value: bad os \"plan9\" (must be one of: [darwin freebsd linux])");
	check_bad("{" MIN ",\"labels\":[{\"name\":\"arch\",\"value\":\"x86\"},{\"name\":\"os\",\"value\":\"linux\"}]}",
		  "labels[0].value: bad arch \"x86\" for linux (must be one of: [amd64 i386 aarch64 aarch64_be "
		  "armv6l armv7l armv7b ppc64 ppc64le s390x])");
	check_bad("{" MIN ",\"labels\":[{\"name\":\"os\",\"value\":\"darwin\"},{\"name\":\"arch\",\"value\":\"amd64\"}]}",
		  "labels[1].value: bad arch \"amd64\" for darwin (must be one of: [x86_64 i386])");
	check_good("{" MIN ",\"labels\":[{\"name\":\"os\",\"value\":\"freebsd\"},{\"name\":\"arch\",\"value\":\"arm\"}]}");
	check_good("{" MIN ",\"labels\":[{\"name\":\"arch\",\"value\":\"anything\"}]}");
	/* no name key: the validator never runs on decoding, but writing it
	 * out fails as ACIdentifier.MarshalJSON does */
	const char *noname = "{" MIN ",\"labels\":[{\"value\":\"x\"}]}";
	ac_error *err = NULL;
	json_t *m = ac_manifest_parse(noname, strlen(noname), &err);
	check(m != NULL);
	check(ac_manifest_serialize(m, 0, &err) == NULL);
	check_str(err ? err->msg : NULL, "labels[0].name: ACIdentifier cannot be empty");
	ac_error_free(&err);
	json_decref(m);
	check_bad("{" MIN ",\"labels\":[{\"name\":\"\",\"value\":\"x\"}]}", "labels[0].name: ACIdentifier cannot be empty");
	check_bad("{" MIN ",\"labels\":[{\"name\":\"A\"}]}",
		  "labels[0].name: ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"");
}

DEFINE_TEST(test_manifest_annotations)
{
	check_bad("{" MIN ",\"annotations\":[{\"name\":\"a\",\"value\":\"1\"},{\"name\":\"a\",\"value\":\"2\"}]}",
		  "annotations[1].name: duplicate annotations of name \"a\"");
	check_bad("{" MIN ",\"annotations\":[{\"name\":\"created\",\"value\":\"2016-01-02 03:04:05Z\"}]}",
		  "annotations[0].value: bad Date: parsing time \"2016-01-02 03:04:05Z\" as "
		  "\"2006-01-02T15:04:05Z07:00\": cannot parse \" 03:04:05Z\" as \"T\"");
	check_bad("{" MIN ",\"annotations\":[{\"name\":\"created\",\"value\":\"2016-02-30T00:00:00Z\"}]}",
		  "annotations[0].value: bad Date: parsing time \"2016-02-30T00:00:00Z\": day out of range");
	check_bad("{" MIN ",\"annotations\":[{\"name\":\"created\",\"value\":\"2016-01-02T03:04:05Zx\"}]}",
		  "annotations[0].value: bad Date: parsing time \"2016-01-02T03:04:05Zx\": extra text: \"x\"");
	check_good("{" MIN ",\"annotations\":[{\"name\":\"created\",\"value\":\"2016-02-29T23:59:59.123Z\"}]}");
	check_bad("{" MIN ",\"annotations\":[{\"name\":\"homepage\",\"value\":\"ftp://x\"}]}",
		  "annotations[0].value: bad URL scheme, must be http/https");
	check_bad("{" MIN ",\"annotations\":[{\"name\":\"documentation\",\"value\":\"http://x/%zz\"}]}",
		  "annotations[0].value: bad URL: parse \"http://x/%zz\": invalid URL escape \"%zz\"");
	check_good("{" MIN ",\"annotations\":[{\"name\":\"homepage\",\"value\":\"HTTPS://example.com\"},"
		   "{\"name\":\"documentation\",\"value\":\"http://example.com/doc\"},{\"name\":\"authors\",\"value\":\"?\"}]}");
	check_bad("{" MIN ",\"annotations\":[{\"name\":\"Bad\",\"value\":\"\"}]}",
		  "annotations[0].name: ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"");
}

DEFINE_TEST(test_manifest_dependencies)
{
	check_bad("{" MIN ",\"dependencies\":[{\"imageID\":\"sha512-aa\"}]}",
		  "dependencies[0].imageName: imageName cannot be empty");
	check_bad("{" MIN ",\"dependencies\":[{\"imageName\":\"\"}]}",
		  "dependencies[0].imageName: ACIdentifier cannot be empty");
	check_bad("{" MIN ",\"dependencies\":[{\"imageName\":\"a\",\"imageID\":\"sha256-aa\"}]}",
		  "dependencies[0].imageID: unrecognized hash type: sha256");
	check_bad("{" MIN ",\"dependencies\":[{\"imageName\":\"a\",\"labels\":[{\"name\":\"os\",\"value\":\"x\"}]}]}",
		  "dependencies[0].labels[0].value: bad os \"x\" (must be one of: [darwin freebsd linux])");
	check_bad("{" MIN ",\"dependencies\":[{\"imageName\":\"a\",\"size\":-5}]}",
		  "dependencies[0].size: expected a non-negative integer (got -5)");
}

/* ---- app ---- */

#define APP(x) "{" MIN ",\"app\":{\"user\":\"0\",\"group\":\"0\"," x "}}"

DEFINE_TEST(test_manifest_app_rules)
{
	check_bad("{" MIN ",\"app\":{\"group\":\"0\"}}", "app.user: user is required");
	check_bad("{" MIN ",\"app\":{\"user\":\"0\",\"group\":\"\"}}", "app.group: group is required");
	check_bad("{" MIN ",\"app\":{}}", "app.user: user is required");
	check_bad(APP("\"workingDirectory\":\"srv\""), "app.workingDirectory: workingDirectory must be an absolute path");
	check_good(APP("\"workingDirectory\":\"\",\"exec\":[]"));
	check_bad(APP("\"eventHandlers\":[{\"name\":\"boot\"}]"), "app.eventHandlers[0].name: bad eventHandler \"name\": \"boot\"");
	check_bad(APP("\"eventHandlers\":[{\"exec\":[\"/x\"]}]"), "app.eventHandlers[0].name: eventHandler \"name\" cannot be empty");
	check_bad(APP("\"eventHandlers\":[{\"name\":\"post-stop\"},{\"name\":\"post-stop\"}]"),
		  "app.eventHandlers[1].name: Only one eventHandler of name \"post-stop\" allowed");
	check_bad(APP("\"environment\":[{\"value\":\"x\"}]"), "app.environment[0].name: environment variable name must not be empty");
	check_bad(APP("\"environment\":[{\"name\":\"1A\"}]"),
		  "app.environment[0].name: environment variable does not have valid identifier \"1A\"");
	check_good(APP("\"environment\":[{\"name\":\"_a.b-c9\"}]"));
	check_bad(APP("\"environment\":[{\"name\":\"A\"},{\"name\":\"A\"}]"),
		  "app.environment[1].name: duplicate environment variable of name \"A\"");
	check_bad(APP("\"mountPoints\":[{\"name\":\"a.b\",\"path\":\"/x\"}]"),
		  "app.mountPoints[0].name: ACName must contain only lower case alphanumeric characters plus \"-\"");
	check_good(APP("\"mountPoints\":[{\"path\":\"/x\"},{\"name\":\"a\"},{\"name\":\"a\"}]"));
	check_bad(APP("\"ports\":[{\"name\":\"p\",\"protocol\":\"tcp\",\"port\":0}]"),
		  "app.ports[0].port: port must be in 1-65535 range (got 0)");
	check_bad(APP("\"ports\":[{\"port\":70000}]"), "app.ports[0].port: port must be in 1-65535 range (got 70000)");
	check_bad(APP("\"ports\":[{\"port\":65535,\"count\":2}]"),
		  "app.ports[0].count: end of port range must be in 1-65535 range (got port 65535 count 2)");
	check_good(APP("\"ports\":[{\"port\":65535,\"count\":1},{\"port\":65535}]"));
	check_bad(APP("\"ports\":[{\"name\":\"P\",\"port\":1}]"),
		  "app.ports[0].name: ACName must contain only lower case alphanumeric characters plus \"-\"");
}

/* ---- serialisation of edited trees ---- */

DEFINE_TEST(test_manifest_serialize_escaping)
{
	ac_error *err = NULL;
	json_t *m = ac_manifest_new("x", &err);
	/* invalid UTF-8 only through the tree: the parser refuses it */
	static const char raw[] = "a\xff\xc3(<\"\\\x01\x7f\b\f\n\r\t\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9";
	json_t *labels = json_pack("[{s:s, s:o}]", "name", "v", "value", json_stringn_nocheck(raw, sizeof(raw) - 1));
	json_object_set_new(m, "labels", labels);
	char *s = ac_manifest_serialize(m, 0, &err);
	check_str(s, "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"x\",\"labels\":[{\"name\":\"v\","
		     "\"value\":\"a\\ufffd\\ufffd(\\u003c\\\"\\\\\\u0001\x7f\\u0008\\u000c\\n\\r\\t\\u2028\\u2029\xc3\xa9\"}]}");
	free(s);
	/* keys added by a tool in any order are written in schema order */
	json_object_set_new(m, "app", json_pack("{s:s, s:s, s:[s]}", "group", "0", "user", "0", "exec", "/a"));
	json_object_del(m, "labels");
	json_object_set_new(m, "zzz", json_true());
	s = ac_manifest_serialize(m, 0, &err);
	check_str(s, "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"x\","
		     "\"app\":{\"exec\":[\"/a\"],\"user\":\"0\",\"group\":\"0\"}}");
	free(s);
	json_decref(m);
}

DEFINE_TEST(test_manifest_serialize_validates)
{
	ac_error *err = NULL;
	json_t *m = ac_manifest_new("x", &err);
	json_object_set_new(m, "app", json_pack("{s:s, s:s}", "user", "", "group", "0"));
	check(ac_manifest_serialize(m, 0, &err) == NULL);
	check_str(err ? err->msg : NULL, "app.user: user is required");
	ac_error_free(&err);
	json_object_set_new(m, "app", json_pack("{s:s, s:s, s:i}", "user", "0", "group", "0", "ports", 1));
	check(ac_manifest_serialize(m, 0, &err) == NULL);
	check_str(err ? err->msg : NULL, "app.ports: expected an array");
	ac_error_free(&err);
	json_object_del(m, "app");
	/* in marshal mode every typed field is checked, present or not */
	json_object_set_new(m, "labels", json_pack("[{s:s}]", "value", "x"));
	check(ac_manifest_serialize(m, 0, &err) == NULL);
	check_str(err ? err->msg : NULL, "labels[0].name: ACIdentifier cannot be empty");
	ac_error_free(&err);
	json_object_del(m, "labels");
	json_object_set_new(m, "name", json_string(""));
	check(ac_manifest_serialize(m, 0, &err) == NULL);
	check_str(err ? err->msg : NULL, "name: name must be set");
	ac_error_free(&err);
	json_decref(m);
}

/* ---- PodManifest ---- */

#define POD "\"acVersion\":\"0.8.11\",\"acKind\":\"PodManifest\""
#define IMG "\"image\":{\"id\":\"sha512-aa\"}"

DEFINE_TEST(test_pod_manifest_good)
{
	ac_error *err = NULL;
	const char *in =
		"{\"ackind\":\"PodManifest\",\"acVersion\":\"0.8.11\",\"apps\":[{\"name\":\"web\",\"image\":{\"name\":"
		"\"example.com/web\",\"id\":\"sha512-aa\",\"labels\":[{\"name\":\"os\",\"value\":\"linux\"}]},"
		"\"app\":{\"user\":\"0\",\"group\":\"0\",\"ports\":[{\"name\":\"http\",\"port\":80}]},"
		"\"readOnlyRootFS\":true,\"mounts\":[{\"volume\":\"data\",\"path\":\"/data\"}]}],"
		"\"volumes\":[{\"name\":\"data\",\"kind\":\"host\",\"source\":\"/srv\",\"readOnly\":false},"
		"{\"name\":\"scratch\",\"kind\":\"empty\",\"uid\":5}],"
		"\"isolators\":[{\"name\":\"vendor.com/unknown\",\"value\":{}}],"
		"\"ports\":[{\"name\":\"http\",\"hostPort\":8080,\"hostIP\":\"::1\"}],\"userLabels\":{\"a\":\"b\"}}";
	json_t *m = ac_pod_manifest_parse(in, strlen(in), &err);
	check_ok(m ? 0 : -1, err);
	if (!m)
		return;
	/* defaults: empty volume mode/uid/gid, port count; *bool false is kept */
	json_t *vols = json_object_get(m, "volumes");
	check_str(json_string_value(json_object_get(json_array_get(vols, 1), "mode")), "0755");
	check_int(json_integer_value(json_object_get(json_array_get(vols, 1), "uid")), ==, 5);
	check_int(json_integer_value(json_object_get(json_array_get(vols, 1), "gid")), ==, 0);
	check(json_is_false(json_object_get(json_array_get(vols, 0), "readOnly")));
	json_t *app = json_object_get(json_array_get(json_object_get(m, "apps"), 0), "app");
	check_int(json_integer_value(json_object_get(json_array_get(json_object_get(app, "ports"), 0), "count")), ==, 1);
	check_str(json_string_value(json_object_get(m, "acKind")), "PodManifest");
	json_decref(m);
	/* acVersion is not required by the pod's assertValid; null lists are fine */
	check_pod_good("{\"acKind\":\"PodManifest\",\"apps\":null,\"volumes\":null}");
	check_pod_good("{" POD ",\"apps\":[{\"name\":\"a\"},{\"name\":\"b\"}]}");
	check_pod_good("{" POD ",\"ports\":[{\"name\":\"p\",\"hostPort\":1,\"hostIP\":\"10.0.0.1\",\"podPort\":"
		       "{\"name\":\"p\",\"port\":80,\"protocol\":\"tcp\"}}]}");
	check_pod_good("{" POD ",\"apps\":[{\"name\":\"a\"," IMG ",\"mounts\":[{\"path\":\"\"}]}]}");
}

DEFINE_TEST(test_pod_manifest_bad)
{
	check_pod_bad("{\"acVersion\":\"0.8.11\"}", "acKind: missing or bad ACKind (must be \"PodManifest\")");
	check_pod_bad("{\"acKind\":\"ImageManifest\"}", "acKind: missing or bad ACKind (must be \"PodManifest\")");
	check_pod_bad("{\"acKind\":\"Pod\"}", "acKind: bad ACKind: Pod");
	check_pod_bad("{\"acKind\":\"PodManifest\",\"acVersion\":\"1\"}", "acVersion: SemVer is bad");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "apps[1].name: duplicate apps of name \"a\"");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"A\"}]}",
		      "apps[0].name: ACName must contain only lower case alphanumeric characters plus \"-\"");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"image\":{\"id\":\"sha256-aa\"}}]}",
		      "apps[0].image.id: unrecognized hash type: sha256");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"image\":{\"id\":\"\"}}]}",
		      "apps[0].image.id: badly formatted hash string");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"image\":{\"name\":\"\",\"id\":\"sha512-a\"}}]}",
		      "apps[0].image.name: ACIdentifier cannot be empty");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"image\":{\"labels\":[{\"name\":\"name\"}]}}]}",
		      "apps[0].image.labels[0].name: invalid label name: \"name\"");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"app\":{\"user\":\"0\"}}]}", "apps[0].app.group: group is required");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"app\":{\"user\":\"0\",\"group\":\"0\",\"isolators\":"
		      "[{\"name\":\"x/y\",\"value\":1}]}}]}",
		      "apps[0].app.isolators[0]: invalid isolator");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"mounts\":[{\"volume\":\"V\"}]}]}",
		      "apps[0].mounts[0].volume: ACName must contain only lower case alphanumeric characters plus \"-\"");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"mounts\":[{\"volume\":\"v\",\"appVolume\":{\"name\":\"v\","
		      "\"kind\":\"host\"}}]}]}",
		      "apps[0].mounts[0].appVolume.source: source for host volume cannot be empty");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"annotations\":[{\"name\":\"x\"},{\"name\":\"x\"}]}]}",
		      "apps[0].annotations[1].name: duplicate annotations of name \"x\"");
	check_pod_bad("{" POD ",\"apps\":[{\"name\":\"a\",\"readOnlyRootFS\":1}]}", "apps[0].readOnlyRootFS: expected a boolean");

	/* volumes */
	check_pod_bad("{" POD ",\"volumes\":[{\"kind\":\"empty\"}]}", "volumes[0].name: name must be set");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"\",\"kind\":\"empty\"}]}", "volumes[0].name: ACName cannot be empty");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"tmpfs\"}]}",
		      "volumes[0].kind: unrecognized volume kind: should be one of \"empty\", \"host\"");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"empty\",\"source\":\"/x\"}]}",
		      "volumes[0].source: source for empty volume must be empty");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"host\",\"source\":\"x\"}]}",
		      "volumes[0].source: source for host volume must be absolute path");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"host\",\"source\":\"/x\",\"mode\":\"0700\"}]}",
		      "volumes[0].mode: mode for host volume cannot be set");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"host\",\"source\":\"/x\",\"uid\":0}]}",
		      "volumes[0].uid: uid for host volume cannot be set");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"host\",\"source\":\"/x\",\"gid\":0}]}",
		      "volumes[0].gid: gid for host volume cannot be set");
	check_pod_good("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"host\",\"source\":\"/x\",\"uid\":null,"
		       "\"recursive\":true}]}");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"empty\",\"uid\":\"0\"}]}",
		      "volumes[0].uid: expected an integer");
	check_pod_bad("{" POD ",\"volumes\":[{\"name\":\"v\",\"kind\":\"empty\"},{\"name\":\"v\",\"kind\":\"empty\"}]}",
		      "volumes[1].name: duplicate volume name \"v\"");

	/* pod-level isolators: values checked, set rules not */
	check_pod_bad("{" POD ",\"isolators\":[{\"name\":\"resource/cpu\",\"value\":{\"default\":true}}]}",
		      "isolators[0].value: default must be false");
	check_pod_good("{" POD ",\"isolators\":[{\"name\":\"os/linux/oom-score-adj\",\"value\":1},"
		       "{\"name\":\"os/linux/oom-score-adj\",\"value\":2}]}");

	/* annotations, ports */
	check_pod_bad("{" POD ",\"annotations\":[{\"name\":\"homepage\",\"value\":\"x\"}]}",
		      "annotations[0].value: bad URL scheme, must be http/https");
	check_pod_bad("{" POD ",\"ports\":[{\"name\":\"p\",\"hostIP\":\"1.2.3\"}]}", "ports[0].hostIP: invalid IP address: 1.2.3");
	check_pod_bad("{" POD ",\"ports\":[{\"name\":\"p\",\"podPort\":{\"port\":0}}]}",
		      "ports[0].podPort.port: port must be in 1-65535 range (got 0)");
	check_pod_bad("{" POD ",\"ports\":[{\"name\":\"p_\"}]}",
		      "ports[0].name: ACName must contain only lower case alphanumeric characters plus \"-\"");
	check_pod_bad("{" POD ",\"userAnnotations\":[]}", "userAnnotations: expected an object");
	check_pod_bad("{" POD ",\"APPS\":[],\"apps\":[]}", "apps: duplicate key (same as \"APPS\")");
}

DEFINE_TEST(test_manifest_app_helper)
{
	ac_error *err = NULL;
	json_t *m = ac_manifest_new("x", &err);
	json_t *app = ac_manifest_app(m);
	check(app != NULL && app == ac_manifest_app(m));
	json_object_set_new(app, "workingDirectory", json_string("/w"));
	char *s = ac_manifest_serialize(m, 0, &err);
	check_str(s, "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"x\","
		     "\"app\":{\"exec\":null,\"user\":\"0\",\"group\":\"0\",\"workingDirectory\":\"/w\"}}");
	free(s);
	json_decref(m);
}
