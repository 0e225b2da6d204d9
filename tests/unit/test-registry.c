/* Registry pieces: WWW-Authenticate parsing, docker config lookup,
 * Retry-After, platforms, base64. */
#include "test.h"
#include <ac/registry.h>

DEFINE_TEST(test_registry_challenge_bearer_any_order)
{
	struct ac_auth_challenge *c = NULL;
	ac_error *err = NULL;
	int n = ac_auth_challenges_parse(
		"Bearer scope=\"repository:a/b:pull,push\", service=\"reg\" ,realm=\"https://t/token?x=1,2\",error=insufficient_scope",
		&c, &err);
	check_int(n, ==, 1);
	check_str(c[0].scheme, "bearer");
	check_str(ac_auth_challenge_param(&c[0], "realm"), "https://t/token?x=1,2");
	check_str(ac_auth_challenge_param(&c[0], "service"), "reg");
	check_str(ac_auth_challenge_param(&c[0], "scope"), "repository:a/b:pull,push");
	check_str(ac_auth_challenge_param(&c[0], "error"), "insufficient_scope");
	ac_auth_challenges_free(c, (size_t)n);
}

DEFINE_TEST(test_registry_challenge_several)
{
	struct ac_auth_challenge *c = NULL;
	ac_error *err = NULL;
	int n = ac_auth_challenges_parse("Basic realm=\"a \\\"q\\\", b\", BEARER realm=x,service=y, Negotiate abc==",
					 &c, &err);
	check_int(n, ==, 3);
	check_str(c[0].scheme, "basic");
	check_str(ac_auth_challenge_param(&c[0], "realm"), "a \"q\", b");
	check_str(c[1].scheme, "bearer");
	check_str(ac_auth_challenge_param(&c[1], "realm"), "x");
	check_str(ac_auth_challenge_param(&c[1], "service"), "y");
	check_str(c[2].scheme, "negotiate");
	check_str(ac_auth_challenge_param(&c[2], ""), "abc==");
	ac_auth_challenges_free(c, (size_t)n);
	n = ac_auth_challenges_parse("Bearer realm=\"unterminated", &c, &err);
	check_err(n, err, "invalid WWW-Authenticate");
}

DEFINE_TEST(test_registry_config_lookup)
{
	char *u, *p, *h;
	ac_error *err = NULL;
	/* "user:pa:ss" */
	const char *cfg = "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
			  "\"r.example:5000\":{\"username\":\"a\",\"password\":\"b\"}},"
			  "\"credHelpers\":{\"gcr.io\":\"gcloud\"},\"credsStore\":\"desktop\"}";
	check_int(ac_registry_config_lookup(cfg, "registry-1.docker.io", &u, &p, &h, &err), ==, 1);
	check_str(u, "user");
	check_str(p, "pa:ss");
	free(u);
	free(p);
	check_int(ac_registry_config_lookup(cfg, "r.example:5000", &u, &p, &h, &err), ==, 1);
	check_str(u, "a");
	check_str(p, "b");
	free(u);
	free(p);
	check_int(ac_registry_config_lookup(cfg, "gcr.io", &u, &p, &h, &err), ==, 0);
	check_str(h, "gcloud");
	free(h);
	check_int(ac_registry_config_lookup(cfg, "other.io", &u, &p, &h, &err), ==, 0);
	check_str(h, "desktop");
	free(h);
	/* old ~/.dockercfg */
	check_int(ac_registry_config_lookup("{\"q.io\":{\"auth\":\"eDp5\"}}", "q.io", &u, &p, &h, &err), ==, 1);
	check_str(u, "x");
	check_str(p, "y");
	free(u);
	free(p);
	check_err(ac_registry_config_lookup("[", "q.io", &u, &p, &h, &err), err, "auth configuration");
}

DEFINE_TEST(test_registry_retry_after_platform_base64)
{
	check_int(ac_registry_retry_after("3", 0), ==, 3);
	check_int(ac_registry_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", 4), ==, 6);
	check_int(ac_registry_retry_after("soon", 0), ==, -1);
	char *os, *arch, *var;
	ac_error *err = NULL;
	check_ok(ac_registry_parse_platform("linux/arm/v7", &os, &arch, &var, &err), err);
	check_str(os, "linux");
	check_str(arch, "arm");
	check_str(var, "v7");
	free(os);
	free(arch);
	free(var);
	check_err(ac_registry_parse_platform("linux", &os, &arch, &var, &err), err, "invalid platform");
	char *e = ac_base64_encode("user:pass", 9);
	check_str(e, "dXNlcjpwYXNz");
	size_t n;
	char *d = ac_base64_decode(e, &n);
	check_str(d, "user:pass");
	free(e);
	free(d);
}
