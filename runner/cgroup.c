/* The resource/memory and resource/cpu isolators: a cgroup per pod below
 * acrun's own, cgroup v2 when /sys/fs/cgroup is the unified hierarchy,
 * else the v1 memory and cpu hierarchies.  The limits are enforced; a
 * request alone has nothing to enforce and is reported as not enforced.
 * The pod's init joins the cgroups itself (writing 0 to cgroup.procs
 * files opened here) before it forks anything, so nothing of the pod runs
 * outside them. */
#include "runner-internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "ac/fs.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP2_MAGIC 0x63677270
#define CGROUP1_MAGIC 0x27e0eb
#define CPU_PERIOD 100000 /* microseconds */

/* A Kubernetes-style quantity: 128Mi, 1G, 500m, 1.5, 1e3.  milli != 0:
 * the result is in thousandths (CPU), else in units (bytes). */
int acr_quantity_parse(const char *s, int milli, long long *out)
{
	static const struct {
		const char *suffix;
		long double mult;
	} units[] = {
		{ "Ki", 1024.0L }, { "Mi", 1048576.0L }, { "Gi", 1073741824.0L }, { "Ti", 1099511627776.0L },
		{ "Pi", 1125899906842624.0L }, { "Ei", 1152921504606846976.0L }, { "k", 1e3L }, { "K", 1e3L },
		{ "M", 1e6L }, { "G", 1e9L }, { "T", 1e12L }, { "P", 1e15L }, { "E", 1e18L }, { "m", 1e-3L },
		{ "u", 1e-6L }, { "n", 1e-9L }, { "", 1.0L },
	};
	char *end;
	if (s && *s == '+')
		s++;
	/* strtold also reads hex, inf and nan: none is a quantity. */
	if (!s || !((*s >= '0' && *s <= '9') || *s == '.') || strpbrk(s, "xX"))
		return -1;
	errno = 0;
	long double v = strtold(s, &end);
	if (errno || v < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		long double r = v * units[i].mult * (milli ? 1000.0L : 1.0L);
		if (r > 9e18L)
			return -1;
		*out = (long long)(r + 0.5L);
		return 0;
	}
	return -1;
}

static const char *value_str(json_t *iso, const char *key)
{
	json_t *v = json_object_get(json_object_get(iso, "value"), key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The limits the isolators ask for: *mem bytes and *cpu millicores, 0
 * when none; *request_only names isolators with only a request. */
int acr_resource_limits(json_t *manifest, long long *mem, long long *cpu, int *request_only, ac_error **err)
{
	*mem = *cpu = 0;
	*request_only = 0;
	json_t *iso;
	size_t i;
	json_array_foreach(json_object_get(json_object_get(manifest, "app"), "isolators"), i, iso) {
		const char *name = json_string_value(json_object_get(iso, "name"));
		int is_mem = name && strcmp(name, "resource/memory") == 0;
		if (!is_mem && !(name && strcmp(name, "resource/cpu") == 0))
			continue;
		const char *limit = value_str(iso, "limit");
		if (!limit) {
			*request_only = 1;
			continue;
		}
		long long v;
		if (acr_quantity_parse(limit, !is_mem, &v) < 0 || v <= 0)
			return ac_error_set(err, EINVAL, "%s: bad limit \"%s\"", name, limit);
		if (is_mem && v < 4 * 1024 * 1024)
			return ac_error_set(err, EINVAL, "%s: limit %s is below 4 MiB: nothing would run", name, limit);
		*(is_mem ? mem : cpu) = v;
	}
	return 0;
}

static int write_at(const char *dir, const char *file, const char *text, ac_error **err)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ac_error_errno(err, "%s", p);
	int r = ac_write_all(fd, text, strlen(text));
	close(fd);
	return r < 0 ? ac_error_errno(err, "%s", p) : 0;
}

static long fs_type(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 ? (long)sf.f_type : 0;
}

/* acrun's own cgroup in the hierarchy with this controller ("" for v2),
 * from /proc/self/cgroup. */
static char *own_cgroup(const char *controller)
{
	_cleanup_free_ char *text = NULL;
	if (ac_read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &text, NULL, NULL) < 0)
		return NULL;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1;
		if (!*controller) {
			if (!*ctrls && strncmp(line, "0", 1) == 0)
				return xstrdup(c2 + 1);
			continue;
		}
		size_t n = strlen(controller);
		for (const char *p = ctrls; *p;) {
			size_t l = strcspn(p, ",");
			if (l == n && strncmp(p, controller, n) == 0)
				return xstrdup(c2 + 1);
			p += l + (p[l] == ',');
		}
	}
	return NULL;
}

static int make_dir(struct acr_cgroup *cg, const char *dir, ac_error **err)
{
	if (mkdir(dir, 0755) < 0)
		return ac_error_errno(err, "%s", dir);
	cg->dirs[cg->n] = xstrdup(dir);
	_cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", dir);
	cg->procs[cg->n] = open(procs, O_WRONLY | O_CLOEXEC);
	cg->n++;
	if (cg->procs[cg->n - 1] < 0)
		return ac_error_errno(err, "%s", procs);
	return 0;
}

static int setup_v2(struct acr_cgroup *cg, const char *name, long long mem, long long cpu, ac_error **err)
{
	_cleanup_free_ char *own = own_cgroup("");
	if (!own)
		return ac_error_set(err, ENOENT, "no cgroup v2 entry in /proc/self/cgroup");
	_cleanup_free_ char *parent = xasprintf(CGROUP_ROOT "%s", strcmp(own, "/") ? own : "");
	_cleanup_free_ char *ctl = NULL;
	_cleanup_free_ char *sc = xasprintf("%s/cgroup.subtree_control", parent);
	ac_read_file_at(AT_FDCWD, sc, 4096, &ctl, NULL, NULL);
	/* Enabling them is refused where acrun's cgroup has processes itself
	 * (other than the root): then they are not enforced. */
	if (mem && !(ctl && strstr(ctl, "memory")) && write_at(parent, "cgroup.subtree_control", "+memory", err) < 0)
		return ac_error_wrap(err, "cgroup v2: cannot enable the memory controller below %s", parent);
	if (cpu && !(ctl && strstr(ctl, "cpu ")) && !(ctl && ac_str_has_suffix(ctl, "cpu\n")) &&
	    write_at(parent, "cgroup.subtree_control", "+cpu", err) < 0)
		return ac_error_wrap(err, "cgroup v2: cannot enable the cpu controller below %s", parent);
	_cleanup_free_ char *dir = xasprintf("%s/%s", parent, name);
	if (make_dir(cg, dir, err) < 0)
		return -1;
	if (mem) {
		_cleanup_free_ char *v = xasprintf("%lld", mem);
		if (write_at(dir, "memory.max", v, err) < 0)
			return -1;
		ac_error *e = NULL; /* without swap accounting there is nothing to limit */
		if (write_at(dir, "memory.swap.max", "0", &e) < 0)
			ac_error_free(&e);
	}
	if (cpu) {
		_cleanup_free_ char *v = xasprintf("%lld %d", cpu * CPU_PERIOD / 1000, CPU_PERIOD);
		if (write_at(dir, "cpu.max", v, err) < 0)
			return -1;
	}
	return 0;
}

/* v1: the hierarchy holding the controller, mounted as /sys/fs/cgroup/X. */
static char *v1_mount(const char *controller)
{
	const char *const cands[][2] = { { "memory", "memory" }, { "cpu", "cpu" }, { "cpu", "cpu,cpuacct" } };
	for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
		if (strcmp(cands[i][0], controller))
			continue;
		_cleanup_free_ char *p = xasprintf(CGROUP_ROOT "/%s", cands[i][1]);
		if (fs_type(p) == CGROUP1_MAGIC)
			return steal_pointer(&p);
	}
	return NULL;
}

static int setup_v1(struct acr_cgroup *cg, const char *name, long long mem, long long cpu, ac_error **err)
{
	const char *ctrls[2] = { mem ? "memory" : NULL, cpu ? "cpu" : NULL };
	for (size_t i = 0; i < 2; i++) {
		if (!ctrls[i])
			continue;
		_cleanup_free_ char *mnt = v1_mount(ctrls[i]), *own = own_cgroup(ctrls[i]);
		if (!mnt || !own)
			return ac_error_set(err, ENOENT, "no cgroup v1 %s hierarchy under " CGROUP_ROOT, ctrls[i]);
		_cleanup_free_ char *dir = xasprintf("%s%s/%s", mnt, strcmp(own, "/") ? own : "", name);
		if (make_dir(cg, dir, err) < 0)
			return -1;
		if (i == 0) {
			_cleanup_free_ char *v = xasprintf("%lld", mem);
			if (write_at(dir, "memory.limit_in_bytes", v, err) < 0)
				return -1;
			ac_error *e = NULL; /* absent without swap accounting */
			if (write_at(dir, "memory.memsw.limit_in_bytes", v, &e) < 0)
				ac_error_free(&e);
		} else {
			_cleanup_free_ char *q = xasprintf("%lld", cpu * CPU_PERIOD / 1000);
			_cleanup_free_ char *per = xasprintf("%d", CPU_PERIOD);
			if (write_at(dir, "cpu.cfs_period_us", per, err) < 0 ||
			    write_at(dir, "cpu.cfs_quota_us", q, err) < 0)
				return -1;
		}
	}
	return 0;
}

int acr_cgroup_setup(struct acr_cgroup *cg, const char *name, long long mem, long long cpu, ac_error **err)
{
	memset(cg, 0, sizeof(*cg));
	for (size_t i = 0; i < ARRAY_SIZE(cg->procs); i++)
		cg->procs[i] = -1;
	if (!mem && !cpu)
		return 0;
	int rc = fs_type(CGROUP_ROOT) == CGROUP2_MAGIC ? setup_v2(cg, name, mem, cpu, err)
						       : setup_v1(cg, name, mem, cpu, err);
	if (rc < 0)
		acr_cgroup_remove(cg);
	return rc;
}

int acr_cgroup_join(struct acr_cgroup *cg, ac_error **err)
{
	for (size_t i = 0; i < cg->n; i++)
		if (ac_write_all(cg->procs[i], "0", 1) < 0)
			return ac_error_errno(err, "join the cgroup %s", cg->dirs[i]);
	return 0;
}

void acr_cgroup_remove(struct acr_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->procs[i] >= 0)
			close(cg->procs[i]);
		/* Every process of the pod is gone once its init is reaped. */
		for (int tries = 0; tries < 50 && rmdir(cg->dirs[i]) < 0 && errno == EBUSY; tries++)
			usleep(2000);
		free(cg->dirs[i]);
	}
	memset(cg, 0, sizeof(*cg));
	for (size_t i = 0; i < ARRAY_SIZE(cg->procs); i++)
		cg->procs[i] = -1;
}
