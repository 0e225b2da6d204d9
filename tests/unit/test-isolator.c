/* Isolators of appc/spec v0.8.11: each type's value rules with the original
 * messages, the set rules (multiples, conflicts, unknown names), quantities
 * and how values are written back. */
#include "test.h"

#include "ac/manifest.h"
#include "../../common/manifest-internal.h"

#define HEAD "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"x\",\"app\":{\"user\":\"0\",\"group\":\"0\",\"isolators\":["
#define TAIL "]}}"
#define ISO(name, value) "{\"name\":\"" name "\",\"value\":" value "}"

static char *iso_msg(const char *isolators)
{
	static char buf[1024];
	_cleanup_free_ char *in = xasprintf(HEAD "%s" TAIL, isolators);
	ac_error *err = NULL;
	json_t *m = ac_manifest_parse(in, strlen(in), &err);
	if (m) {
		json_decref(m);
		return strcpy(buf, "(accepted)");
	}
	snprintf(buf, sizeof(buf), "%s", err->msg);
	ac_error_free(&err);
	return buf;
}
#define check_iso_good(list) check_str(iso_msg(list), "(accepted)")
#define check_iso_bad(list, msg) check_str(iso_msg(list), msg)

DEFINE_TEST(test_isolator_resources)
{
	check_iso_good(ISO("resource/cpu", "{\"request\":\"250m\",\"limit\":\"1\"}"));
	check_iso_good(ISO("resource/cpu", "{\"limit\":2}") "," ISO("resource/cpu", "{\"limit\":1.5,\"request\":null}"));
	check_iso_good(ISO("resource/memory", "{\"LIMIT\":\"1Gi\",\"default\":false}"));
	check_iso_bad(ISO("resource/cpu", "{\"default\":true}"), "app.isolators[0].value: default must be false");
	check_iso_bad(ISO("resource/memory", "{\"default\":true,\"limit\":\"1G\"}"),
		      "app.isolators[0].value: default must be false");
	check_iso_bad(ISO("resource/memory", "{\"limit\":\"1 G\"}"),
		      "app.isolators[0].value.limit: quantities must match the regular expression "
		      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
	check_iso_bad(ISO("resource/cpu", "{\"request\":\"1x\"}"),
		      "app.isolators[0].value.request: quantities must match the regular expression "
		      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
	check_iso_bad(ISO("resource/cpu", "{\"limit\":\"1Ki\"}") "," ISO("resource/cpu", "{\"limit\":\"1ki\"}"),
		      "app.isolators[1].value.limit: unable to parse quantity's suffix");
	check_iso_bad(ISO("resource/cpu", "{\"limit\":true}"),
		      "app.isolators[0].value.limit: quantities must match the regular expression "
		      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
	check_iso_bad(ISO("resource/cpu", "{\"default\":\"no\"}"), "app.isolators[0].value.default: expected a boolean");
	check_iso_bad(ISO("resource/cpu", "[]"), "app.isolators[0].value: expected an object");
	/* the value-less panic of the original becomes an error */
	check_iso_bad("{\"name\":\"resource/cpu\"}", "app.isolators[0].value: value must be set for isolator \"resource/cpu\"");
	check_iso_bad(ISO("resource/cpu", "null"), "app.isolators[0].value: value must be set for isolator \"resource/cpu\"");

	/* block and network resources need default true and no request */
	check_iso_good(ISO("resource/block-bandwidth", "{\"default\":true,\"limit\":\"10M\"}"));
	check_iso_good(ISO("resource/block-iops", "{\"default\":true,\"request\":null}"));
	check_iso_bad(ISO("resource/block-iops", "{\"limit\":\"10\"}"), "app.isolators[0].value: default must be true");
	check_iso_bad(ISO("resource/network-bandwidth", "{\"default\":true,\"request\":\"1\"}"),
		      "app.isolators[0].value: request not supported by this resource, must be empty");
}

DEFINE_TEST(test_isolator_quantity_syntax)
{
	static const char *const good[] = {
		"0", "1", "100m", "1.5", ".5", "1.", ".", "+", "-1", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei", "1n", "1u",
		"1k", "1M", "1G", "1T", "1P", "1E", "1e3", "1E-3", "1e+3", "Ti", " 5 ", "123456789012345678901234",
		"1.0000000001n",
	};
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
		{ "1.2.3", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
		{ "abc", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" },
		{ "1m5", "unable to parse quantity's suffix" },
		{ "1K", "unable to parse quantity's suffix" },
		{ "1e", "unable to parse quantity's suffix" },
		{ "1ee3", "unable to parse quantity's suffix" },
		{ "1i", "unable to parse quantity's suffix" },
		{ "Ei", "unable to parse numeric part of quantity" },
		{ "-Pi", "unable to parse numeric part of quantity" },
		{ ".e-20", "unable to parse numeric part of quantity" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		json_t *v = json_string(good[i]);
		const char *msg = mf_check_quantity(v);
		if (msg)
			test_fail(__FILE__, __LINE__, "quantity \"%s\": %s", good[i], msg);
		json_decref(v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *v = json_string(bad[i].in);
		check_str(mf_check_quantity(v), bad[i].msg);
		json_decref(v);
	}
	json_t *v = json_integer(-3);
	check(mf_check_quantity(v) == NULL);
	json_decref(v);
	v = json_object();
	check(mf_check_quantity(v) != NULL);
	json_decref(v);
}

DEFINE_TEST(test_isolator_linux)
{
	/* capabilities: non-empty set, names not checked, multiples allowed */
	check_iso_good(ISO("os/linux/capabilities-retain-set", "{\"set\":[\"CAP_NET_BIND_SERVICE\"]}") ","
		       ISO("os/linux/capabilities-retain-set", "{\"set\":[\"anything\"]}") ","
		       ISO("os/linux/capabilities-remove-set", "{\"set\":[\"CAP_SYS_ADMIN\"]}"));
	check_iso_bad(ISO("os/linux/capabilities-retain-set", "{\"set\":[]}"), "app.isolators[0].value: set must be non-empty");
	check_iso_bad(ISO("os/linux/capabilities-remove-set", "{}"), "app.isolators[0].value: set must be non-empty");
	check_iso_bad(ISO("os/linux/capabilities-remove-set", "{\"set\":[1]}"), "app.isolators[0].value.set[0]: expected a string");
	check_iso_bad(ISO("os/linux/capabilities-remove-set", "{\"set\":\"CAP_X\"}"), "app.isolators[0].value.set: expected an array");

	/* seccomp: errno rules, no multiples, the two sets conflict */
	check_iso_good(ISO("os/linux/seccomp-remove-set", "{\"set\":[\"@appc.io/all\"],\"errno\":\"EPERM\"}"));
	check_iso_good(ISO("os/linux/seccomp-retain-set", "{\"set\":[\"read\"],\"errno\":\"\"}"));
	check_iso_good(ISO("os/linux/seccomp-retain-set", "{\"set\":[\"read\"],\"errno\":\"E2BIG\"}"));
	check_iso_bad(ISO("os/linux/seccomp-retain-set", "{\"set\":[]}"), "app.isolators[0].value: set must be non-empty");
	check_iso_bad(ISO("os/linux/seccomp-retain-set", "{\"set\":[\"read\"],\"errno\":\"PERM\"}"),
		      "app.isolators[0].value: errno must start with an 'E' character, got PERM");
	check_iso_bad(ISO("os/linux/seccomp-remove-set", "{\"set\":[\"read\"],\"errno\":\"Eperm\"}"),
		      "app.isolators[0].value: errno can only contain upper case or numeric characters, got Eperm");
	check_iso_bad(ISO("os/linux/seccomp-remove-set", "{\"set\":[\"read\"]}") ","
		      ISO("os/linux/seccomp-remove-set", "{\"set\":[\"write\"]}"),
		      "app.isolators[1]: isolators set contains too many instances of type os/linux/seccomp-remove-set\"");
	check_iso_bad(ISO("os/linux/seccomp-remove-set", "{\"set\":[\"read\"]}") ","
		      ISO("os/linux/seccomp-retain-set", "{\"set\":[\"write\"]}"),
		      "app.isolators[1]: isolators set contains incompatible types");

	/* no-new-privileges: a boolean, multiples allowed */
	check_iso_good(ISO("os/linux/no-new-privileges", "true") "," ISO("os/linux/no-new-privileges", "false"));
	check_iso_bad(ISO("os/linux/no-new-privileges", "\"yes\""), "app.isolators[0].value: expected a boolean");

	/* oom-score-adj and cpu-shares: integer ranges, single instance */
	check_iso_good(ISO("os/linux/oom-score-adj", "-1000"));
	check_iso_good(ISO("os/linux/oom-score-adj", "1000"));
	check_iso_bad(ISO("os/linux/oom-score-adj", "1001"),
		      "app.isolators[0].value: os/linux/oom-score-adj must be between -1000 and 1000, got 1001");
	check_iso_bad(ISO("os/linux/oom-score-adj", "1.5"), "app.isolators[0].value: expected an integer");
	check_iso_bad(ISO("os/linux/oom-score-adj", "1") "," ISO("os/linux/oom-score-adj", "2"),
		      "app.isolators[1]: isolators set contains too many instances of type os/linux/oom-score-adj\"");
	check_iso_good(ISO("os/linux/cpu-shares", "2"));
	check_iso_good(ISO("os/linux/cpu-shares", "262144"));
	check_iso_bad(ISO("os/linux/cpu-shares", "1"),
		      "app.isolators[0].value: os/linux/cpu-shares must be between 2 and 262144, got 1");
	check_iso_bad(ISO("os/linux/cpu-shares", "262145"),
		      "app.isolators[0].value: os/linux/cpu-shares must be between 2 and 262144, got 262145");

	/* selinux-context */
	check_iso_good(ISO("os/linux/selinux-context",
			   "{\"user\":\"system_u\",\"role\":\"system_r\",\"type\":\"svirt_t\",\"level\":\"s0:c1,c2\"}"));
	check_iso_bad(ISO("os/linux/selinux-context", "{\"role\":\"r\",\"type\":\"t\",\"level\":\"s0\"}"),
		      "app.isolators[0].value: invalid user value \"\"");
	check_iso_bad(ISO("os/linux/selinux-context", "{\"user\":\"u\",\"role\":\"a:b\",\"type\":\"t\",\"level\":\"s0\"}"),
		      "app.isolators[0].value: invalid role value \"a:b\"");
	check_iso_bad(ISO("os/linux/selinux-context", "{\"user\":\"u\",\"role\":\"r\",\"type\":\"\",\"level\":\"s0\"}"),
		      "app.isolators[0].value: invalid type value \"\"");
	check_iso_bad(ISO("os/linux/selinux-context", "{\"user\":\"u\",\"role\":\"r\",\"type\":\"t\"}"),
		      "app.isolators[0].value: invalid level value \"\"");
	check_iso_bad(ISO("os/linux/selinux-context", "{\"user\":\"u\",\"role\":\"r\",\"type\":\"t\",\"level\":\"s\"}") ","
		      ISO("os/linux/selinux-context", "{\"user\":\"u\",\"role\":\"r\",\"type\":\"t\",\"level\":\"s\"}"),
		      "app.isolators[1]: isolators set contains too many instances of type os/linux/selinux-context\"");
}

DEFINE_TEST(test_isolator_unix_and_unknown)
{
	check_iso_good(ISO("os/unix/sysctl", "{\"net.ipv4.ip_forward\":\"1\"}"));
	check_iso_good(ISO("os/unix/sysctl", "{}"));
	check_iso_bad(ISO("os/unix/sysctl", "{\"a\":1}"), "app.isolators[0].value[\"a\"]: expected a string");
	check_iso_bad(ISO("os/unix/sysctl", "{}") "," ISO("os/unix/sysctl", "{}"),
		      "app.isolators[1]: isolators set contains too many instances of type os/unix/sysctl\"");
	/* names v0.8.11 does not know make the manifest invalid */
	check_iso_bad(ISO("os/linux/apparmor-profile", "{\"profile\":\"x\"}"), "app.isolators[0]: invalid isolator");
	check_iso_bad("{\"value\":1}", "app.isolators[0]: invalid isolator");
	check_iso_bad(ISO("Resource/CPU", "{}"),
		      "app.isolators[0].name: ACIdentifier must contain only lower case alphanumeric characters plus \"-._~/\"");
	check(mf_isolator_lookup("resource/cpu") != NULL);
	check(mf_isolator_lookup("os/linux/apparmor-profile") == NULL);
}

DEFINE_TEST(test_isolator_value_written_back)
{
	/* Go keeps the raw value and only compacts it: key order and unknown
	 * keys stay, HTML characters are escaped */
	const char *in = HEAD ISO("resource/cpu", " { \"limit\" : \"1\" , \"x\" : [ 1 , 2.5 , \"<\" ] , \"default\" : false } ") TAIL;
	ac_error *err = NULL;
	json_t *m = ac_manifest_parse(in, strlen(in), &err);
	check_ok(m ? 0 : -1, err);
	if (!m)
		return;
	char *s = ac_manifest_serialize(m, 0, &err);
	check_str(s, "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"x\",\"app\":{\"exec\":null,"
		     "\"user\":\"0\",\"group\":\"0\",\"isolators\":[{\"name\":\"resource/cpu\",\"value\":{\"limit\":\"1\","
		     "\"x\":[1,2.5,\"\\u003c\"],\"default\":false}}]}}");
	free(s);
	s = ac_manifest_serialize(m, 4, &err);
	check_contains(s, "            {\n                \"name\": \"resource/cpu\",\n                \"value\": {\n"
			  "                    \"limit\": \"1\",\n                    \"x\": [\n                        1,\n"
			  "                        2.5,\n                        \"\\u003c\"\n                    ],\n");
	free(s);
	/* an edit that breaks a value is caught when writing */
	json_t *iso = json_array_get(json_object_get(json_object_get(m, "app"), "isolators"), 0);
	json_object_set_new(json_object_get(iso, "value"), "default", json_true());
	check(ac_manifest_serialize(m, 0, &err) == NULL);
	check_str(err ? err->msg : NULL, "app.isolators[0].value: default must be false");
	ac_error_free(&err);
	json_decref(m);
}
