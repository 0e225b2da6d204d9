/* Parsing of run options that acbuild may share: volumes, env files, and
 * trust prefix matching. */
#include "runner.h"

#include <fcntl.h>

#include "ac/cli.h"
#include "ac/fs.h"
#include "ac/kvlist.h"
#include "ac/manifest.h"

void acr_volume_release(struct acr_volume *v)
{
	free(v->name);
	free(v->kind);
	free(v->source);
	memset(v, 0, sizeof(*v));
}

int acr_volume_parse(const char *s, struct acr_volume *v, ac_error **err)
{
	struct ac_kv *kv;
	size_t n;
	const char *msg;
	memset(v, 0, sizeof(*v));
	if (ac_kv_parse(s, "name", &kv, &n, err) < 0)
		return ac_error_wrap(err, "--volume %s", s);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *k = kv[i].key, *val = kv[i].value;
		if (strcmp(k, "name") == 0) {
			if (ac_check_acname(val, &msg) < 0)
				rc = ac_error_set(err, EINVAL, "--volume %s: name: %s", s, msg);
			v->name = xstrdup(val);
		} else if (strcmp(k, "kind") == 0) {
			if (strcmp(val, "host") && strcmp(val, "empty"))
				rc = ac_error_set(err, EINVAL, "--volume %s: kind must be host or empty", s);
			v->kind = xstrdup(val);
		} else if (strcmp(k, "source") == 0) {
			v->source = xstrdup(val);
		} else if (strcmp(k, "readOnly") == 0) {
			if (ac_parse_bool(val, &v->read_only) < 0)
				rc = ac_error_set(err, EINVAL, "--volume %s: readOnly must be true or false", s);
		} else {
			rc = ac_error_set(err, EINVAL, "--volume %s: unknown key %s", s, k);
		}
	}
	ac_kv_free(kv, n);
	if (rc == 0 && !v->kind)
		rc = ac_error_set(err, EINVAL, "--volume %s: kind=host or kind=empty is required", s);
	if (rc == 0 && strcmp(v->kind, "host") == 0 && (!v->source || !*v->source))
		rc = ac_error_set(err, EINVAL, "--volume %s: kind=host needs source=PATH", s);
	if (rc == 0 && strcmp(v->kind, "empty") == 0 && v->source)
		rc = ac_error_set(err, EINVAL, "--volume %s: kind=empty takes no source", s);
	if (rc < 0)
		acr_volume_release(v);
	return rc;
}

static int env_name_ok(const char *s, size_t n)
{
	if (n == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(s[i] == '_' || s[i] == '.' || s[i] == '-' || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

int acr_env_check(const char *kv, ac_error **err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || !env_name_ok(kv, (size_t)(eq - kv)))
		return ac_error_set(err, EINVAL, "environment %s: want NAME=VALUE", kv);
	return 0;
}

int acr_env_file_read(const char *path, char ***out, ac_error **err)
{
	_cleanup_free_ char *text = NULL;
	if (ac_read_file_at(AT_FDCWD, path, 1u << 20, &text, NULL, err) < 0)
		return -1;
	size_t n = 0;
	char **v = xcalloc(1, sizeof(char *));
	char *save = NULL;
	int lineno = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (acr_env_check(line, err) < 0) {
			ac_strv_free(v);
			return ac_error_wrap(err, "%s", path);
		}
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n++] = xstrdup(line);
		v[n] = NULL;
	}
	*out = v;
	return 0;
}
