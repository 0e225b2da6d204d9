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

struct ac_discovery_opts {
	unsigned port;          /* 0: $AC_DISCOVERY_PORT, else the scheme's default */
	int insecure;           /* plain HTTP after HTTPS fails, and no TLS verification */
	const char *ca_file;    /* as ac_http_opts.ca_file */
};

enum ac_discovery_want { AC_DISCOVER_ENDPOINTS, AC_DISCOVER_KEYS };

/* Walks the prefixes of app->name until a page yields what is wanted.
 * "version" defaults to "latest" in templates.  Fails with "discovery
 * failed" when no prefix yields anything (d->attempts tells why). */
int ac_discover(const struct ac_app *app, enum ac_discovery_want want, const struct ac_discovery_opts *o,
		struct ac_discovery *d, ac_error **err);

#endif
