/* appc discovery (see ac/discovery.h). */
#include "ac/discovery.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/utsname.h>
#include "ac/fs.h"
#include "ac/manifest.h"
#include "ac/registry.h" /* ac_base64_encode */

/* ---- app strings ---- */

void ac_app_free(struct ac_app *app)
{
	free(app->name);
	ac_kv_free(app->labels, app->nlabels);
	memset(app, 0, sizeof(*app));
}

const char *ac_app_label(const struct ac_app *app, const char *name)
{
	for (size_t i = 0; i < app->nlabels; i++)
		if (!strcmp(app->labels[i].key, name))
			return app->labels[i].value;
	return NULL;
}

void ac_app_set_label(struct ac_app *app, const char *name, const char *value)
{
	for (size_t i = 0; i < app->nlabels; i++)
		if (!strcmp(app->labels[i].key, name)) {
			free(app->labels[i].value);
			app->labels[i].value = xstrdup(value);
			return;
		}
	app->labels = xrealloc(app->labels, (app->nlabels + 1) * sizeof(*app->labels));
	app->labels[app->nlabels].key = xstrdup(name);
	app->labels[app->nlabels].value = xstrdup(value);
	app->nlabels++;
}

const char *ac_host_arch(void)
{
	static char arch[65];
	struct utsname u;
	if (arch[0])
		return arch;
	if (uname(&u) < 0)
		snprintf(u.machine, sizeof(u.machine), "unknown");
	const char *m = u.machine;
	if (!strcmp(m, "x86_64"))
		m = "amd64";
	else if (strlen(m) == 4 && m[0] == 'i' && !strcmp(m + 2, "86"))
		m = "i386";
	snprintf(arch, sizeof(arch), "%s", m);
	return arch;
}

void ac_app_default_os_arch(struct ac_app *app)
{
	const char *os = ac_app_label(app, "os"), *arch = ac_app_label(app, "arch");
	if (!os || !*os)
		ac_app_set_label(app, "os", "linux");
	if (!arch || !*arch)
		ac_app_set_label(app, "arch", ac_host_arch());
}

int ac_app_parse(const char *s, struct ac_app *app, ac_error **err)
{
	const char *comma = strchr(s, ','), *colon = strchr(s, ':');
	memset(app, 0, sizeof(*app));
	if (colon && comma && colon > comma)
		return ac_error_set(err, EINVAL, "malformed app string - colon may appear only right after the app name");
	if (colon && strchr(colon + 1, ':'))
		return ac_error_set(err, EINVAL, "malformed app string - colon may appear at most once");
	_cleanup_free_ char *prepared = colon ? xasprintf("%.*s,version=%s", (int)(colon - s), s, colon + 1)
					      : xstrdup(s);
	struct ac_kv *kv;
	size_t n;
	if (ac_kv_parse(prepared, "name", &kv, &n, err) < 0)
		return -1;
	const char *msg;
	if (ac_check_acidentifier(kv[0].value, &msg) < 0) {
		ac_kv_free(kv, n);
		return ac_error_set(err, EINVAL, "%s", msg);
	}
	for (size_t i = 1; i < n; i++)
		if (ac_check_acidentifier(kv[i].key, &msg) < 0) {
			ac_error_set(err, EINVAL, "label %s: %s", kv[i].key, msg);
			ac_kv_free(kv, n);
			return -1;
		}
	app->name = steal_pointer(&kv[0].value);
	free(kv[0].key);
	memmove(kv, kv + 1, (n - 1) * sizeof(*kv));
	app->labels = kv;
	app->nlabels = n - 1;
	return 0;
}

/* ---- HTML ---- */

void ac_meta_free(struct ac_meta *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].prefix);
		free(m[i].uri);
	}
	free(m);
}

static void put_utf8(ac_buf *b, unsigned long cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	char u[4];
	if (cp < 0x80) {
		ac_buf_addch(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		ac_buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		ac_buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		ac_buf_add(b, u, 4);
	}
}

/* An attribute value with character references decoded (the common named
 * ones and numeric ones; others are kept as written). */
static char *decode_value(const char *s, size_t n)
{
	static const struct { const char *name; char c; } named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
	};
	ac_buf b = AC_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '&') {
			ac_buf_addch(&b, s[i]);
			continue;
		}
		size_t k;
		for (k = 0; k < ARRAY_SIZE(named); k++) {
			size_t l = strlen(named[k].name);
			if (i + 1 + l <= n && !strncmp(s + i + 1, named[k].name, l)) {
				ac_buf_addch(&b, named[k].c);
				i += l;
				break;
			}
		}
		if (k < ARRAY_SIZE(named))
			continue;
		if (i + 2 < n && s[i + 1] == '#') {
			size_t j = i + 2;
			int hex = j < n && (s[j] == 'x' || s[j] == 'X');
			j += hex;
			unsigned long cp = 0;
			size_t digits = 0;
			while (j < n && (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j]))) {
				if (cp < 0x110000)
					cp = cp * (hex ? 16 : 10) +
					     (unsigned long)(isdigit((unsigned char)s[j]) ? s[j] - '0'
											: (tolower((unsigned char)s[j]) - 'a' + 10));
				j++;
				digits++;
			}
			if (digits) {
				put_utf8(&b, cp);
				i = (j < n && s[j] == ';') ? j : j - 1;
				continue;
			}
		}
		ac_buf_addch(&b, '&');
	}
	return ac_buf_detach(&b, NULL);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int name_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(s, lit, n);
}

/* Skips past the end tag of a raw-text element (script, style, ...). */
static size_t skip_raw_text(const char *h, size_t len, size_t i, const char *tag, size_t tlen)
{
	for (; i + 2 + tlen <= len; i++)
		if (h[i] == '<' && h[i + 1] == '/' && !strncasecmp(h + i + 2, tag, tlen))
			return i;
	return len;
}

/* Adds a meta tag when it is an "ac-" one with "PREFIX URI" content, as
 * the original's appendMeta. */
static void add_meta(struct ac_meta **out, size_t *n, char *name, char *content)
{
	if (!name || !content || strncmp(name, "ac-", 3))
		return;
	char *c = content;
	while (is_space(*c))
		c++;
	size_t l = strlen(c);
	while (l && is_space(c[l - 1]))
		c[--l] = '\0';
	char *sp = strchr(c, ' ');
	if (!sp)
		return;
	char *uri = sp + 1;
	while (is_space(*uri))
		uri++;
	if (sp == c || !*uri)
		return;
	*out = xrealloc(*out, (*n + 1) * sizeof(**out));
	(*out)[*n].name = xstrdup(name);
	(*out)[*n].prefix = xstrndup(c, (size_t)(sp - c));
	(*out)[*n].uri = xstrdup(uri);
	(*n)++;
}

size_t ac_html_find_meta(const char *h, size_t len, struct ac_meta **out, size_t max)
{
	size_t n = 0, i = 0;
	*out = NULL;
	while (i < len && n < max) {
		const char *lt = memchr(h + i, '<', len - i);
		if (!lt)
			break;
		i = (size_t)(lt - h) + 1;
		if (i + 3 <= len && !memcmp(h + i, "!--", 3)) {
			const char *end = memmem(h + i + 3, len - i - 3, "-->", 3);
			i = end ? (size_t)(end - h) + 3 : len;
			continue;
		}
		if (i < len && (h[i] == '!' || h[i] == '?' || h[i] == '/')) {
			/* doctype, processing instruction, end tag */
			const char *gt = memchr(h + i, '>', len - i);
			i = gt ? (size_t)(gt - h) + 1 : len;
			continue;
		}
		if (i >= len || !isalpha((unsigned char)h[i]))
			continue; /* a lone '<' is text */
		size_t t0 = i;
		while (i < len && !is_space(h[i]) && h[i] != '/' && h[i] != '>')
			i++;
		const char *tag = h + t0;
		size_t tlen = i - t0;
		char *name = NULL, *content = NULL;
		/* attributes */
		while (i < len && h[i] != '>') {
			if (is_space(h[i]) || h[i] == '/') {
				i++;
				continue;
			}
			size_t a0 = i;
			while (i < len && !is_space(h[i]) && h[i] != '/' && h[i] != '>' && h[i] != '=')
				i++;
			if (i == a0)
				i++; /* a stray '=' */
			const char *an = h + a0;
			size_t alen = i - a0;
			while (i < len && is_space(h[i]))
				i++;
			const char *v = NULL;
			size_t vlen = 0;
			if (i < len && h[i] == '=') {
				i++;
				while (i < len && is_space(h[i]))
					i++;
				if (i < len && (h[i] == '"' || h[i] == '\'')) {
					char q = h[i++];
					const char *end = memchr(h + i, q, len - i);
					v = h + i;
					vlen = end ? (size_t)(end - v) : len - i;
					i = end ? (size_t)(end - h) + 1 : len;
				} else {
					v = h + i;
					while (i < len && !is_space(h[i]) && h[i] != '>')
						i++;
					vlen = (size_t)(h + i - v);
				}
			}
			if (name_eq(tag, tlen, "meta") && v) {
				/* the first of a repeated attribute wins, as in HTML */
				if (name_eq(an, alen, "name") && !name)
					name = decode_value(v, vlen);
				else if (name_eq(an, alen, "content") && !content)
					content = decode_value(v, vlen);
			}
		}
		i++; /* past '>' */
		if (name_eq(tag, tlen, "meta"))
			add_meta(out, &n, name, content);
		free(name);
		free(content);
		if (name_eq(tag, tlen, "script") || name_eq(tag, tlen, "style") || name_eq(tag, tlen, "textarea") ||
		    name_eq(tag, tlen, "title") || name_eq(tag, tlen, "xmp") || name_eq(tag, tlen, "plaintext"))
			i = skip_raw_text(h, len, i, tag, tlen);
	}
	return n;
}

/* ---- credentials (rkt's auth.d) ---- */

#define AUTH_FILE_MAX (1u << 20)

void ac_auth_free(struct ac_auth *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].domain);
		free(a->v[i].authorization);
		free(a->v[i].file);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static void auth_put(struct ac_auth *a, const char *domain, const char *authz, const char *file)
{
	size_t i;
	for (i = 0; i < a->n && strcasecmp(a->v[i].domain, domain); i++)
		;
	if (i == a->n) {
		a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
		a->v[a->n++] = (struct ac_auth_entry){ xstrdup(domain), NULL, NULL };
	}
	free(a->v[i].authorization);
	free(a->v[i].file);
	a->v[i].authorization = xstrdup(authz);
	a->v[i].file = xstrdup(file);
}

static const char *json_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* One file, with rkt's checks and messages; adds to dir_set (the entries
 * of this directory, where a repeated domain is an error). */
static int auth_parse(const char *path, struct ac_auth *dir_set, ac_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	ac_error *e = NULL;
	if (ac_read_file_at(AT_FDCWD, path, AUTH_FILE_MAX, &data, &len, &e) < 0) {
		int skip = e->code == EACCES || e->code == ENOENT; /* the admin's, not for this user */
		if (skip) {
			ac_error_free(&e);
			return 0;
		}
		*err = e;
		return -1;
	}
	json_error_t je;
	json_t *j = json_loadb(data, len, 0, &je);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return ac_error_set(err, EINVAL, "%s: not a JSON object%s%s", path, j ? "" : ": ", j ? "" : je.text);
	}
	int rc = 0;
	const char *kind = json_str(j, "rktKind"), *ver = json_str(j, "rktVersion"), *type = json_str(j, "type");
	json_t *domains = json_object_get(j, "domains"), *creds = json_object_get(j, "credentials");
	_cleanup_free_ char *authz = NULL;
	if (!strcmp(kind, "dockerAuth"))
		goto out; /* registry credentials: docker2aci's business */
	if (strcmp(kind, "auth") || strcmp(ver, "v1")) {
		rc = ac_error_set(err, EINVAL, "%s: no parser available for configuration of kind \"%s\" and version \"%s\"",
				  path, kind, ver);
		goto out;
	}
	if (!json_is_array(domains) || json_array_size(domains) == 0) {
		rc = ac_error_set(err, EINVAL, "%s: no domains specified", path);
		goto out;
	}
	if (!strcmp(type, "basic")) {
		const char *user = json_str(creds, "user"), *pass = json_str(creds, "password");
		if (!*user || !*pass) {
			rc = ac_error_set(err, EINVAL, "%s: %s not specified", path, *user ? "password" : "user");
			goto out;
		}
		if (strchr(user, ':')) {
			rc = ac_error_set(err, EINVAL, "%s: a user name cannot contain ':'", path);
			goto out;
		}
		_cleanup_free_ char *up = xasprintf("%s:%s", user, pass);
		_cleanup_free_ char *b = ac_base64_encode(up, strlen(up));
		authz = xasprintf("Basic %s", b);
	} else if (!strcmp(type, "oauth")) {
		const char *tok = json_str(creds, "token");
		if (!*tok) {
			rc = ac_error_set(err, EINVAL, "%s: no oauth bearer token specified", path);
			goto out;
		}
		authz = xasprintf("Bearer %s", tok);
	} else {
		rc = ac_error_set(err, EINVAL, "%s: unknown auth type: \"%s\"", path, type);
		goto out;
	}
	/* a header value must stay one line */
	if (strpbrk(authz, "\r\n")) {
		rc = ac_error_set(err, EINVAL, "%s: credentials with a line break", path);
		goto out;
	}
	size_t i;
	json_t *d;
	json_array_foreach(domains, i, d) {
		const char *dom = json_string_value(d);
		if (!dom || !*dom || strpbrk(dom, "/@ \t\r\n")) {
			rc = ac_error_set(err, EINVAL, "%s: bad domain %s", path, dom ? dom : "(not a string)");
			goto out;
		}
		for (size_t k = 0; k < dir_set->n; k++)
			if (!strcasecmp(dir_set->v[k].domain, dom)) {
				rc = ac_error_set(err, EINVAL, "%s: auth for domain \"%s\" is already specified in %s", path,
						  dom, dir_set->v[k].file);
				goto out;
			}
		auth_put(dir_set, dom, authz, path);
	}
out:
	json_decref(j);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ac_auth_load_dir(struct ac_auth *a, const char *auth_d, ac_error **err)
{
	DIR *d = opendir(auth_d);
	if (!d)
		return 0; /* missing, or the admin's and not readable by this user */
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && ac_str_has_suffix(de->d_name, ".json")) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	struct ac_auth set = { NULL, 0 };
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", auth_d, names[i]);
		struct stat st;
		if (rc == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode))
			rc = auth_parse(p, &set, err);
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; rc == 0 && i < set.n; i++)
		auth_put(a, set.v[i].domain, set.v[i].authorization, set.v[i].file);
	ac_auth_free(&set);
	return rc;
}

int ac_auth_load_default(struct ac_auth *a, const char *system_dir, const char *local_dir, ac_error **err)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	_cleanup_free_ char *sys = xasprintf("%s/auth.d", system_dir ? system_dir : AC_CONFIG_SYSTEM_DIR);
	_cleanup_free_ char *loc = xasprintf("%s/auth.d", local_dir ? local_dir : AC_CONFIG_LOCAL_DIR);
	_cleanup_free_ char *user = xdg && xdg[0] == '/' ? xasprintf("%s/acrun/auth.d", xdg)
				    : home && *home ? xasprintf("%s/.config/acrun/auth.d", home) : NULL;
	if (ac_auth_load_dir(a, sys, err) < 0 || ac_auth_load_dir(a, loc, err) < 0 ||
	    (user && ac_auth_load_dir(a, user, err) < 0))
		return -1;
	return 0;
}

const char *ac_auth_for_url(const struct ac_auth *a, const char *url)
{
	if (!a || !ac_str_has_prefix(url, "https://"))
		return NULL;
	const char *h = url + 8;
	size_t alen = strcspn(h, "/?#");
	if (memchr(h, '@', alen))
		return NULL; /* user info in the URL: not ours to add to */
	/* host and host:port; [v6]:port keeps its brackets */
	size_t hlen = alen;
	const char *colon = h[0] == '[' ? NULL : memchr(h, ':', alen);
	if (h[0] == '[') {
		const char *rb = memchr(h, ']', alen);
		hlen = rb ? (size_t)(rb - h) + 1 : alen;
	} else if (colon) {
		hlen = (size_t)(colon - h);
	}
	for (size_t i = 0; i < a->n; i++) {
		const char *dom = a->v[i].domain;
		size_t dl = strlen(dom);
		int with_port = dom[0] == '[' ? strstr(dom, "]:") != NULL : strchr(dom, ':') != NULL;
		if (with_port ? (dl == alen && !strncasecmp(dom, h, alen)) : (dl == hlen && !strncasecmp(dom, h, hlen)))
			return a->v[i].authorization;
	}
	return NULL;
}

/* ---- the walk ---- */

void ac_discovery_free(struct ac_discovery *d)
{
	for (size_t i = 0; i < d->nendpoints; i++) {
		free(d->endpoints[i].aci);
		free(d->endpoints[i].asc);
	}
	free(d->endpoints);
	ac_strv_free(d->keys);
	for (size_t i = 0; i < d->nattempts; i++) {
		free(d->attempts[i].prefix);
		free(d->attempts[i].error);
	}
	free(d->attempts);
	memset(d, 0, sizeof(*d));
}

static char *replace_all(const char *s, const char *from, const char *to)
{
	ac_buf b = AC_BUF_INIT;
	size_t fl = strlen(from);
	for (const char *p; (p = strstr(s, from));) {
		ac_buf_add(&b, s, (size_t)(p - s));
		ac_buf_addstr(&b, to);
		s = p + fl;
	}
	ac_buf_addstr(&b, s);
	return ac_buf_detach(&b, NULL);
}

/* Renders {name}, every label and {ext}; NULL when a "{...}" is left. */
static char *render(const char *tpl, const struct ac_app *app, const char *ext)
{
	char *s = replace_all(tpl, "{name}", app->name);
	for (size_t i = 0; i < app->nlabels; i++) {
		_cleanup_free_ char *var = xasprintf("{%s}", app->labels[i].key);
		char *t = replace_all(s, var, app->labels[i].value);
		free(s);
		s = t;
	}
	char *t = replace_all(s, "{ext}", ext);
	free(s);
	const char *open = strchr(t, '{');
	if (open && strchr(open, '}')) {
		free(t);
		return NULL;
	}
	return t;
}

/* A prefix covers a name on a path-component boundary only. */
static int prefix_covers(const char *prefix, const char *name)
{
	size_t l = strlen(prefix);
	if (strncmp(name, prefix, l))
		return 0;
	return name[l] == '\0' || name[l] == '/' || (l && prefix[l - 1] == '/');
}

static int fetch_page(const char *prefix, const struct ac_discovery_opts *o, const struct ac_auth *auth, ac_buf *page,
		      ac_error **err)
{
	const char *slash = strchr(prefix, '/');
	size_t hostlen = slash ? (size_t)(slash - prefix) : strlen(prefix);
	/* AC_DISCOVERY_PORT: discovery against a server on another port (names
	 * cannot carry one), for private setups and tests */
	const char *envport = getenv("AC_DISCOVERY_PORT");
	_cleanup_free_ char *port = o->port ? xasprintf(":%u", o->port)
				  : envport && *envport ? xasprintf(":%s", envport) : xstrdup("");
	const char *schemes[] = { "https", "http" };
	int http = o->insecure || o->insecure_http, tls = o->insecure || o->insecure_tls;
	ac_error *first = NULL;
	for (int s = 0; s < (http ? 2 : 1); s++) {
		_cleanup_free_ char *url = xasprintf("%s://%.*s%s%s?ac-discovery=1", schemes[s], (int)hostlen, prefix,
						     port, slash ? slash : "");
		struct ac_http_opts ho = { .allow_http = http, .insecure_tls = tls, .ca_file = o->ca_file,
					   .authorization = ac_auth_for_url(auth, url) };
		struct ac_http_response resp;
		ac_error *e = NULL;
		ac_buf_reset(page);
		int r = ac_http_get_buf(url, &ho, AC_DISCOVERY_MAX_PAGE, page, &resp, &e);
		if (r == 0 && resp.status != 200)
			ac_error_set(&e, EIO, "GET %s: expected a 200 OK got %ld", url, resp.status);
		ac_http_response_free(&resp);
		if (!e) {
			ac_error_free(&first);
			return 0;
		}
		if (!first)
			first = e;
		else {
			ac_error_free(&first);
			first = e;
		}
	}
	*err = first;
	return -1;
}

int ac_discover(const struct ac_app *app, enum ac_discovery_want want, const struct ac_discovery_opts *o,
		struct ac_discovery *d, ac_error **err)
{
	static const struct ac_discovery_opts defaults;
	struct ac_app tapp = { app->name, app->labels, app->nlabels };
	struct ac_kv *labels = NULL;
	if (!o)
		o = &defaults;
	memset(d, 0, sizeof(*d));
	struct ac_auth own = { NULL, 0 };
	const struct ac_auth *auth = o->no_auth ? NULL : o->auth;
	if (!o->no_auth && !o->auth) {
		if (ac_auth_load_default(&own, NULL, NULL, err) < 0)
			return -1;
		auth = &own;
	}
	/* {version} defaults to "latest" */
	const char *ver = ac_app_label(app, "version");
	if (!ver || !*ver) {
		labels = xcalloc(app->nlabels + 1, sizeof(*labels));
		memcpy(labels, app->labels, app->nlabels * sizeof(*labels));
		size_t n = app->nlabels;
		if (ver) { /* present but empty */
			for (size_t i = 0; i < n; i++)
				if (!strcmp(labels[i].key, "version"))
					labels[i].value = "latest";
		} else {
			labels[n].key = "version";
			labels[n].value = "latest";
			n++;
		}
		tapp.labels = labels;
		tapp.nlabels = n;
	}

	_cleanup_free_ char *name = xstrdup(app->name);
	ac_buf page;
	ac_buf_init(&page, 0);
	int found = 0;
	for (;;) {
		ac_error *e = NULL;
		if (fetch_page(name, o, auth, &page, &e) < 0) {
			d->attempts = xrealloc(d->attempts, (d->nattempts + 1) * sizeof(*d->attempts));
			d->attempts[d->nattempts].prefix = xstrdup(name);
			d->attempts[d->nattempts].error = xstrdup(e->msg);
			d->nattempts++;
			ac_error_free(&e);
		} else {
			struct ac_meta *m;
			size_t n = ac_html_find_meta(page.buf, page.len, &m, AC_DISCOVERY_MAX_TAGS);
			for (size_t i = 0; i < n; i++) {
				if (!prefix_covers(m[i].prefix, app->name))
					continue;
				if (!strcmp(m[i].name, "ac-discovery")) {
					char *aci = render(m[i].uri, &tapp, "aci");
					char *asc = render(m[i].uri, &tapp, "aci.asc");
					if (aci && asc) {
						d->endpoints = xrealloc(d->endpoints,
									(d->nendpoints + 1) * sizeof(*d->endpoints));
						d->endpoints[d->nendpoints].aci = aci;
						d->endpoints[d->nendpoints].asc = asc;
						d->nendpoints++;
					} else {
						free(aci);
						free(asc);
					}
				} else if (!strcmp(m[i].name, "ac-discovery-pubkeys")) {
					d->keys = xrealloc(d->keys, (d->nkeys + 2) * sizeof(char *));
					d->keys[d->nkeys++] = xstrdup(m[i].uri);
					d->keys[d->nkeys] = NULL;
				}
			}
			ac_meta_free(m, n);
			found = want == AC_DISCOVER_ENDPOINTS ? d->nendpoints > 0 : d->nkeys > 0;
			if (found)
				break;
			/* a page without what we want: results so far are dropped, as
			 * the original returns only the page that had them */
			for (size_t i = 0; i < d->nendpoints; i++) {
				free(d->endpoints[i].aci);
				free(d->endpoints[i].asc);
			}
			d->nendpoints = 0;
			for (size_t i = 0; i < d->nkeys; i++)
				free(d->keys[i]);
			d->nkeys = 0;
			if (d->keys)
				d->keys[0] = NULL;
		}
		char *slash = strrchr(name, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	ac_buf_release(&page);
	free(labels);
	ac_auth_free(&own);
	if (!found)
		return ac_error_set(err, ENOENT, "discovery failed");
	return 0;
}
