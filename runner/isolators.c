/* Isolators acrun enforces: capabilities (bounding set), no-new-privileges,
 * sysctls restricted to keys the pod's own namespaces scope (CVE-2022-
 * 0811: a host key would change the host), and the memory and CPU limits
 * (cgroup.c).  The others are reported. */
#include "runner-internal.h"

#include <fcntl.h>
#include "ac/fs.h"

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
	"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
	"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
	"CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

/* Docker's and rkt's default set. */
static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
	"CAP_KILL", "CAP_AUDIT_WRITE",
};

static int cap_from_name(const char *s)
{
	const char *n = ac_str_has_prefix(s, "CAP_") ? s + 4 : s;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(cap_names[i] + 4, n) == 0)
			return (int)i;
	return -1;
}

static int cap_set_of(json_t *value, uint64_t *out, ac_error **err)
{
	json_t *set = json_object_get(value, "set"), *v;
	size_t i;
	*out = 0;
	json_array_foreach(set, i, v) {
		const char *s = json_string_value(v);
		int c = s ? cap_from_name(s) : -1;
		if (c < 0)
			return ac_error_set(err, EINVAL, "unknown capability %s", s ? s : "(not a string)");
		*out |= 1ull << c;
	}
	return 0;
}

static json_t *isolators_of(json_t *m)
{
	return json_object_get(json_object_get(m, "app"), "isolators");
}

int acr_caps_from_isolators(json_t *m, uint64_t *caps, ac_error **err)
{
	uint64_t c = 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		c |= 1ull << cap_from_name(default_caps[i]);
	json_t *iso;
	size_t i;
	json_array_foreach(isolators_of(m), i, iso) {
		const char *name = json_string_value(json_object_get(iso, "name"));
		uint64_t set;
		if (!name)
			continue;
		if (strcmp(name, "os/linux/capabilities-retain-set") == 0) {
			if (cap_set_of(json_object_get(iso, "value"), &set, err) < 0)
				return -1;
			c &= set;
		} else if (strcmp(name, "os/linux/capabilities-remove-set") == 0) {
			if (cap_set_of(json_object_get(iso, "value"), &set, err) < 0)
				return -1;
			c &= ~set;
		}
	}
	*caps = c;
	return 0;
}

int acr_no_new_privs(json_t *m)
{
	json_t *iso;
	size_t i;
	int on = 0;
	json_array_foreach(isolators_of(m), i, iso) {
		const char *name = json_string_value(json_object_get(iso, "name"));
		if (name && strcmp(name, "os/linux/no-new-privileges") == 0)
			on = json_is_true(json_object_get(iso, "value"));
	}
	return on;
}

/* Keys scoped by the pod's IPC and UTS namespaces, and its network
 * namespace when it has one. */
static int sysctl_allowed(const char *key, enum acr_net net)
{
	static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
					   "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
					   "kernel.shm_rmid_forced", "kernel.hostname", "kernel.domainname" };
	if (!*key || key[0] == '.' || strstr(key, "..") || key[strlen(key) - 1] == '.')
		return 0;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return 0;
	for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
		if (strcmp(key, ipc[i]) == 0)
			return 1;
	if (ac_str_has_prefix(key, "fs.mqueue."))
		return 1;
	return net == ACR_NET_NONE && ac_str_has_prefix(key, "net.");
}

static int sysctl_value_ok(const char *v)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return 0;
	return 1;
}

int acr_isolators_check(json_t *m, enum acr_net net, char **ignored, ac_error **err)
{
	*ignored = NULL;
	uint64_t caps;
	if (acr_caps_from_isolators(m, &caps, err) < 0)
		return -1;
	json_t *iso;
	size_t i;
	_cleanup_free_ char *list = NULL;
	json_array_foreach(isolators_of(m), i, iso) {
		const char *name = json_string_value(json_object_get(iso, "name"));
		if (!name)
			continue;
		if (strcmp(name, "os/unix/sysctl") == 0) {
			const char *k;
			json_t *v;
			json_object_foreach(json_object_get(iso, "value"), k, v) {
				if (!sysctl_allowed(k, net))
					return ac_error_set(err, EPERM,
							    "sysctl %s: not scoped to the pod's namespaces, refused", k);
				if (!json_is_string(v) || !sysctl_value_ok(json_string_value(v)))
					return ac_error_set(err, EINVAL, "sysctl %s: bad value", k);
			}
			continue;
		}
		/* A limit is enforced through a cgroup (acr_run warns when it
		 * cannot make one); a request alone limits nothing. */
		if ((strcmp(name, "resource/memory") == 0 || strcmp(name, "resource/cpu") == 0) &&
		    json_object_get(json_object_get(iso, "value"), "limit"))
			continue;
		if (strcmp(name, "os/linux/capabilities-retain-set") == 0 ||
		    strcmp(name, "os/linux/capabilities-remove-set") == 0 ||
		    strcmp(name, "os/linux/no-new-privileges") == 0)
			continue;
		char *n = list ? xasprintf("%s, %s", list, name) : xstrdup(name);
		free(list);
		list = n;
	}
	*ignored = steal_pointer(&list);
	return 0;
}

int acr_apply_sysctls(json_t *m, int procfd, ac_error **err)
{
	json_t *iso;
	size_t i;
	json_array_foreach(isolators_of(m), i, iso) {
		const char *name = json_string_value(json_object_get(iso, "name"));
		if (!name || strcmp(name, "os/unix/sysctl") != 0)
			continue;
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(iso, "value"), k, v) {
			_cleanup_free_ char *p = xasprintf("sys/%s", k);
			for (char *c = p + 4; *c; c++)
				if (*c == '.')
					*c = '/';
			int fd = openat(procfd, p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				return ac_error_errno(err, "sysctl %s", k);
			const char *s = json_string_value(v);
			int r = ac_write_all(fd, s, strlen(s));
			close(fd);
			if (r < 0)
				return ac_error_errno(err, "sysctl %s", k);
		}
	}
	return 0;
}
