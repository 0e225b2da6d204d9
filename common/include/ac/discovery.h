/* appc discovery: app strings ("name[:version][,label=value...]"), the
 * HTML meta tags "ac-discovery" / "ac-discovery-pubkeys", and the walk up
 * the name's path (a/b/c, then a/b, then a) over HTTPS.
 *
 * Differences from the original (appc/spec v0.8.11 discovery): a meta tag's
 * prefix applies only on a path-component boundary ("example.com/foo" does
 * not cover "example.com/foobar"); pages are read up to AC_DISCOVERY_MAX_PAGE
 * bytes and AC_DISCOVERY_MAX_TAGS meta tags. */
#ifndef AC_DISCOVERY_H
#define AC_DISCOVERY_H

#include "ac/error.h"
#include "ac/http.h"
#include "ac/kvlist.h"

#define AC_DISCOVERY_MAX_PAGE (4u << 20)
#define AC_DISCOVERY_MAX_TAGS 1000

struct ac_app {
	char *name;
	struct ac_kv *labels; /* in the order given; "version" from "name:version" */
	size_t nlabels;
};

/* discovery.NewAppFromString, with the original's messages. */
int ac_app_parse(const char *s, struct ac_app *app, ac_error **err);
void ac_app_free(struct ac_app *app);
const char *ac_app_label(const struct ac_app *app, const char *name);
/* Sets (or adds) a label. */
void ac_app_set_label(struct ac_app *app, const char *name, const char *value);
/* Adds os and arch labels with the host's appc values when absent. */
void ac_app_default_os_arch(struct ac_app *app);
/* The host's appc arch label value (amd64, i386, aarch64, armv7l, ...). */
const char *ac_host_arch(void);

/* One meta tag found in a page. */
struct ac_meta {
	char *name;   /* "ac-discovery" or "ac-discovery-pubkeys" (or another "ac-" name) */
	char *prefix;
	char *uri;
};
/* Finds <meta name="ac-..." content="PREFIX URI"> tags anywhere in html
 * (a tolerant tokenizer: comments, raw-text elements, quoted and unquoted
 * attributes, character references).  At most max tags are returned. */
size_t ac_html_find_meta(const char *html, size_t len, struct ac_meta **out, size_t max);
void ac_meta_free(struct ac_meta *m, size_t n);

struct ac_endpoint {
	char *aci;
	char *asc;
};

struct ac_discovery_attempt {
	char *prefix;
	char *error;
};

struct ac_discovery {
	struct ac_endpoint *endpoints;
	size_t nendpoints;
	char **keys;
	size_t nkeys;
	/* prefixes that could not be fetched, in order (for the user's review) */
	struct ac_discovery_attempt *attempts;
	size_t nattempts;
};
void ac_discovery_free(struct ac_discovery *d);

/* Per-host credentials, in rkt's auth.d format: DIR/auth.d/NAME.json files of
 *   {"rktKind":"auth","rktVersion":"v1","domains":["example.com"],
 *    "type":"basic","credentials":{"user":"U","password":"P"}}
 * or "type":"oauth" with "credentials":{"token":"T"} (sent as a Bearer
 * token).  Files of kind "dockerAuth" (registries) are skipped.  A domain
 * is a host name (any port) or host:port; it is matched exactly, without
 * subdomains.  Credentials go only to https:// URLs of a listed domain,
 * and not on after a redirect to another host (ac/http.h). */
#define AC_CONFIG_SYSTEM_DIR "/usr/lib/acrun"
#define AC_CONFIG_LOCAL_DIR "/etc/acrun"

struct ac_auth_entry {
	char *domain;
	char *authorization; /* the Authorization header's value */
	char *file;          /* where it was configured */
};
struct ac_auth {
	struct ac_auth_entry *v;
	size_t n;
};
/* Reads the *.json files of one auth.d directory (in name order) into a;
 * a domain configured twice in it is an error, and entries replace those
 * of the same domain already in a.  A missing or unreadable directory
 * adds nothing. */
int ac_auth_load_dir(struct ac_auth *a, const char *auth_d, ac_error **err);
/* system_dir/auth.d (NULL: AC_CONFIG_SYSTEM_DIR), then local_dir/auth.d
 * (NULL: AC_CONFIG_LOCAL_DIR), then the user's $XDG_CONFIG_HOME/acrun/auth.d
 * (~/.config/acrun/auth.d), each overriding the one before. */
int ac_auth_load_default(struct ac_auth *a, const char *system_dir, const char *local_dir, ac_error **err);
/* The Authorization value for url, or NULL (always for non-https URLs). */
const char *ac_auth_for_url(const struct ac_auth *a, const char *url);
void ac_auth_free(struct ac_auth *a);

struct ac_discovery_opts {
	unsigned port;          /* 0: $AC_DISCOVERY_PORT, else the scheme's default */
	int insecure;           /* insecure_http and insecure_tls */
	int insecure_http;      /* plain HTTP after HTTPS fails */
	int insecure_tls;       /* no TLS verification */
	const char *ca_file;    /* as ac_http_opts.ca_file */
	/* per-host credentials; NULL: ac_auth_load_default(NULL, NULL) is read
	 * by each call (a broken file fails it) unless no_auth is set */
	const struct ac_auth *auth;
	int no_auth;
};

enum ac_discovery_want { AC_DISCOVER_ENDPOINTS, AC_DISCOVER_KEYS };

/* Walks the prefixes of app->name until a page yields what is wanted
 * (each page fetched with the credentials configured for its host).
 * "version" defaults to "latest" in templates.  Fails with "discovery
 * failed" when no prefix yields anything (d->attempts tells why). */
int ac_discover(const struct ac_app *app, enum ac_discovery_want want, const struct ac_discovery_opts *o,
		struct ac_discovery *d, ac_error **err);

#endif
