/* HTTP(S) GET with libcurl, for discovery, image fetching and registries.
 *
 * Policy, the same for every caller: HTTPS only unless the caller allows
 * plain HTTP; redirects followed (at most 10) but never from HTTPS down to
 * HTTP unless HTTP is allowed; an Authorization header is sent only to the
 * host of the first URL and only over HTTPS; connection timeout 30 s and a
 * stall timeout (under 1 byte/s for 60 s); proxies from the environment;
 * an extra CA bundle from opts->ca_file or $SSL_CERT_FILE. */
#ifndef AC_HTTP_H
#define AC_HTTP_H

#include "ac/buf.h"
#include "ac/error.h"

struct ac_http_opts {
	int allow_http;         /* plain http:// URLs and redirects to them */
	int insecure_tls;       /* do not verify certificates */
	const char *ca_file;    /* CA bundle; NULL: $SSL_CERT_FILE, else the system's */
	const char *authorization; /* value of the Authorization header, or NULL */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
};

struct ac_http_response {
	long status;
	char *url;          /* the final URL after redirects (malloc'ed) */
	char *content_type; /* malloc'ed or NULL */
};
void ac_http_response_free(struct ac_http_response *r);

/* Receives body bytes; return 0, or -1 to stop (the caller sets its own error). */
typedef int (*ac_http_sink)(void *arg, const void *buf, size_t len);

/* GETs url, streaming the body of a 2xx answer to sink (other answers'
 * bodies are dropped).  Returns 0 when a response was received, whatever its
 * status (resp->status tells), -1 on a transport error (message: "GET URL:
 * reason") or when the sink stopped. */
int ac_http_get(const char *url, const struct ac_http_opts *o, ac_http_sink sink, void *arg,
		struct ac_http_response *resp, ac_error **err);

/* GETs url into body, refusing more than max bytes ("... is larger than N
 * bytes").  Returns as ac_http_get. */
int ac_http_get_buf(const char *url, const struct ac_http_opts *o, size_t max, ac_buf *body,
		    struct ac_http_response *resp, ac_error **err);

#endif
