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
	unsigned timeout;       /* seconds to connect, and seconds without a byte before a
				 * request fails; 0: 30 s to connect, 60 s stalled */
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

/* A request with more control, for registries: the same policy as
 * ac_http_get. */
struct ac_http_req {
	int head;              /* HEAD instead of GET */
	unsigned long long range_start; /* > 0: "Range: bytes=N-" */
	int no_redirect;       /* answer 3xx as is (resp->status, Location in headers) */
	ac_buf *headers;       /* receives the final answer's header lines, or NULL */
	/* Called once, before the first body byte of a 2xx answer, with its
	 * status (200 or 206); -1 stops the transfer (the caller sets its error). */
	int (*on_start)(void *arg, long status);
};
/* As ac_http_get; rq may be NULL. */
int ac_http_request(const char *url, const struct ac_http_opts *o, const struct ac_http_req *rq, ac_http_sink sink,
		    void *arg, struct ac_http_response *resp, ac_error **err);
/* The value of the last header called name (case-insensitive) in a header
 * block of "Name: value\r\n" lines; malloc'ed, or NULL. */
char *ac_http_header(const char *headers, const char *name);
/* The transport error of the last failed call was one worth retrying
 * (connection refused or reset, timeout, a body cut short). */
int ac_http_error_is_transient(const ac_error *e);

#endif
