/* HTTP(S) client on libcurl; the policy is described in ac/http.h. */
#include "ac/http.h"

#include <curl/curl.h>
#include <pthread.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void ac_http_response_free(struct ac_http_response *r)
{
	free(r->url);
	free(r->content_type);
	r->url = r->content_type = NULL;
}

/* The plain GET: a request without headers, range or HEAD. */
int ac_http_get(const char *url, const struct ac_http_opts *o, ac_http_sink sink, void *arg,
		struct ac_http_response *resp, ac_error **err)
{
	return ac_http_request(url, o, NULL, sink, arg, resp, err);
}

struct buf_ctx {
	ac_buf *b;
	size_t max;
	const char *url;
	ac_error **err;
};

static int buf_sink(void *arg, const void *p, size_t len)
{
	struct buf_ctx *bc = arg;
	if (bc->b->len + len > bc->max) {
		ac_error_set(bc->err, EFBIG, "GET %s: the answer is larger than %zu bytes", bc->url, bc->max);
		return -1;
	}
	ac_buf_add(bc->b, p, len);
	return 0;
}

int ac_http_get_buf(const char *url, const struct ac_http_opts *o, size_t max, ac_buf *body,
		    struct ac_http_response *resp, ac_error **err)
{
	struct buf_ctx bc = { body, max, url, err };
	return ac_http_get(url, o, buf_sink, &bc, resp, err);
}

/* ---- ac_http_request: headers, HEAD, Range, no redirects ---- */

struct req_ctx {
	CURL *c;
	const struct ac_http_req *rq;
	ac_http_sink sink;
	void *arg;
	int started, sink_failed;
};

static size_t req_on_data(char *p, size_t size, size_t n, void *userdata)
{
	struct req_ctx *g = userdata;
	long status = 0;
	curl_easy_getinfo(g->c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		return size * n;
	if (!g->started) {
		g->started = 1;
		if (g->rq && g->rq->on_start && g->rq->on_start(g->arg, status) < 0) {
			g->sink_failed = 1;
			return 0;
		}
	}
	if (g->sink && g->sink(g->arg, p, size * n) < 0) {
		g->sink_failed = 1;
		return 0;
	}
	return size * n;
}

static size_t req_on_header(char *p, size_t size, size_t n, void *userdata)
{
	ac_buf *h = userdata;
	/* a new status line: the previous answer was a redirect or a 100 */
	if (size * n >= 5 && !strncmp(p, "HTTP/", 5))
		ac_buf_reset(h);
	ac_buf_add(h, p, size * n);
	return size * n;
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return ECONNRESET;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return EHOSTUNREACH;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return EPROTO;
	default:
		return EIO;
	}
}

int ac_http_error_is_transient(const ac_error *e)
{
	return e && (e->code == ECONNREFUSED || e->code == ETIMEDOUT || e->code == ECONNRESET);
}

int ac_http_request(const char *url, const struct ac_http_opts *o, const struct ac_http_req *rq, ac_http_sink sink,
		    void *arg, struct ac_http_response *resp, ac_error **err)
{
	static const struct ac_http_opts defaults;
	if (!o)
		o = &defaults;
	memset(resp, 0, sizeof(*resp));
	if (!ac_str_has_prefix(url, "https://") && !(o->allow_http && ac_str_has_prefix(url, "http://")))
		return ac_error_set(err, EPROTONOSUPPORT, "GET %s: only https:// is allowed (insecure options allow http)", url);
	pthread_once(&curl_once, curl_init);

	CURL *c = curl_easy_init();
	if (!c)
		return ac_error_set(err, ENOMEM, "GET %s: cannot initialise libcurl", url);
	struct req_ctx g = { c, rq, sink, arg, 0, 0 };
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	_cleanup_free_ char *auth = NULL, *range = NULL;
	ac_buf hbuf = AC_BUF_INIT;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, rq && rq->no_redirect ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->allow_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, o->allow_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->timeout ? (long)o->timeout : 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->timeout ? (long)o->timeout : 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "appc-toolkit/0.1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, req_on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, req_on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hbuf);
	if (rq && rq->head)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (rq && rq->range_start) {
		range = xasprintf("%llu-", rq->range_start);
		curl_easy_setopt(c, CURLOPT_RANGE, range);
	} else {
		/* content codings only on whole answers: a range of a
		 * decoded body would not resume anything */
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	}
	const char *ca = o->ca_file ? o->ca_file : getenv("SSL_CERT_FILE");
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (o->insecure_tls) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	/* libcurl drops custom Authorization headers when a redirect goes to
	 * another host or port (CURLOPT_UNRESTRICTED_AUTH stays off). */
	if (o->authorization && ac_str_has_prefix(url, "https://")) {
		auth = xasprintf("Authorization: %s", o->authorization);
		hdrs = curl_slist_append(hdrs, auth);
	}
	for (const char *const *h = o->headers; h && *h; h++)
		hdrs = curl_slist_append(hdrs, *h);
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	CURLcode rc = curl_easy_perform(c);
	int ret = 0;
	const char *method = rq && rq->head ? "HEAD" : "GET";
	if (g.sink_failed) {
		ret = -1;
		if (err && !*err)
			ac_error_set(err, EIO, "%s %s: download stopped", method, url);
	} else if (rc != CURLE_OK) {
		ret = ac_error_set(err, curl_errno(rc), "%s %s: %s", method, url,
				   *errbuf ? errbuf : curl_easy_strerror(rc));
	} else {
		char *eff = NULL, *ct = NULL;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		resp->url = xstrdup(eff ? eff : url);
		resp->content_type = ct ? xstrdup(ct) : NULL;
		/* an empty 2xx body still starts */
		if (!g.started && resp->status >= 200 && resp->status <= 299 && rq && rq->on_start && !rq->head &&
		    rq->on_start(arg, resp->status) < 0) {
			ret = -1;
			if (err && !*err)
				ac_error_set(err, EIO, "%s %s: download stopped", method, url);
		}
	}
	if (rq && rq->headers) {
		ac_buf_reset(rq->headers);
		ac_buf_add(rq->headers, hbuf.buf, hbuf.len);
	}
	ac_buf_release(&hbuf);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return ret;
}

char *ac_http_header(const char *headers, const char *name)
{
	size_t nl = strlen(name);
	char *found = NULL;
	for (const char *p = headers; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *e = p + len;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			free(found);
			found = xstrndup(v, (size_t)(e - v));
		}
		p = eol ? eol + 1 : p + len;
	}
	return found;
}
