/* Docker image references as docker2aci v0.17.2 parses them
 * (common.ParseDockerURL: reference.ParseNormalizedNamed, then
 * docker.SplitReposName), and the identifier checks used before a layer ID
 * or digest ever becomes part of a path. */
#include "ac/docker.h"

#include <ctype.h>

#define DEFAULT_INDEX "registry-1.docker.io"

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* path-component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* (checked loosely:
 * alphanumeric at both ends, separators in between). */
static int valid_component(const char *s, size_t n)
{
	if (!n || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(s[i]))
			return 0;
	return 1;
}

static int valid_tag(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

int ac_docker_check_digest(const char *d, ac_error **err)
{
	if (!ac_str_has_prefix(d, "sha256:") || strlen(d) != 7 + 64)
		return ac_error_set(err, EINVAL, "invalid digest \"%s\"", d);
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return ac_error_set(err, EINVAL, "invalid digest \"%s\"", d);
	return 0;
}

int ac_docker_check_layer_id(const char *id, ac_error **err)
{
	/* ^(\w+:)?([A-Fa-f0-9]+)$ */
	const char *p = id, *colon = strchr(id, ':');
	if (colon) {
		if (colon == id)
			goto bad;
		for (; p < colon; p++)
			if (!(isalnum((unsigned char)*p) || *p == '_'))
				goto bad;
		p++;
	}
	if (!*p)
		goto bad;
	for (; *p; p++)
		if (!isxdigit((unsigned char)*p))
			goto bad;
	return 0;
bad:
	return ac_error_set(err, EINVAL, "invalid layer ID \"%s\"", id);
}

void ac_docker_ref_free(struct ac_docker_ref *r)
{
	free(r->original);
	free(r->index_url);
	free(r->image_name);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

int ac_docker_parse_ref(const char *s, struct ac_docker_ref *out, ac_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *name = xstrdup(s);
	_cleanup_free_ char *digest = NULL, *tag = NULL;
	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (ac_docker_check_digest(at + 1, NULL) < 0)
			return ac_error_set(err, EINVAL, "invalid reference format");
		digest = xstrdup(at + 1);
	}
	char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		if (!valid_tag(colon + 1))
			return ac_error_set(err, EINVAL, "invalid reference format");
		tag = xstrdup(colon + 1);
	}
	if (!*name)
		return ac_error_set(err, EINVAL, "invalid reference format");
	/* a 64-hex name alone is an image ID, not a reference */
	if (strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64)
		return ac_error_set(err, EINVAL, "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", name);

	/* splitDockerDomain */
	const char *domain = "docker.io", *remainder = name;
	char *first = strchr(name, '/');
	_cleanup_free_ char *dom = NULL;
	if (first) {
		dom = xstrndup(name, (size_t)(first - name));
		if (strchr(dom, '.') || strchr(dom, ':') || !strcmp(dom, "localhost")) {
			domain = dom;
			remainder = first + 1;
		}
	}
	if (!strcmp(domain, "index.docker.io"))
		domain = "docker.io";
	for (const char *p = remainder; *p; p++)
		if (isupper((unsigned char)*p))
			return ac_error_set(err, EINVAL, "invalid reference format: repository name must be lowercase");
	for (const char *p = remainder;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!valid_component(p, n))
			return ac_error_set(err, EINVAL, "invalid reference format");
		if (!e)
			break;
		p = e + 1;
	}
	for (const char *p = domain; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':'))
			return ac_error_set(err, EINVAL, "invalid reference format");

	int hub = !strcmp(domain, "docker.io");
	out->original = xstrdup(s);
	out->index_url = xstrdup(hub ? DEFAULT_INDEX : domain);
	out->image_name = hub && !strchr(remainder, '/') ? xasprintf("library/%s", remainder) : xstrdup(remainder);
	out->digest = xstrdup(digest ? digest : "");
	out->tag = xstrdup(tag && !digest ? tag : digest ? "" : "latest");
	return 0;
}
