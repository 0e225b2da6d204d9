/* Registry authentication pieces: WWW-Authenticate parsing, credentials
 * from docker config files and credential helpers, base64, Retry-After. */
#include "ac/registry.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "ac/buf.h"
#include "ac/fs.h"

extern char **environ;

/* ---- base64 ---- */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

char *ac_base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *out = xmalloc(n / 4 * 3 + 4);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' || s[i] == '\n' || s[i] == '\r')
			continue;
		int v = b64val((unsigned char)s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}

char *ac_base64_encode(const void *data, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* ---- WWW-Authenticate (RFC 7235) ---- */

static int is_tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void chal_add(struct ac_auth_challenge *c, char *k, char *v)
{
	c->keys = xrealloc(c->keys, (c->n + 1) * sizeof(*c->keys));
	c->values = xrealloc(c->values, (c->n + 1) * sizeof(*c->values));
	c->keys[c->n] = k;
	c->values[c->n++] = v;
}

static char *lower_dup(const char *s, size_t n)
{
	char *r = xstrndup(s, n);
	for (char *q = r; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return r;
}

int ac_auth_challenges_parse(const char *hdr, struct ac_auth_challenge **out, ac_error **err)
{
	struct ac_auth_challenge *cs = NULL;
	size_t n = 0;
	const char *p = hdr;
	*out = NULL;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (is_tchar((unsigned char)*p))
			p++;
		if (p == s)
			goto bad;
		cs = xrealloc(cs, (n + 1) * sizeof(*cs));
		struct ac_auth_challenge *c = &cs[n++];
		memset(c, 0, sizeof(*c));
		c->scheme = lower_dup(s, (size_t)(p - s));
		/* parameters until the next scheme (a token not followed by "=") */
		for (;;) {
			const char *q = p;
			while (*q == ' ' || *q == '\t' || *q == ',')
				q++;
			if (!*q) {
				p = q;
				break;
			}
			const char *ks = q;
			while (is_tchar((unsigned char)*q))
				q++;
			const char *ke = q;
			q = skip_ws(q);
			if (ke == ks)
				goto bad;
			if (*q != '=') {
				p = ks; /* a new challenge */
				break;
			}
			/* token68 ("abc==") has only "=" up to the end or a comma */
			const char *t = q;
			while (*t == '=')
				t++;
			if (c->n == 0 && (!*skip_ws(t) || *skip_ws(t) == ',')) {
				chal_add(c, xstrdup(""), xstrndup(ks, (size_t)(t - ks)));
				p = t;
				continue;
			}
			q = skip_ws(q + 1);
			char *key = lower_dup(ks, (size_t)(ke - ks));
			ac_buf v = AC_BUF_INIT;
			if (*q == '"') {
				q++;
				while (*q && *q != '"') {
					if (*q == '\\' && q[1])
						q++;
					ac_buf_addch(&v, *q++);
				}
				if (*q != '"') {
					free(key);
					ac_buf_release(&v);
					goto bad;
				}
				q++;
			} else {
				while (*q && *q != ',' && *q != ' ' && *q != '\t')
					ac_buf_addch(&v, *q++);
			}
			chal_add(c, key, ac_buf_detach(&v, NULL));
			p = skip_ws(q);
			if (*p && *p != ',')
				goto bad;
		}
	}
	*out = cs;
	return (int)n;
bad:
	ac_auth_challenges_free(cs, n);
	return ac_error_set(err, EINVAL, "invalid WWW-Authenticate header: %s", hdr);
}

void ac_auth_challenges_free(struct ac_auth_challenge *cs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cs[i].scheme);
		for (size_t j = 0; j < cs[i].n; j++) {
			free(cs[i].keys[j]);
			free(cs[i].values[j]);
		}
		free(cs[i].keys);
		free(cs[i].values);
	}
	free(cs);
}

const char *ac_auth_challenge_param(const struct ac_auth_challenge *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcasecmp(c->keys[i], key))
			return c->values[i];
	return NULL;
}

/* ---- docker config files ---- */

static int is_docker_hub(const char *h)
{
	return !strcmp(h, "registry-1.docker.io") || !strcmp(h, "index.docker.io") || !strcmp(h, "docker.io");
}

/* "https://host:port/v1/" -> "host:port" */
static char *key_host(const char *k)
{
	if (ac_str_has_prefix(k, "https://"))
		k += 8;
	else if (ac_str_has_prefix(k, "http://"))
		k += 7;
	return xstrndup(k, strcspn(k, "/"));
}

static int host_matches(const char *key, const char *host)
{
	_cleanup_free_ char *h = key_host(key);
	return !strcmp(h, host) || (is_docker_hub(h) && is_docker_hub(host));
}

static int auth_entry(json_t *e, char **user, char **pass, ac_error **err)
{
	const char *a = json_string_value(json_object_get(e, "auth"));
	if (a && *a) {
		size_t n;
		_cleanup_free_ char *dec = ac_base64_decode(a, &n);
		if (!dec)
			return ac_error_set(err, EINVAL, "invalid auth configuration file: bad base64");
		while (n && dec[n - 1] == '\0')
			n--;
		char *colon = memchr(dec, ':', n);
		if (!colon)
			return ac_error_set(err, EINVAL, "invalid auth configuration file: no \":\" in auth");
		*user = xstrndup(dec, (size_t)(colon - dec));
		*pass = xstrndup(colon + 1, n - (size_t)(colon + 1 - dec));
		return 1;
	}
	const char *u = json_string_value(json_object_get(e, "username"));
	const char *p = json_string_value(json_object_get(e, "password"));
	if (u && p && *u) {
		*user = xstrdup(u);
		*pass = xstrdup(p);
		return 1;
	}
	return 0;
}

int ac_registry_config_lookup(const char *text, const char *host, char **user, char **pass, char **helper,
			      ac_error **err)
{
	*user = *pass = *helper = NULL;
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		return ac_error_set(err, EINVAL, "error reading auth configuration file: %s",
				    root ? "not a JSON object" : je.text);
	}
	int ret = 0;
	const char *k;
	json_t *v, *auths = json_object_get(root, "auths");
	json_object_foreach(json_object_get(root, "credHelpers"), k, v) {
		if (json_is_string(v) && host_matches(k, host)) {
			*helper = xstrdup(json_string_value(v));
			goto out;
		}
	}
	/* the old ~/.dockercfg has the entries at the top */
	if (!auths && !json_object_get(root, "credsStore"))
		auths = root;
	/* an exact key first, then any key naming the host */
	json_object_foreach(auths, k, v) {
		_cleanup_free_ char *h = key_host(k);
		if (!strcmp(h, host) && (ret = auth_entry(v, user, pass, err)) != 0)
			goto out;
	}
	json_object_foreach(auths, k, v) {
		if (host_matches(k, host) && (ret = auth_entry(v, user, pass, err)) != 0)
			goto out;
	}
	const char *store = json_string_value(json_object_get(root, "credsStore"));
	if (store && *store)
		*helper = xstrdup(store);
out:
	json_decref(root);
	return ret;
}

static int valid_helper_name(const char *n)
{
	if (!*n)
		return 0;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && !strchr("-_.", *n))
			return 0;
	return 1;
}

int ac_registry_cred_helper(const char *name, const char *host, char **user, char **pass, ac_error **err)
{
	*user = *pass = NULL;
	if (!valid_helper_name(name))
		return ac_error_set(err, EINVAL, "invalid credential helper name \"%s\"", name);
	_cleanup_free_ char *prog = xasprintf("docker-credential-%s", name);
	const char *server = is_docker_hub(host) ? "https://index.docker.io/v1/" : host;
	int in[2], out[2];
	/* a socket for stdin: send(MSG_NOSIGNAL) cannot raise SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
		return ac_error_errno(err, "socketpair");
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return ac_error_errno(err, "pipe");
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[1], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = { prog, (char *)"get", NULL };
	pid_t pid;
	int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[1]);
	close(out[1]);
	if (rc != 0) {
		close(in[0]);
		close(out[0]);
		errno = rc;
		return ac_error_errno(err, "credential helper %s", prog);
	}
	ssize_t w = send(in[0], server, strlen(server), MSG_NOSIGNAL);
	(void)w; /* a helper that exits early says why on stdout */
	close(in[0]);
	char *buf = NULL;
	size_t len = 0;
	ac_error *rerr = NULL;
	int rr = ac_read_fd(out[0], 1 << 16, &buf, &len, &rerr);
	close(out[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rr < 0) {
		free(buf);
		*err = rerr;
		return -1;
	}
	int ret = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (strstr(buf, "credentials not found"))
			ret = 0;
		else {
			buf[strcspn(buf, "\n")] = '\0';
			ac_error_set(err, EACCES, "%s get: %s", prog, *buf ? buf : "failed");
		}
		free(buf);
		return ret;
	}
	json_t *j = json_loadb(buf, len, 0, NULL);
	free(buf);
	const char *u = json_string_value(json_object_get(j, "Username"));
	const char *s = json_string_value(json_object_get(j, "Secret"));
	if (!u || !s) {
		ac_error_set(err, EBADMSG, "%s get: invalid answer", prog);
	} else {
		*user = xstrdup(u);
		*pass = xstrdup(s);
		ret = 1;
	}
	json_decref(j);
	return ret;
}

/* ---- Retry-After, platforms ---- */

long ac_registry_retry_after(const char *v, time_t now)
{
	uint64_t n;
	if (!v || !*v)
		return -1;
	if (ac_parse_u64(v, &n) == 0)
		return n > 86400 ? 86400 : (long)n;
	struct tm tm = { 0 };
	const char *e = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!e || *e)
		return -1;
	time_t t = timegm(&tm);
	return t <= now ? 0 : (long)(t - now);
}

int ac_registry_parse_platform(const char *s, char **os, char **arch, char **variant, ac_error **err)
{
	*os = *arch = *variant = NULL;
	const char *a = strchr(s, '/');
	if (!a || a == s || !a[1] || a[1] == '/')
		return ac_error_set(err, EINVAL, "invalid platform \"%s\": want os/arch[/variant]", s);
	const char *v = strchr(a + 1, '/');
	if (v && (!v[1] || strchr(v + 1, '/')))
		return ac_error_set(err, EINVAL, "invalid platform \"%s\": want os/arch[/variant]", s);
	*os = xstrndup(s, (size_t)(a - s));
	*arch = v ? xstrndup(a + 1, (size_t)(v - a - 1)) : xstrdup(a + 1);
	*variant = v ? xstrdup(v + 1) : NULL;
	return 0;
}
