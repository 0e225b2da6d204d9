/* docker:// input: pulling an image from a registry (HTTP API v2) and
 * converting it (docker.h).
 *
 * HTTPS, falling back to plain HTTP only when allowed; manifests Docker
 * schema1 (signed or not), schema2, OCI, and manifest lists / OCI indexes
 * (the host's platform or a chosen one); a manifest asked for by digest is
 * checked against it.  Auth: anonymous, Basic, Bearer tokens (cached per
 * scope, fetched again on a 401), credentials from explicit options, an
 * auth file, $HOME/.docker/config.json (auths, credHelpers, credsStore) or
 * $HOME/.dockercfg.  Credentials go only to the registry's host and to a
 * token realm over HTTPS (http.h's policy).  Blobs stream to temporary
 * files, checked against digest and size as they arrive, several at once,
 * retried with backoff (connection errors, 408, 429, 5xx; Retry-After
 * honoured) and resumed with Range after a cut; the conversion applies each
 * layer as soon as it and those below it are there. */
#ifndef AC_REGISTRY_H
#define AC_REGISTRY_H

#include <time.h>
#include "ac/docker.h"

/* Overall progress: bytes of blobs done / expected (expected 0: unknown). */
typedef void (*ac_registry_progress_fn)(void *arg, unsigned long long done, unsigned long long total,
					unsigned blobs_done, unsigned blobs);

struct ac_registry_opts {
	int allow_http;          /* -insecure-allow-http */
	int insecure_tls;        /* -insecure-skip-verify */
	const char *ca_file;     /* NULL: $SSL_CERT_FILE, else the system's */
	const char *cert_dir;    /* extra CAs, added to those: a PEM file, or a directory
				  * whose *.crt and *.pem files are read (skopeo's --cert-dir) */
	const char *authfile;    /* config.json-style file; NULL: $HOME/.docker/config.json */
	const char *username;    /* explicit credentials (both set), override files */
	const char *password;
	const char *platform;    /* "os/arch[/variant]" for indexes; NULL: the host's */
	int jobs;                /* parallel downloads; <= 0: 3 */
	int max_attempts;        /* per request; <= 0: 5 */
	unsigned retry_ms;       /* first backoff delay; 0: 500 ms (doubles each time) */
	unsigned max_wait_s;     /* cap on one wait (Retry-After too); 0: 60 s */
	unsigned timeout;        /* per request: seconds to connect and without a byte (http.h); 0: 30/60 s */
	ac_registry_progress_fn progress;
	void *progress_arg;
};

/* Pulls ref ("[REGISTRY/]NAME[:TAG|@DIGEST]", without "docker://") and
 * converts it as ac_docker_convert_file does. */
int ac_docker_convert_remote(const char *ref, const struct ac_docker_opts *o, const struct ac_registry_opts *ro,
			     struct ac_docker_result *res, ac_error **err);

/* ---- pieces, exposed for the tests ---- */

/* One challenge of a WWW-Authenticate header: a scheme and its parameters
 * (names lowercased, values unquoted). */
struct ac_auth_challenge {
	char *scheme; /* lowercased: "bearer", "basic" */
	char **keys;
	char **values;
	size_t n;
};
/* Parses every challenge of a header value (RFC 7235: any order and number
 * of parameters, quoted strings with commas and escapes).  Returns the
 * number of challenges (*out malloc'ed), or -1 on a syntax error. */
int ac_auth_challenges_parse(const char *hdr, struct ac_auth_challenge **out, ac_error **err);
void ac_auth_challenges_free(struct ac_auth_challenge *c, size_t n);
/* The value of parameter key of a challenge, or NULL. */
const char *ac_auth_challenge_param(const struct ac_auth_challenge *c, const char *key);

/* Credentials for host from a docker config.json text (auths entries by host
 * or URL; "auth" or username/password).  helper receives the name of the
 * credential helper to run instead (credHelpers, else credsStore) when no
 * auths entry matched.  Returns 1 found, 0 none (*helper may be set), -1. */
int ac_registry_config_lookup(const char *json, const char *host, char **user, char **pass, char **helper,
			      ac_error **err);
/* Runs "docker-credential-NAME get" for host; 1 found, 0 not found, -1. */
int ac_registry_cred_helper(const char *name, const char *host, char **user, char **pass, ac_error **err);

/* Retry-After (seconds or an HTTP date) as a delay from now; -1 if invalid. */
long ac_registry_retry_after(const char *v, time_t now);

/* "os/arch[/variant]" */
int ac_registry_parse_platform(const char *s, char **os, char **arch, char **variant, ac_error **err);

/* Decodes standard or URL-safe base64 (padding optional); malloc'ed, NUL-terminated. */
char *ac_base64_decode(const char *s, size_t *len);
char *ac_base64_encode(const void *data, size_t len);

#endif
