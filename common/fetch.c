/* Fetching images by appc name (see ac/fetch.h). */
#include "ac/fetch.h"

#include <fcntl.h>
#include "ac/aci.h"
#include "ac/fs.h"

#define DEFAULT_MAX_SIZE (8ull << 30)

void ac_fetched_free(struct ac_fetched *f)
{
	free(f->aci_path);
	free(f->asc_path);
	free(f->aci_url);
	json_decref(f->manifest);
	memset(f, 0, sizeof(*f));
}

int ac_fetch_check_manifest(json_t *m, const struct ac_app *req, ac_error **err)
{
	const char *name = json_string_value(json_object_get(m, "name"));
	if (!name || strcmp(name, req->name))
		return ac_error_set(err, EBADMSG, "error when reading the app name: \"%s\" expected but \"%s\" found",
				    req->name, name ? name : "");
	json_t *labels = json_object_get(m, "labels");
	for (size_t i = 0; i < req->nlabels; i++) {
		const char *want = req->labels[i].value, *got = NULL;
		size_t j;
		json_t *l;
		json_array_foreach(labels, j, l) {
			if (!strcmp(json_string_value(json_object_get(l, "name")), req->labels[i].key))
				got = json_string_value(json_object_get(l, "value"));
		}
		if (!got)
			return ac_error_set(err, EBADMSG, "requested label \"%s\" not provided by the image manifest",
					    req->labels[i].key);
		if (strcmp(got, want))
			return ac_error_set(err, EBADMSG,
					    "requested value for label \"%s\": \"%s\" differs from fetched aci label value: \"%s\"",
					    req->labels[i].key, want, got);
	}
	return 0;
}

struct dl {
	int fd;
	uint64_t done, max;
	const char *url;
	const struct ac_fetch_opts *o;
	ac_error **err;
};

static int dl_sink(void *arg, const void *buf, size_t len)
{
	struct dl *d = arg;
	if (d->done + len > d->max) {
		ac_error_set(d->err, EFBIG, "%s: larger than %llu bytes", d->url, (unsigned long long)d->max);
		return -1;
	}
	if (ac_write_all(d->fd, buf, len) < 0) {
		ac_error_errno(d->err, "%s: write", d->url);
		return -1;
	}
	d->done += len;
	if (d->o && d->o->progress)
		d->o->progress(d->o->progress_arg, d->url, d->done, -1);
	return 0;
}

int ac_fetch_url(const char *url, const char *path, const struct ac_http_opts *ho, uint64_t max,
		 const struct ac_fetch_opts *o, ac_error **err)
{
	ac_outfile out;
	if (ac_outfile_open(&out, path, 0644, AC_OUT_OVERWRITE, err) < 0)
		return -1;
	struct dl d = { out.fd, 0, max ? max : DEFAULT_MAX_SIZE, url, o, err };
	struct ac_http_response resp;
	int r = ac_http_get(url, ho, dl_sink, &d, &resp, err);
	if (r == 0 && resp.status != 200)
		r = ac_error_set(err, EIO, "GET %s: expected a 200 OK got %ld", url, resp.status);
	ac_http_response_free(&resp);
	if (r == 0)
		r = ac_outfile_commit(&out, err);
	if (r < 0)
		ac_outfile_abort(&out);
	return r;
}

/* Hands an error over to the caller's err (which may be NULL). */
static void pass_error(ac_error **err, ac_error **e)
{
	if (err) {
		ac_error_free(err);
		*err = *e;
		*e = NULL;
	} else {
		ac_error_free(e);
	}
}

/* Validates the downloaded image and reads its image ID. */
static int check_image(const char *path, struct ac_fetched *f, ac_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "open %s", path);
	if (ac_aci_validate(fd, f->aci_url, &f->manifest, err) < 0)
		return -1;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return ac_error_errno(err, "seek %s", path);
	ac_aci_reader *r = ac_aci_reader_open(fd, f->aci_url, err);
	if (!r)
		return -1;
	int ret = ac_aci_reader_finish(r, f->image_id, err);
	ac_aci_reader_free(r);
	return ret;
}

int ac_fetch_by_name(const char *s, const char *dir, const struct ac_fetch_opts *o, struct ac_fetched *out,
		     ac_error **err)
{
	static const struct ac_fetch_opts defaults;
	struct ac_app app, req;
	struct ac_discovery d;
	/* set before any goto: cleanup runs on every path */
	_cleanup_free_ char *base = xasprintf("%s/fetch-%d", dir, (int)getpid());
	_cleanup_free_ char *aci = xasprintf("%s.aci", base), *asc = xasprintf("%s.aci.asc", base);
	if (!o)
		o = &defaults;
	memset(out, 0, sizeof(*out));
	if (ac_app_parse(s, &req, err) < 0 || ac_app_parse(s, &app, err) < 0)
		return -1;
	ac_app_default_os_arch(&app);
	int ret = -1;
	/* the credentials are read once, for the pages and the downloads */
	struct ac_auth own = { NULL, 0 };
	struct ac_discovery_opts dopts = o->disc;
	if (!dopts.no_auth && !dopts.auth) {
		if (ac_auth_load_default(&own, NULL, NULL, err) < 0) {
			memset(&d, 0, sizeof(d));
			goto out;
		}
		dopts.auth = &own;
	}
	if (ac_discover(&app, AC_DISCOVER_ENDPOINTS, &dopts, &d, err) < 0) {
		/* the attempt nearest the root says most (often DNS) */
		if (d.nattempts)
			ac_error_set(err, ENOENT, "discovery failed: %s", d.attempts[d.nattempts - 1].error);
		else
			ac_error_set(err, ENOENT, "discovery failed: no ac-discovery meta tag for %s", s);
		goto out;
	}
	struct ac_http_opts ho = { .allow_http = dopts.insecure || dopts.insecure_http,
				   .insecure_tls = dopts.insecure || dopts.insecure_tls, .ca_file = dopts.ca_file };
	const struct ac_auth *auth = dopts.no_auth ? NULL : dopts.auth;
	/* the first endpoint that answers */
	ac_error *last = NULL;
	for (size_t i = 0; i < d.nendpoints; i++) {
		ac_error_free(&last);
		ho.authorization = ac_auth_for_url(auth, d.endpoints[i].aci);
		if (ac_fetch_url(d.endpoints[i].aci, aci, &ho, o->max_size, o, &last) < 0)
			continue;
		out->aci_url = xstrdup(d.endpoints[i].aci);
		ho.authorization = ac_auth_for_url(auth, d.endpoints[i].asc);
		if (ac_fetch_url(d.endpoints[i].asc, asc, &ho, 1 << 20, NULL, &last) == 0)
			out->asc_path = xstrdup(asc);
		else if (o->need_signature) {
			unlink(aci);
			ac_error_wrap(&last, "no signature for %s", s);
			pass_error(err, &last);
			free(out->aci_url);
			out->aci_url = NULL;
			goto out;
		} else
			ac_error_free(&last);
		break;
	}
	if (!out->aci_url) {
		if (last)
			pass_error(err, &last);
		else
			ac_error_set(err, ENOENT, "%s: no image could be downloaded", s);
		goto out;
	}
	out->aci_path = xstrdup(aci);
	if (check_image(aci, out, err) < 0 || ac_fetch_check_manifest(out->manifest, &req, err) < 0) {
		unlink(aci);
		if (out->asc_path)
			unlink(out->asc_path);
		ac_fetched_free(out);
		goto out;
	}
	ret = 0;
out:
	ac_auth_free(&own);
	ac_discovery_free(&d);
	ac_app_free(&app);
	ac_app_free(&req);
	return ret;
}
