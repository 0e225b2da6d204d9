/* actool discover: appc meta discovery, with the original's output. */
#include "actool.h"

#include "ac/buf.h"
#include "ac/discovery.h"

static int json_out, insecure, port;

static const struct ac_opt opts[] = {
	{ "insecure", AC_OPT_BOOL, &insecure, "Don't check TLS certificates and allow insecure non-TLS downloads over http", NULL },
	{ "json", AC_OPT_BOOL, &json_out, "Output result as JSON", NULL },
	{ "port", AC_OPT_INT, &port, "Port to connect to when performing discovery", NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static void print_attempts(const char *what, const struct ac_discovery *d)
{
	for (size_t i = 0; i < d->nattempts; i++)
		printf("discover %s walk: prefix: %s error: %s\n", what, d->attempts[i].prefix, d->attempts[i].error);
}

/* json.MarshalIndent of {ACIEndpoints, PublicKeys} with 4 spaces. */
static void print_json(const struct ac_discovery *eps, const struct ac_discovery *keys)
{
	ac_buf b = AC_BUF_INIT;
	ac_buf_addstr(&b, "{\n    \"ACIEndpoints\": ");
	if (!eps->nendpoints)
		ac_buf_addstr(&b, "null");
	else {
		ac_buf_addstr(&b, "[\n");
		for (size_t i = 0; i < eps->nendpoints; i++) {
			ac_buf_addstr(&b, "        {\n            \"ACI\": ");
			ac_json_quote(&b, eps->endpoints[i].aci);
			ac_buf_addstr(&b, ",\n            \"ASC\": ");
			ac_json_quote(&b, eps->endpoints[i].asc);
			ac_buf_addstr(&b, i + 1 < eps->nendpoints ? "\n        },\n" : "\n        }\n");
		}
		ac_buf_addstr(&b, "    ]");
	}
	ac_buf_addstr(&b, ",\n    \"PublicKeys\": ");
	if (!keys->nkeys)
		ac_buf_addstr(&b, "null");
	else {
		ac_buf_addstr(&b, "[\n");
		for (size_t i = 0; i < keys->nkeys; i++) {
			ac_buf_addstr(&b, "        ");
			ac_json_quote(&b, keys->keys[i]);
			ac_buf_addstr(&b, i + 1 < keys->nkeys ? ",\n" : "\n");
		}
		ac_buf_addstr(&b, "    ]");
	}
	ac_buf_addstr(&b, "\n}");
	printf("%s\n", b.buf);
	ac_buf_release(&b);
}

static int run_discover(int argc, char **argv)
{
	if (argc < 1) {
		/* the original printed this and exited 0 */
		actool_err("discover: at least one name required");
		return 2;
	}
	if (port < 0 || port > 65535) {
		actool_err("discover: --port must be in 0..65535");
		return 2;
	}
	struct ac_discovery_opts o = { .port = (unsigned)port, .insecure = insecure };
	for (int i = 0; i < argc; i++) {
		ac_error *err = NULL;
		struct ac_app app;
		struct ac_discovery eps, keys;
		if (ac_app_parse(argv[i], &app, &err) < 0) {
			actool_err("%s: %s", argv[i], err->msg);
			ac_error_free(&err);
			return 1;
		}
		ac_app_default_os_arch(&app);
		if (ac_discover(&app, AC_DISCOVER_ENDPOINTS, &o, &eps, &err) < 0) {
			actool_err("error fetching endpoints for %s: %s", argv[i], err->msg);
			for (size_t k = 0; k < eps.nattempts; k++)
				actool_err("  %s: %s", eps.attempts[k].prefix, eps.attempts[k].error);
			ac_error_free(&err);
			ac_discovery_free(&eps);
			ac_app_free(&app);
			return 1;
		}
		print_attempts("endpoints", &eps);
		if (ac_discover(&app, AC_DISCOVER_KEYS, &o, &keys, &err) < 0) {
			actool_err("error fetching public keys for %s: %s", argv[i], err->msg);
			for (size_t k = 0; k < keys.nattempts; k++)
				actool_err("  %s: %s", keys.attempts[k].prefix, keys.attempts[k].error);
			ac_error_free(&err);
			ac_discovery_free(&eps);
			ac_discovery_free(&keys);
			ac_app_free(&app);
			return 1;
		}
		print_attempts("public keys", &keys);
		if (json_out) {
			print_json(&eps, &keys);
		} else {
			for (size_t k = 0; k < eps.nendpoints; k++)
				printf("ACI: %s, ASC: %s\n", eps.endpoints[k].aci, eps.endpoints[k].asc);
			if (keys.nkeys) {
				printf("PublicKeys: ");
				for (size_t k = 0; k < keys.nkeys; k++)
					printf("%s%s", k ? "," : "", keys.keys[k]);
				putchar('\n');
			}
		}
		ac_discovery_free(&eps);
		ac_discovery_free(&keys);
		ac_app_free(&app);
	}
	return 0;
}

const struct actool_cmd cmd_discover = {
	.name = "discover",
	.summary = "Discover the download URLs for one or more app container images",
	.usage = "[--json] [--port] [--insecure] APP...",
	.description = "Discover the download URLs for an app.\n"
		       "Credentials for hosts that need them are read from rkt-style files in\n"
		       "/usr/lib/acrun/auth.d, /etc/acrun/auth.d and $XDG_CONFIG_HOME/acrun/auth.d\n"
		       "({\"rktKind\":\"auth\",\"rktVersion\":\"v1\",\"domains\":[HOST...],\"type\":\"basic\"\n"
		       "with \"credentials\":{\"user\":U,\"password\":P}, or \"oauth\" with {\"token\":T})\n"
		       "and sent only over HTTPS, only to the hosts listed.",
	.opts = opts,
	.run = run_discover,
};
