/* What a registry (or the user's docker config) hands us as text: the
 * WWW-Authenticate challenges, base64 credentials, Retry-After, platform
 * strings and config.json credential lookups. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include "ac/registry.h"
#include "ac/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	ac_error *err = NULL;

	struct ac_auth_challenge *c = NULL;
	int n = ac_auth_challenges_parse(s, &c, &err);
	if (n < 0) {
		ac_error_free(&err);
	} else {
		for (int i = 0; i < n; i++) {
			if (!c[i].scheme)
				fuzz_fail("challenge %d without a scheme", i);
			for (size_t k = 0; k < c[i].n; k++)
				if (!c[i].keys[k] || !c[i].values[k] || ac_auth_challenge_param(&c[i], c[i].keys[k]) == NULL)
					fuzz_fail("challenge %d: parameter %zu unusable", i, k);
			(void)ac_auth_challenge_param(&c[i], "realm");
		}
		ac_auth_challenges_free(c, n);
	}

	size_t len;
	char *dec = ac_base64_decode(s, &len);
	if (dec) {
		char *enc = ac_base64_encode(dec, len);
		size_t len2;
		char *dec2 = ac_base64_decode(enc, &len2);
		if (!dec2 || len2 != len || memcmp(dec, dec2, len))
			fuzz_fail("base64 round trip changed the data");
		free(enc);
		free(dec2);
		free(dec);
	}

	(void)ac_registry_retry_after(s, 1500000000);

	char *os = NULL, *arch = NULL, *variant = NULL;
	if (ac_registry_parse_platform(s, &os, &arch, &variant, &err) < 0)
		ac_error_free(&err);
	free(os);
	free(arch);
	free(variant);

	static const char *const hosts[] = { "registry-1.docker.io", "quay.io", "localhost:5000" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char *user = NULL, *pass = NULL, *helper = NULL;
		if (ac_registry_config_lookup(s, hosts[i], &user, &pass, &helper, &err) < 0)
			ac_error_free(&err);
		free(user);
		free(pass);
		free(helper);
	}
	free(s);
	return 0;
}
