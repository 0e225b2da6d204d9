/* docker:// input: the registry HTTP API v2 client and the parallel blob
 * downloads feeding ac_docker_convert_pulled (see ac/registry.h). */
#include "ac/registry.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include "ac/buf.h"
#include "ac/digest.h"
#include "ac/fs.h"
#include "ac/http.h"

#define MANIFEST_MAX (4u << 20)
#define CONFIG_MAX (16u << 20)
#define TOKEN_MAX (1u << 20)

#define MT_V21 "application/vnd.docker.distribution.manifest.v1+json"
#define MT_V21_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MT_V22 "application/vnd.docker.distribution.manifest.v2+json"
#define MT_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"

static const char *const manifest_accept[] = {
	"Accept: " MT_LIST, "Accept: " MT_OCI_INDEX, "Accept: " MT_V22, "Accept: " MT_OCI,
	"Accept: " MT_V21_SIGNED, "Accept: " MT_V21, NULL,
};

struct blob {
	char *digest;
	unsigned long long size; /* 0: unknown (schema1) */
	char *path;              /* in the temporary root */
	int done, failed;
};

struct reg {
	const struct ac_registry_opts *ro;
	struct ac_docker_ref ref;
	char *base; /* "https://host" */
	char *repo_scope;
	char *basic; /* "Basic ..." or NULL */
	char *scheme; /* the registry's challenge: "bearer", "basic" or NULL */
	char *tmp;
	int rootfd;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	char **tok_scope, **tok_value;
	size_t ntok;
	int abort;
	ac_error *first_err;
	struct blob *blobs;
	size_t nblobs, next_blob;
	unsigned blobs_done;
	unsigned long long bytes_done, bytes_total;
	struct timespec last_progress;
};

static unsigned max_attempts(struct reg *r)
{
	return r->ro->max_attempts > 0 ? (unsigned)r->ro->max_attempts : 5;
}

/* Sleeps ms, waking early when the pull is aborted; -1 then. */
static int nap(struct reg *r, unsigned long ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	while (!r->abort && pthread_cond_timedwait(&r->cond, &r->lock, &until) == 0)
		;
	int ab = r->abort;
	pthread_mutex_unlock(&r->lock);
	return ab ? -1 : 0;
}

static unsigned long backoff_ms(struct reg *r, unsigned attempt)
{
	unsigned long ms = r->ro->retry_ms ? r->ro->retry_ms : 500;
	for (unsigned i = 1; i < attempt && ms < 3600000UL; i++)
		ms *= 2;
	unsigned long cap = (r->ro->max_wait_s ? r->ro->max_wait_s : 60) * 1000UL;
	return ms > cap ? cap : ms;
}

/* ---- auth ---- */

static char *token_for(struct reg *r, const char *scope)
{
	char *t = NULL;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->ntok; i++)
		if (!strcmp(r->tok_scope[i], scope))
			t = xasprintf("Bearer %s", r->tok_value[i]);
	if (!t && r->basic && r->scheme && !strcmp(r->scheme, "basic"))
		t = xstrdup(r->basic);
	pthread_mutex_unlock(&r->lock);
	return t;
}

static void token_set(struct reg *r, const char *scope, const char *value)
{
	pthread_mutex_lock(&r->lock);
	size_t i;
	for (i = 0; i < r->ntok && strcmp(r->tok_scope[i], scope); i++)
		;
	if (i == r->ntok) {
		r->tok_scope = xrealloc(r->tok_scope, (r->ntok + 1) * sizeof(char *));
		r->tok_value = xrealloc(r->tok_value, (r->ntok + 1) * sizeof(char *));
		r->tok_scope[i] = xstrdup(scope);
		r->tok_value[i] = NULL;
		r->ntok++;
	}
	free(r->tok_value[i]);
	r->tok_value[i] = value ? xstrdup(value) : xstrdup("");
	pthread_mutex_unlock(&r->lock);
}

static void url_escape(ac_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-_.~", c))
			ac_buf_addch(b, (char)c);
		else
			ac_buf_addf(b, "%%%02X", c);
	}
}

static int fetch_token(struct reg *r, const struct ac_auth_challenge *c, const char *scope, ac_error **err)
{
	const char *realm = ac_auth_challenge_param(c, "realm");
	const char *service = ac_auth_challenge_param(c, "service");
	const char *cscope = ac_auth_challenge_param(c, "scope");
	if (!realm || !*realm)
		return ac_error_set(err, EPROTO, "missing realm in bearer auth challenge");
	ac_buf u = AC_BUF_INIT;
	ac_buf_addstr(&u, realm);
	char sep = strchr(realm, '?') ? '&' : '?';
	if (service) {
		ac_buf_addf(&u, "%cservice=", sep);
		url_escape(&u, service);
		sep = '&';
	}
	_cleanup_free_ char *scopes = xstrdup(cscope && *cscope ? cscope : scope);
	for (char *save = NULL, *s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		ac_buf_addf(&u, "%cscope=", sep);
		url_escape(&u, s);
		sep = '&';
	}
	_cleanup_free_ char *url = ac_buf_detach(&u, NULL);
	/* credentials only over HTTPS: http.h drops the header otherwise */
	struct ac_http_opts ho = { r->ro->allow_http, r->ro->insecure_tls, r->ro->ca_file, r->basic, NULL, r->ro->timeout };
	ac_buf body = AC_BUF_INIT;
	struct ac_http_response resp;
	int ret = -1;
	for (unsigned attempt = 1;; attempt++) {
		ac_buf_reset(&body);
		ac_error *e = NULL;
		int rc = ac_http_get_buf(url, &ho, TOKEN_MAX, &body, &resp, &e);
		long st = rc < 0 ? 0 : resp.status;
		if (rc == 0)
			ac_http_response_free(&resp);
		int again = rc < 0 ? e && (e->code == EIO || ac_http_error_is_transient(e))
				   : (st == 408 || st == 429 || st >= 500);
		if (again && attempt < max_attempts(r) && nap(r, backoff_ms(r, attempt)) == 0) {
			ac_error_free(&e);
			continue;
		}
		if (rc < 0) {
			*err = e;
			goto out;
		}
		if (st == 401) {
			ac_error_set(err, EACCES, "unable to retrieve auth token: 401 unauthorized");
			goto out;
		}
		if (st != 200) {
			ac_error_set(err, EPROTO, "Unexpected HTTP code: %ld, URL: %s", st, url);
			goto out;
		}
		break;
	}
	json_t *j = json_loadb(body.buf, body.len, 0, NULL);
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok)
		ac_error_set(err, EPROTO, "the token server %s answered no token", realm);
	else {
		token_set(r, scope, tok);
		ret = 0;
	}
	json_decref(j);
out:
	ac_buf_release(&body);
	return ret;
}

/* After a 401: gets what the challenge asks for.  0: try again. */
static int handle_401(struct reg *r, const char *scope, const char *headers, const char *sent, const char *url,
		      ac_error **err)
{
	_cleanup_free_ char *h = ac_http_header(headers, "WWW-Authenticate");
	struct ac_auth_challenge *cs = NULL;
	int n = h ? ac_auth_challenges_parse(h, &cs, err) : 0;
	if (n < 0)
		return -1;
	int ret = -1;
	const struct ac_auth_challenge *bearer = NULL, *basic = NULL;
	for (int i = 0; i < n; i++) {
		if (!strcmp(cs[i].scheme, "bearer") && !bearer)
			bearer = &cs[i];
		if (!strcmp(cs[i].scheme, "basic") && !basic)
			basic = &cs[i];
	}
	if (bearer) {
		pthread_mutex_lock(&r->lock);
		free(r->scheme);
		r->scheme = xstrdup("bearer");
		pthread_mutex_unlock(&r->lock);
		ret = fetch_token(r, bearer, scope, err);
	} else if (basic && r->basic && !(sent && !strcmp(sent, r->basic))) {
		pthread_mutex_lock(&r->lock);
		free(r->scheme);
		r->scheme = xstrdup("basic");
		pthread_mutex_unlock(&r->lock);
		ret = ac_str_has_prefix(url, "https://") ? 0 :
		      ac_error_set(err, EACCES, "GET %s: unauthorized (credentials are only sent over HTTPS)", url);
	} else {
		ac_error_set(err, EACCES, "GET %s: unauthorized%s", url,
			     r->basic ? "" : " (no credentials for this registry)");
	}
	ac_auth_challenges_free(cs, (size_t)n);
	return ret;
}

/* ---- requests with auth, retries and resumption ---- */

struct sink {
	struct reg *r;
	int fd;        /* blob file, or -1 */
	ac_buf *buf;   /* small answers */
	size_t max;
	const char *what; /* for messages */
	ac_digest *d;
	unsigned long long written, expect;
	ac_error *err;
	int fatal;
};

static void progress(struct reg *r, int force)
{
	if (!r->ro->progress)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (now.tv_sec - r->last_progress.tv_sec) * 1000 + (now.tv_nsec - r->last_progress.tv_nsec) / 1000000;
	if (!force && ms < 200)
		return;
	r->last_progress = now;
	r->ro->progress(r->ro->progress_arg, r->bytes_done, r->bytes_total, r->blobs_done, (unsigned)r->nblobs);
}

static void sink_count(struct sink *s, long long delta)
{
	if (s->fd < 0)
		return;
	pthread_mutex_lock(&s->r->lock);
	s->r->bytes_done += (unsigned long long)delta;
	progress(s->r, 0);
	pthread_mutex_unlock(&s->r->lock);
}

static void sink_reset(struct sink *s)
{
	if (s->d)
		ac_digest_free(s->d);
	s->d = ac_digest_new(AC_SHA256);
	if (s->fd >= 0) {
		sink_count(s, -(long long)s->written);
		if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0) {
			s->fatal = 1;
			ac_error_errno(&s->err, "%s", s->what);
		}
	}
	if (s->buf)
		ac_buf_reset(s->buf);
	s->written = 0;
}

static int sink_start(void *arg, long status)
{
	struct sink *s = arg;
	if (status != 206 && s->written)
		sink_reset(s); /* the whole body again */
	return s->fatal ? -1 : 0;
}

static int sink_data(void *arg, const void *p, size_t len)
{
	struct sink *s = arg;
	if (__atomic_load_n(&s->r->abort, __ATOMIC_RELAXED)) {
		s->fatal = 1;
		ac_error_set(&s->err, ECANCELED, "%s: cancelled", s->what);
		return -1;
	}
	if (s->expect && s->written + len > s->expect) {
		s->fatal = 1;
		ac_error_set(&s->err, EBADMSG, "%s: larger than its %llu bytes", s->what, s->expect);
		return -1;
	}
	if (s->fd >= 0) {
		if (ac_write_all(s->fd, p, len) < 0) {
			s->fatal = 1;
			ac_error_errno(&s->err, "%s: writing", s->what);
			return -1;
		}
	} else if (s->buf->len + len > s->max) {
		s->fatal = 1;
		ac_error_set(&s->err, EFBIG, "%s: larger than %zu bytes", s->what, s->max);
		return -1;
	} else {
		ac_buf_add(s->buf, p, len);
	}
	ac_digest_update(s->d, p, len);
	s->written += len;
	sink_count(s, (long long)len);
	return 0;
}

/* GET url (a registry URL) with the auth the scope needs, retrying and
 * resuming; the final answer's status is returned in resp. */
static int reg_get(struct reg *r, const char *url, const char *const *accept, struct sink *s, ac_buf *headers,
		   struct ac_http_response *resp, ac_error **err)
{
	unsigned attempt = 0, auth_tries = 0;
	for (;;) {
		_cleanup_free_ char *auth = token_for(r, r->repo_scope);
		struct ac_http_opts ho = { r->ro->allow_http, r->ro->insecure_tls, r->ro->ca_file, auth, accept, r->ro->timeout };
		struct ac_http_req rq = { 0 };
		rq.headers = headers;
		rq.on_start = sink_start;
		rq.range_start = s->fd >= 0 ? s->written : 0;
		ac_error *e = NULL;
		int rc = ac_http_request(url, &ho, &rq, sink_data, s, resp, &e);
		if (rc < 0) {
			if (s->fatal) {
				ac_error_free(&e);
				*err = s->err;
				s->err = NULL;
				return -1;
			}
			if (ac_http_error_is_transient(e) && ++attempt < max_attempts(r) &&
			    nap(r, backoff_ms(r, attempt)) == 0) {
				ac_error_free(&e);
				continue;
			}
			*err = e;
			return -1;
		}
		long st = resp->status;
		if (st == 401 && auth_tries < 2) {
			auth_tries++;
			int h = handle_401(r, r->repo_scope, headers->buf, auth, url, err);
			ac_http_response_free(resp);
			if (h < 0)
				return -1;
			continue;
		}
		if ((st == 408 || st == 429 || st >= 500) && ++attempt < max_attempts(r)) {
			_cleanup_free_ char *ra = ac_http_header(headers->buf, "Retry-After");
			long w = ac_registry_retry_after(ra, time(NULL));
			unsigned long cap = (r->ro->max_wait_s ? r->ro->max_wait_s : 60) * 1000UL;
			unsigned long ms = w >= 0 ? (unsigned long)w * 1000UL : backoff_ms(r, attempt);
			ac_http_response_free(resp);
			if (nap(r, ms > cap ? cap : ms) < 0)
				return ac_error_set(err, ECANCELED, "GET %s: cancelled", url);
			continue;
		}
		if (st == 416 && s->written) {
			ac_http_response_free(resp);
			sink_reset(s);
			continue;
		}
		return 0;
	}
}

static int status_error(long st, const char *url, ac_error **err)
{
	return ac_error_set(err, st == 404 ? ENOENT : st == 401 || st == 403 ? EACCES : EPROTO,
			    "unexpected http code: %ld, URL: %s", st, url);
}

static void digest_hex(ac_digest *d, char hex[72])
{
	unsigned char raw[32];
	ac_digest_final(d, raw);
	memcpy(hex, "sha256:", 7);
	ac_hex(raw, 32, hex + 7);
}

static void sha256_of(const void *p, size_t n, char hex[72])
{
	ac_digest *d = ac_digest_new(AC_SHA256);
	ac_digest_update(d, p, n);
	digest_hex(d, hex);
	ac_digest_free(d);
}

/* A small blob or manifest into body; verified against digest (and size) when given. */
static int get_small(struct reg *r, const char *url, const char *const *accept, const char *what, size_t max,
		     const char *digest, unsigned long long size, ac_buf *body, char **ctype, ac_buf *headers,
		     ac_error **err)
{
	struct sink s = { r, -1, body, max, what, ac_digest_new(AC_SHA256), 0, size, NULL, 0 };
	struct ac_http_response resp;
	int ret = reg_get(r, url, accept, &s, headers, &resp, err);
	if (ret == 0) {
		if (resp.status != 200)
			ret = status_error(resp.status, url, err);
		else if (size && s.written != size)
			ret = ac_error_set(err, EBADMSG, "%s: %llu bytes, expected %llu", what, s.written, size);
		if (ret == 0 && digest && ac_str_has_prefix(digest, "sha256:")) {
			char hex[72];
			digest_hex(s.d, hex);
			if (strcmp(hex, digest))
				ret = ac_error_set(err, EBADMSG, "%s: digest mismatch: got %s", what, hex);
		}
		if (ret == 0 && ctype)
			*ctype = resp.content_type ? xstrdup(resp.content_type) : NULL;
		ac_http_response_free(&resp);
	}
	ac_digest_free(s.d);
	ac_error_free(&s.err);
	return ret;
}

/* ---- blobs ---- */

static int download_blob(struct reg *r, struct blob *b, ac_error **err)
{
	_cleanup_free_ char *url = xasprintf("%s/v2/%s/blobs/%s", r->base, r->ref.image_name, b->digest);
	_cleanup_free_ char *what = xasprintf("blob %s", b->digest);
	_cleanup_close_ int fd = openat(r->rootfd, b->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return ac_error_errno(err, "%s: creating %s", what, b->path);
	ac_buf hb = AC_BUF_INIT;
	struct sink s = { r, fd, NULL, 0, what, ac_digest_new(AC_SHA256), 0, b->size, NULL, 0 };
	struct ac_http_response resp;
	int ret = reg_get(r, url, NULL, &s, &hb, &resp, err);
	if (ret == 0) {
		if (resp.status != 200 && resp.status != 206)
			ret = status_error(resp.status, url, err);
		else if (b->size && s.written != b->size)
			ret = ac_error_set(err, EBADMSG, "%s: %llu bytes, expected %llu", what, s.written, b->size);
		if (ret == 0) {
			char hex[72];
			digest_hex(s.d, hex);
			if (strcmp(hex, b->digest))
				ret = ac_error_set(err, EBADMSG, "%s: digest mismatch: got %s", what, hex);
		}
		ac_http_response_free(&resp);
	}
	ac_digest_free(s.d);
	ac_error_free(&s.err);
	ac_buf_release(&hb);
	if (ret < 0)
		unlinkat(r->rootfd, b->path, 0); /* nothing half-written stays */
	return ret;
}

static void *worker(void *arg)
{
	struct reg *r = arg;
	pthread_mutex_lock(&r->lock);
	while (!r->abort && r->next_blob < r->nblobs) {
		struct blob *b = &r->blobs[r->next_blob++];
		pthread_mutex_unlock(&r->lock);
		ac_error *e = NULL;
		int rc = download_blob(r, b, &e);
		pthread_mutex_lock(&r->lock);
		if (rc < 0) {
			b->failed = 1;
			if (!r->first_err && !r->abort)
				r->first_err = e;
			else
				ac_error_free(&e);
			r->abort = 1;
		} else {
			b->done = 1;
			r->blobs_done++;
			progress(r, r->blobs_done == r->nblobs);
		}
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct waiter {
	struct reg *r;
	size_t *layer_blob; /* layer index -> blob index */
};

static int wait_layer(void *arg, size_t i, ac_error **err)
{
	struct waiter *w = arg;
	struct reg *r = w->r;
	struct blob *b = &r->blobs[w->layer_blob[i]];
	pthread_mutex_lock(&r->lock);
	while (!b->done && !r->abort)
		pthread_cond_wait(&r->cond, &r->lock);
	int ret = 0;
	if (!b->done)
		ret = r->first_err ? ac_error_set(err, r->first_err->code, "%s", r->first_err->msg)
				   : ac_error_set(err, ECANCELED, "download cancelled");
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static size_t add_blob(struct reg *r, const char *digest, unsigned long long size)
{
	for (size_t i = 0; i < r->nblobs; i++)
		if (!strcmp(r->blobs[i].digest, digest))
			return i;
	r->blobs = xrealloc(r->blobs, (r->nblobs + 1) * sizeof(*r->blobs));
	struct blob *b = &r->blobs[r->nblobs];
	memset(b, 0, sizeof(*b));
	b->digest = xstrdup(digest);
	b->size = size;
	b->path = xasprintf("blob-%s", digest + 7);
	r->bytes_total += size;
	return r->nblobs++;
}

/* ---- manifests ---- */

static const char *media_type(const char *ctype, json_t *m)
{
	static char buf[128];
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	if (ctype && *ctype) {
		size_t n = strcspn(ctype, "; ");
		if (n < sizeof(buf)) {
			memcpy(buf, ctype, n);
			buf[n] = '\0';
			if (strcmp(buf, "application/json") && strcmp(buf, "text/plain"))
				return buf;
		}
	}
	if (mt)
		return mt;
	if (json_is_array(json_object_get(m, "manifests")))
		return MT_OCI_INDEX;
	if (json_integer_value(json_object_get(m, "schemaVersion")) == 2)
		return MT_OCI;
	return MT_V21;
}

/* The payload a signed schema1 manifest's digest covers (signatures cut). */
static char *schema1_payload(const char *body, size_t len, json_t *m, size_t *plen)
{
	json_t *sig = json_array_get(json_object_get(m, "signatures"), 0);
	const char *prot = json_string_value(json_object_get(sig, "protected"));
	if (!prot)
		return NULL;
	_cleanup_free_ char *ph = ac_base64_decode(prot, NULL);
	json_t *p = ph ? json_loads(ph, 0, NULL) : NULL;
	json_int_t flen = json_integer_value(json_object_get(p, "formatLength"));
	const char *tail = json_string_value(json_object_get(p, "formatTail"));
	char *out = NULL;
	size_t tl;
	_cleanup_free_ char *t = tail ? ac_base64_decode(tail, &tl) : NULL;
	if (t && flen > 0 && (size_t)flen <= len) {
		out = xmalloc((size_t)flen + tl + 1);
		memcpy(out, body, (size_t)flen);
		memcpy(out + flen, t, tl);
		out[(size_t)flen + tl] = '\0';
		*plen = (size_t)flen + tl;
	}
	json_decref(p);
	return out;
}

static int check_manifest_digest(const char *want, const char *body, size_t len, json_t *m, ac_error **err)
{
	if (ac_docker_check_digest(want, err) < 0)
		return -1;
	char hex[72];
	sha256_of(body, len, hex);
	if (!strcmp(hex, want))
		return 0;
	size_t pl;
	_cleanup_free_ char *payload = schema1_payload(body, len, m, &pl);
	if (payload) {
		char h2[72];
		sha256_of(payload, pl, h2);
		if (!strcmp(h2, want))
			return 0;
	}
	return ac_error_set(err, EBADMSG, "manifest %s: digest mismatch: got %s", want, hex);
}

struct platform {
	const char *os, *arch, *variant;
};

static int variant_eq(const char *arch, const char *want, const char *have)
{
	if (!want || !*want)
		return 1;
	if (!have || !*have)
		have = !strcmp(arch, "arm64") ? "v8" : "";
	return !strcmp(want, have);
}

static json_t *pick_platform(json_t *idx, const struct platform *pf, ac_error **err)
{
	json_t *m;
	size_t i;
	ac_buf avail = AC_BUF_INIT;
	json_array_foreach(json_object_get(idx, "manifests"), i, m) {
		json_t *p = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		const char *var = json_string_value(json_object_get(p, "variant"));
		if (!os || !arch)
			continue;
		if (!strcmp(os, pf->os) && !strcmp(arch, pf->arch) && variant_eq(arch, pf->variant, var)) {
			ac_buf_release(&avail);
			return m;
		}
		ac_buf_addf(&avail, "%s%s/%s%s%s", avail.len ? ", " : "", os, arch, var ? "/" : "", var ? var : "");
	}
	ac_error_set(err, ENOENT, "no image for %s/%s%s%s in the manifest list (it has: %s)", pf->os, pf->arch,
		     pf->variant ? "/" : "", pf->variant ? pf->variant : "", avail.len ? avail.buf : "nothing");
	ac_buf_release(&avail);
	return NULL;
}

/* schema1 checks as the original's fixManifestLayers; fills the layers
 * (base first) from fsLayers/history (top first). */
static int schema1_layers(json_t *m, json_t **v1s, char ***ids, char ***sums, size_t *np, ac_error **err)
{
	json_t *fs = json_object_get(m, "fsLayers"), *hist = json_object_get(m, "history");
	size_t n = json_array_size(fs);
	if (!n || json_array_size(hist) != n)
		return ac_error_set(err, EBADMSG, "schema1 manifest: fsLayers and history do not match");
	json_t *imgs = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(json_object_get(json_array_get(hist, i), "v1Compatibility"));
		json_t *j = v ? json_loads(v, 0, NULL) : NULL;
		const char *id = json_string_value(json_object_get(j, "id"));
		if (!j || !id) {
			json_decref(j);
			json_decref(imgs);
			return ac_error_set(err, EBADMSG, "schema1 manifest: invalid v1Compatibility of layer %zu", i);
		}
		json_array_append_new(imgs, j);
		if (ac_docker_check_layer_id(id, err) < 0) {
			json_decref(imgs);
			return -1;
		}
	}
#define ID(i) json_string_value(json_object_get(json_array_get(imgs, i), "id"))
#define PARENT(i) (json_string_value(json_object_get(json_array_get(imgs, i), "parent")) ? \
		   json_string_value(json_object_get(json_array_get(imgs, i), "parent")) : "")
	int ret = -1;
	if (*PARENT(n - 1)) {
		ac_error_set(err, EBADMSG, "Invalid parent ID in the base layer of the image.");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j + 1 < i; j++)
			if (!strcmp(ID(i), ID(j)) && strcmp(ID(i), ID(i - 1))) {
				ac_error_set(err, EBADMSG, "ID %s appears multiple times in manifest", ID(i));
				goto out;
			}
	size_t keep = 0;
	*v1s = json_array();
	*ids = xcalloc(n + 1, sizeof(char *));
	*sums = xcalloc(n + 1, sizeof(char *));
	for (size_t i = n; i-- > 0;) {
		if (i + 1 < n && !strcmp(ID(i), ID(i + 1)))
			continue;
		if (i + 1 < n && strcmp(PARENT(i), ID(i + 1))) {
			ac_error_set(err, EBADMSG, "Invalid parent ID. Expected %s, got %s.", ID(i + 1), PARENT(i));
			goto out;
		}
		const char *sum = json_string_value(json_object_get(json_array_get(fs, i), "blobSum"));
		if (!sum || ac_docker_check_digest(sum, err) < 0) {
			if (!sum)
				ac_error_set(err, EBADMSG, "schema1 manifest: layer without blobSum");
			goto out;
		}
		json_array_append(*v1s, json_array_get(imgs, i));
		(*ids)[keep] = xstrdup(ID(i));
		(*sums)[keep++] = xstrdup(sum);
	}
	*np = keep;
	ret = 0;
out:
#undef ID
#undef PARENT
	json_decref(imgs);
	return ret;
}

/* ---- the pull ---- */

struct pulled {
	struct ac_docker_pulled p;
	struct ac_docker_pulled_layer *layers;
	char **strs; /* to free */
	size_t nstrs;
	size_t *layer_blob;
	json_t *config, *v1s;
	char manhash[72];
};

static const char *keep(struct pulled *pl, char *s)
{
	pl->strs = xrealloc(pl->strs, (pl->nstrs + 1) * sizeof(char *));
	pl->strs[pl->nstrs++] = s;
	return s;
}

static int ping(struct reg *r, ac_error **err)
{
	const char *schemes[] = { "https", "http" };
	ac_error *first = NULL;
	for (int i = 0; i < (r->ro->allow_http ? 2 : 1); i++) {
		_cleanup_free_ char *url = xasprintf("%s://%s/v2/", schemes[i], r->ref.index_url);
		ac_buf hb = AC_BUF_INIT, body = AC_BUF_INIT;
		struct ac_http_response resp;
		ac_error *e = NULL;
		int rc = -1;
		/* without plain HTTP to fall back to, HTTPS gets every retry */
		unsigned tries = r->ro->allow_http && i == 0 ? 1 : max_attempts(r);
		for (unsigned a = 1;; a++) {
			struct ac_http_opts ho = { r->ro->allow_http, r->ro->insecure_tls, r->ro->ca_file, NULL, NULL, r->ro->timeout };
			struct ac_http_req rq = { 0 };
			rq.headers = &hb;
			ac_buf_reset(&body);
			ac_error_free(&e);
			rc = ac_http_request(url, &ho, &rq, NULL, NULL, &resp, &e);
			long st = rc < 0 ? 0 : resp.status;
			int again = rc < 0 ? ac_http_error_is_transient(e) : (st == 408 || st == 429 || st >= 500);
			if (again && a < tries) {
				if (rc == 0)
					ac_http_response_free(&resp);
				if (nap(r, backoff_ms(r, a)) == 0)
					continue;
			}
			break;
		}
		ac_buf_release(&body);
		if (rc == 0 && (resp.status == 200 || resp.status == 401)) {
			r->base = xasprintf("%s://%s", schemes[i], r->ref.index_url);
			if (resp.status == 401) {
				_cleanup_free_ char *h = ac_http_header(hb.buf, "WWW-Authenticate");
				struct ac_auth_challenge *cs = NULL;
				int n = h ? ac_auth_challenges_parse(h, &cs, NULL) : 0;
				if (n > 0)
					r->scheme = xstrdup(cs[0].scheme);
				ac_auth_challenges_free(cs, n > 0 ? (size_t)n : 0);
			}
			ac_http_response_free(&resp);
			ac_buf_release(&hb);
			ac_error_free(&first);
			ac_error_free(&e);
			return 0;
		}
		if (rc == 0) {
			ac_error_set(&e, EPROTO, "%s: not a registry (HTTP status %ld)", url, resp.status);
			ac_http_response_free(&resp);
		}
		ac_buf_release(&hb);
		if (!first)
			first = e;
		else
			ac_error_free(&e);
	}
	*err = first;
	return ac_error_wrap(err, "registry %s doesn't support API v2", r->ref.index_url);
}

static int fetch_manifest(struct reg *r, const char *reference, const char *want_digest, ac_buf *body,
			  json_t **m, const char **mt, char **ctype, ac_error **err)
{
	_cleanup_free_ char *url = xasprintf("%s/v2/%s/manifests/%s", r->base, r->ref.image_name, reference);
	_cleanup_free_ char *what = xasprintf("manifest %s", reference);
	ac_buf hb = AC_BUF_INIT;
	ac_buf_reset(body);
	free(*ctype);
	*ctype = NULL;
	int rc = get_small(r, url, manifest_accept, what, MANIFEST_MAX, NULL, 0, body, ctype, &hb, err);
	ac_buf_release(&hb);
	if (rc < 0)
		return -1;
	json_error_t je;
	*m = json_loadb(body->buf, body->len, 0, &je);
	if (!json_is_object(*m))
		return ac_error_set(err, EBADMSG, "%s: invalid JSON: %s", what, *m ? "not an object" : je.text);
	if (want_digest && check_manifest_digest(want_digest, body->buf, body->len, *m, err) < 0)
		return -1;
	*mt = media_type(*ctype, *m);
	return 0;
}

static int pull(struct reg *r, struct pulled *pl, ac_error **err)
{
	if (ping(r, err) < 0)
		return -1;
	const char *reference = *r->ref.digest ? r->ref.digest : r->ref.tag;
	_cleanup_free_ char *want = *r->ref.digest ? xstrdup(r->ref.digest) : NULL;
	_cleanup_free_ char *ctype = NULL;
	ac_buf body = AC_BUF_INIT;
	json_t *m = NULL;
	const char *mt = NULL;
	int ret = -1;
	_cleanup_free_ char *os = NULL, *arch = NULL, *variant = NULL;
	_cleanup_free_ char *child = NULL;
	if (fetch_manifest(r, reference, want, &body, &m, &mt, &ctype, err) < 0)
		goto out;
	for (int depth = 0; !strcmp(mt, MT_LIST) || !strcmp(mt, MT_OCI_INDEX); depth++) {
		if (depth >= 4) {
			ac_error_set(err, ELOOP, "manifest lists nested too deep");
			goto out;
		}
		if (!os) {
			if (r->ro->platform && *r->ro->platform) {
				if (ac_registry_parse_platform(r->ro->platform, &os, &arch, &variant, err) < 0)
					goto out;
			} else {
				const char *hos, *harch;
				ac_docker_host_platform(&hos, &harch);
				os = xstrdup(hos);
				arch = xstrdup(harch);
			}
		}
		struct platform pf = { os, arch, variant };
		json_t *d = pick_platform(m, &pf, err);
		const char *dg = d ? json_string_value(json_object_get(d, "digest")) : NULL;
		if (!d || !dg || ac_docker_check_digest(dg, err) < 0) {
			if (d && !dg)
				ac_error_set(err, EBADMSG, "manifest list entry without a digest");
			goto out;
		}
		free(child);
		child = xstrdup(dg);
		json_decref(m);
		m = NULL;
		if (fetch_manifest(r, child, child, &body, &m, &mt, &ctype, err) < 0)
			goto out;
	}
	sha256_of(body.buf, body.len, pl->manhash);
	pl->p.manhash = pl->manhash;
	pl->p.ref = &r->ref;
	if (!strcmp(mt, MT_V22) || !strcmp(mt, MT_OCI)) {
		json_t *cd = json_object_get(m, "config");
		const char *cdig = json_string_value(json_object_get(cd, "digest"));
		json_int_t csize = json_integer_value(json_object_get(cd, "size"));
		if (!cdig) {
			ac_error_set(err, EBADMSG, "manifest does not contain a config");
			goto out;
		}
		if (ac_docker_check_digest(cdig, err) < 0)
			goto out;
		_cleanup_free_ char *curl = xasprintf("%s/v2/%s/blobs/%s", r->base, r->ref.image_name, cdig);
		_cleanup_free_ char *what = xasprintf("config %s", cdig);
		ac_buf cb = AC_BUF_INIT, hb = AC_BUF_INIT;
		int rc = get_small(r, curl, NULL, what, CONFIG_MAX, cdig, csize > 0 ? (unsigned long long)csize : 0,
				   &cb, NULL, &hb, err);
		ac_buf_release(&hb);
		json_error_t je;
		pl->config = rc < 0 ? NULL : json_loadb(cb.buf, cb.len, 0, &je);
		ac_buf_release(&cb);
		if (rc < 0)
			goto out;
		if (!json_is_object(pl->config)) {
			ac_error_set(err, EBADMSG, "%s: invalid JSON", what);
			goto out;
		}
		json_t *lys = json_object_get(m, "layers");
		size_t n = json_array_size(lys);
		json_t *diff_ids = json_object_get(json_object_get(pl->config, "rootfs"), "diff_ids");
		if (!n) {
			ac_error_set(err, EINVAL, "insufficient layers for oci image");
			goto out;
		}
		if (json_is_array(diff_ids) && json_array_size(diff_ids) != n) {
			ac_error_set(err, EBADMSG, "the image config lists %zu layers (diff_ids), the manifest %zu",
				     json_array_size(diff_ids), n);
			goto out;
		}
		pl->layers = xcalloc(n, sizeof(*pl->layers));
		pl->layer_blob = xcalloc(n, sizeof(size_t));
		for (size_t i = 0; i < n; i++) {
			json_t *l = json_array_get(lys, i);
			const char *ld = json_string_value(json_object_get(l, "digest"));
			json_int_t ls = json_integer_value(json_object_get(l, "size"));
			if (!ld || ac_docker_check_digest(ld, err) < 0) {
				if (!ld)
					ac_error_set(err, EBADMSG, "layer %zu without a digest", i);
				goto out;
			}
			if (ls < 0) {
				ac_error_set(err, EBADMSG, "layer %s: invalid size", ld);
				goto out;
			}
			pl->layer_blob[i] = add_blob(r, ld, (unsigned long long)ls);
			struct ac_docker_pulled_layer *pd = &pl->layers[i];
			pd->path = r->blobs[pl->layer_blob[i]].path;
			const char *di = json_string_value(json_array_get(diff_ids, i));
			if (di && ac_docker_check_digest(di, NULL) == 0)
				pd->diff_id = di;
			if (i + 1 < n) {
				char *id = xstrdup(ld);
				id[6] = '-';
				pd->id = keep(pl, id);
			} else {
				pd->id = keep(pl, xstrdup(ld));
			}
		}
		pl->p.config = pl->config;
		pl->p.image_digest = pl->layers[n - 1].id;
		pl->p.layers = pl->layers;
		pl->p.n = n;
		/* blob paths point into r->blobs, which add_blob may move: fix them up */
		for (size_t i = 0; i < n; i++)
			pl->layers[i].path = r->blobs[pl->layer_blob[i]].path;
	} else {
		/* schema1 */
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *tag = json_string_value(json_object_get(m, "tag"));
		if (!name || strcmp(name, r->ref.image_name)) {
			ac_error_set(err, EBADMSG, "name doesn't match what was requested, expected: %s, downloaded: %s",
				     r->ref.image_name, name ? name : "");
			goto out;
		}
		if (*r->ref.tag && (!tag || strcmp(tag, r->ref.tag))) {
			ac_error_set(err, EBADMSG, "tag doesn't match what was requested, expected: %s, downloaded: %s",
				     r->ref.tag, tag ? tag : "");
			goto out;
		}
		char **ids = NULL, **sums = NULL;
		size_t n = 0;
		int rc = schema1_layers(m, &pl->v1s, &ids, &sums, &n, err);
		if (rc == 0) {
			pl->layers = xcalloc(n, sizeof(*pl->layers));
			pl->layer_blob = xcalloc(n, sizeof(size_t));
			for (size_t i = 0; i < n; i++) {
				pl->layer_blob[i] = add_blob(r, sums[i], 0);
				pl->layers[i].id = keep(pl, xstrdup(ids[i]));
				pl->layers[i].v1 = json_array_get(pl->v1s, i);
			}
			for (size_t i = 0; i < n; i++)
				pl->layers[i].path = r->blobs[pl->layer_blob[i]].path;
			pl->p.schema1 = 1;
			pl->p.layers = pl->layers;
			pl->p.n = n;
		}
		ac_strv_free(ids);
		ac_strv_free(sums);
		if (rc < 0)
			goto out;
	}
	ret = 0;
out:
	json_decref(m);
	ac_buf_release(&body);
	return ret;
}

static int load_credentials(struct reg *r, ac_error **err)
{
	const struct ac_registry_opts *ro = r->ro;
	_cleanup_free_ char *user = NULL, *pass = NULL;
	if (ro->username && *ro->username) {
		user = xstrdup(ro->username);
		pass = xstrdup(ro->password ? ro->password : "");
	} else {
		_cleanup_free_ char *def = NULL, *old = NULL, *text = NULL, *helper = NULL;
		const char *home = getenv("HOME");
		const char *path = ro->authfile;
		if (!path && home) {
			def = xasprintf("%s/.docker/config.json", home);
			old = xasprintf("%s/.dockercfg", home);
			path = access(def, F_OK) == 0 ? def : old;
		}
		if (path) {
			size_t len;
			ac_error *e = NULL;
			if (ac_read_file_at(AT_FDCWD, path, 1 << 20, &text, &len, &e) < 0) {
				if (ro->authfile || e->code != ENOENT) {
					*err = e;
					return ac_error_wrap(err, "error reading auth configuration file");
				}
				ac_error_free(&e);
			}
		}
		if (text) {
			int f = ac_registry_config_lookup(text, r->ref.index_url, &user, &pass, &helper, err);
			if (f < 0)
				return ac_error_wrap(err, "%s", path);
			if (f == 0 && helper && ac_registry_cred_helper(helper, r->ref.index_url, &user, &pass, err) < 0)
				return -1;
		}
	}
	if (user) {
		_cleanup_free_ char *up = xasprintf("%s:%s", user, pass ? pass : "");
		_cleanup_free_ char *b = ac_base64_encode(up, strlen(up));
		r->basic = xasprintf("Basic %s", b);
	}
	return 0;
}

static int append_file(ac_buf *b, const char *path, ac_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (ac_read_file_at(AT_FDCWD, path, 16u << 20, &text, &len, err) < 0)
		return -1;
	ac_buf_add(b, text, len);
	if (len && text[len - 1] != '\n')
		ac_buf_addch(b, '\n');
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* cert_dir adds to the CAs rather than replacing them (libcurl's CAINFO
 * replaces): one bundle of the usual one and the extra certificates, in the
 * pull's temporary directory. */
static char *ca_bundle(struct reg *r, ac_error **err)
{
	const char *cd = r->ro->cert_dir;
	ac_buf b = AC_BUF_INIT;
	const char *base = r->ro->ca_file ? r->ro->ca_file : getenv("SSL_CERT_FILE");
	static const char *const sys[] = { "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
					   "/etc/ssl/cert.pem" };
	for (size_t i = 0; (!base || !*base || access(base, R_OK)) && i < ARRAY_SIZE(sys); i++)
		base = sys[i];
	if (access(base, R_OK) == 0 && append_file(&b, base, err) < 0)
		goto fail;
	struct stat st;
	if (stat(cd, &st) < 0) {
		ac_error_errno(err, "cert dir %s", cd);
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (append_file(&b, cd, err) < 0)
			goto fail;
	} else {
		DIR *d = opendir(cd);
		if (!d) {
			ac_error_errno(err, "cert dir %s", cd);
			goto fail;
		}
		char **names = NULL;
		size_t n = 0;
		struct dirent *de;
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l > 4 && (!strcmp(de->d_name + l - 4, ".crt") || !strcmp(de->d_name + l - 4, ".pem"))) {
				names = xrealloc(names, (n + 2) * sizeof(*names));
				names[n++] = xstrdup(de->d_name);
				names[n] = NULL;
			}
		}
		closedir(d);
		if (n)
			qsort(names, n, sizeof(*names), cmp_str);
		int rc = 0;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			_cleanup_free_ char *p = xasprintf("%s/%s", cd, names[i]);
			rc = append_file(&b, p, err);
		}
		ac_strv_free(names);
		if (rc < 0)
			goto fail;
	}
	char *path = xasprintf("%s/ca-bundle.pem", r->tmp);
	if (ac_write_file_atomic(path, b.buf, b.len, 0600, err) < 0) {
		free(path);
		goto fail;
	}
	ac_buf_release(&b);
	return path;
fail:
	ac_buf_release(&b);
	return NULL;
}

int ac_docker_convert_remote(const char *refstr, const struct ac_docker_opts *o, const struct ac_registry_opts *ro,
			     struct ac_docker_result *res, ac_error **err)
{
	static const struct ac_registry_opts defaults;
	memset(res, 0, sizeof(*res));
	if (!ro)
		ro = &defaults;
	struct reg r = { 0 };
	r.ro = ro;
	r.rootfd = -1;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	struct pulled pl = { 0 };
	pthread_t *threads = NULL;
	size_t nthreads = 0;
	int ret = -1;
	_cleanup_free_ char *bundle = NULL;
	if (ac_docker_parse_ref(refstr, &r.ref, err) < 0)
		goto out;
	r.repo_scope = xasprintf("repository:%s:pull", r.ref.image_name);
	r.tmp = ac_mkdtemp(o->tmp_dir && *o->tmp_dir ? o->tmp_dir : ac_tmpdir(), "docker2aci-pull", err);
	if (!r.tmp)
		goto out;
	r.rootfd = open(r.tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.rootfd < 0) {
		ac_error_errno(err, "%s", r.tmp);
		goto out;
	}
	struct ac_registry_opts ro_ca;
	if (ro->cert_dir && *ro->cert_dir) {
		if (!(bundle = ca_bundle(&r, err)))
			goto out;
		ro_ca = *ro;
		ro_ca.ca_file = bundle;
		r.ro = &ro_ca;
	}
	if (load_credentials(&r, err) < 0 || pull(&r, &pl, err) < 0)
		goto out;
	size_t jobs = ro->jobs > 0 ? (size_t)ro->jobs : 3;
	nthreads = jobs < r.nblobs ? jobs : r.nblobs;
	threads = xcalloc(nthreads ? nthreads : 1, sizeof(*threads));
	pthread_mutex_lock(&r.lock);
	progress(&r, 1);
	pthread_mutex_unlock(&r.lock);
	for (size_t i = 0; i < nthreads; i++) {
		int e = pthread_create(&threads[i], NULL, worker, &r);
		if (e) {
			nthreads = i;
			errno = e;
			ac_error_errno(err, "pthread_create");
			goto out;
		}
	}
	struct waiter w = { &r, pl.layer_blob };
	pl.p.wait_layer = wait_layer;
	pl.p.wait_arg = &w;
	ret = ac_docker_convert_pulled(r.rootfd, &pl.p, o, res, err);
out:
	pthread_mutex_lock(&r.lock);
	r.abort = 1;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	for (size_t i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	if (r.rootfd >= 0)
		close(r.rootfd);
	if (r.tmp) {
		ac_rm_rf(r.tmp, NULL);
		free(r.tmp);
	}
	for (size_t i = 0; i < r.nblobs; i++) {
		free(r.blobs[i].digest);
		free(r.blobs[i].path);
	}
	free(r.blobs);
	for (size_t i = 0; i < r.ntok; i++) {
		free(r.tok_scope[i]);
		free(r.tok_value[i]);
	}
	free(r.tok_scope);
	free(r.tok_value);
	ac_error_free(&r.first_err);
	for (size_t i = 0; i < pl.nstrs; i++)
		free(pl.strs[i]);
	free(pl.strs);
	free(pl.layers);
	free(pl.layer_blob);
	json_decref(pl.config);
	json_decref(pl.v1s);
	free(r.base);
	free(r.repo_scope);
	free(r.basic);
	free(r.scheme);
	if (r.ref.original)
		ac_docker_ref_free(&r.ref);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.cond);
	return ret;
}
