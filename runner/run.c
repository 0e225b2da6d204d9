/* Running one app.  Processes:
 *   acrun (P)  takes the volume sources as detached mounts, makes the
 *              cgroups, waits, forwards SIGINT/SIGTERM/..., records the
 *              exit status;
 *   init (C)   PID 1 of a new PID namespace (P unshares it for its next
 *              child only) in new mount/UTS/IPC(/net) namespaces: joins
 *              the cgroups, mounts the pod's rootfs (overlayfs over the
 *              cached tree, else a copy), pivot_root, /proc /sys /dev /tmp
 *              and the volumes, each mounted with the new mount API on a
 *              target opened without following symlinks; runs the
 *              pre-start handler, forks the app, runs post-stop after it;
 *   app (A)    user, groups, capabilities, working directory, exec.
 * As non-root, a process (C0) between P and C unshares a user namespace
 * mapping the caller to root, then the others, and forks C; the volume
 * sources and host device nodes are then taken by C, in its own mount
 * namespace.  C stays PID 1 (non-dumpable, every fd closed) to reap and
 * forward signals, so the app gets them as it would outside.  Setup errors
 * travel to P over a close-on-exec pipe: EOF means the app was executed. */
#include "runner-internal.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include "ac/buf.h"
#include "ac/extract.h"
#include "ac/fs.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const int fwd_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

struct vol {
	const char *name;
	const char *source; /* kind=host */
	const char *target;
	int read_only;
	int is_file;
	int src_fd;  /* O_PATH fd of the host source (kind=host) */
	int tree_fd; /* detached mount, made by C0 */
	const char *empty; /* kind=empty: directory name under the pod */
};

struct ctx {
	const struct acr_run_opts *o;
	struct acr_pod pod;
	json_t *app;
	char **argv;
	struct vol *vols;
	size_t n_vols;
	char *resolv;      /* host resolv.conf, or NULL */
	int resolv_fd;     /* detached read-only mount of it (build steps), or -1 */
	int console_fd;    /* detached mount of the terminal, or -1 */
	int dev_fds[6];    /* user namespace: detached host device nodes, or -1 */
	int errw;          /* write end of the error pipe, -1 in event handlers */
	int userns;        /* not root: a user namespace maps the caller to root */
	struct acr_cgroup cg;
	char **pre_start, **post_stop; /* event handlers, or NULL */
	/* A run (not a build step): what the image lacks, found in P on the
	 * rendered tree, since the pod's tree has the scaffold's mount points
	 * (a lower layer: nothing is created on disk for them). */
	const char *scaffold;
	int miss_tmp, miss_resolv, miss_hosts;
	uint64_t caps;
	int nnp;
	const char *hostname;
};

/* ---- errors from children ---- */

AC_NORETURN static void child_fail(struct ctx *c, int status, ac_error *e)
{
	const char *msg = e && e->msg ? e->msg : "setup failed";
	char code = (char)status;
	if (c->errw >= 0 && ac_write_all(c->errw, &code, 1) == 0)
		ac_write_all(c->errw, msg, strlen(msg));
	_exit(status);
}

#define FAIL(c, ...)                                                                                          \
	do {                                                                                                  \
		ac_error *e_ = NULL;                                                                          \
		ac_error_errno(&e_, __VA_ARGS__);                                                             \
		child_fail(c, 125, e_);                                                                       \
	} while (0)

/* ---- the new mount API ---- */

static int fs_mount(const char *type, const char *const *opts, unsigned attrs, ac_error **err)
{
	int fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return ac_error_errno(err, "fsopen %s", type);
	for (; opts && opts[0]; opts += 2)
		if (fsconfig(fs, FSCONFIG_SET_STRING, opts[0], opts[1], 0) < 0) {
			ac_error_errno(err, "%s option %s=%s", type, opts[0], opts[1]);
			close(fs);
			return -1;
		}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		ac_error_errno(err, "mount %s", type);
		close(fs);
		return -1;
	}
	int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	close(fs);
	if (m < 0)
		return ac_error_errno(err, "mount %s", type);
	return m;
}

/* Moves a detached mount onto path inside the rootfs (created if missing,
 * never through a symlink). */
static int attach(int rootfd, int mfd, const char *path, int is_file, ac_error **err)
{
	int t = acr_open_beneath(rootfd, path, 1, is_file, err);
	if (t < 0)
		return -1;
	int r = move_mount(mfd, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	close(t);
	if (r < 0)
		return ac_error_errno(err, "mount on %s", path);
	return 0;
}

static int mount_at(int rootfd, const char *type, const char *const *opts, unsigned attrs, const char *path,
		    ac_error **err)
{
	int m = fs_mount(type, opts, attrs, err);
	if (m < 0)
		return -1;
	int r = attach(rootfd, m, path, 0, err);
	close(m);
	return r;
}

static const char *const etc_files[2] = { "resolv.conf", "hosts" };
static const char *const etc_tmp[2] = { ".acrun-resolv.conf", ".acrun-hosts" };
static char *hosts_text(const char *hostname);

static const struct {
	const char *name;
	unsigned maj, min;
} nodes[] = { { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	      { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 } };

/* /dev: a tmpfs filled while still detached.  In a user namespace device
 * nodes cannot be made: the host's are bound on empty files. */
static int setup_dev(struct ctx *c, int rootfd, ac_error **err)
{
	static const char *const opts[] = { "mode", "0755", "size", "65536k", NULL };
	_cleanup_free_ char *hosts = hosts_text(c->hostname);
	static const char *const links[][2] = { { "ptmx", "pts/ptmx" },      { "fd", "/proc/self/fd" },
						{ "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
						{ "stderr", "/proc/self/fd/2" } };
	int m = fs_mount("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
	if (m < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		int r;
		if (c->dev_fds[i] >= 0) {
			r = openat(m, nodes[i].name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
			if (r >= 0)
				close(r);
		} else {
			r = mknodat(m, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min));
		}
		if (r < 0) {
			ac_error_errno(err, "mknod /dev/%s", nodes[i].name);
			goto fail;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], m, links[i][0]) < 0) {
			ac_error_errno(err, "symlink /dev/%s", links[i][0]);
			goto fail;
		}
	if (mkdirat(m, "pts", 0755) < 0 || mkdirat(m, "shm", 01777) < 0) {
		ac_error_errno(err, "mkdir in /dev");
		goto fail;
	}
	/* The spec wants /dev/console: the terminal when there is one, else
	 * a null device (never the host's console). */
	int f = c->console_fd >= 0 ? openat(m, "console", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
				   : mknodat(m, "console", S_IFCHR | 0600, makedev(1, 3));
	if (f < 0) {
		ac_error_errno(err, "/dev/console");
		goto fail;
	}
	if (c->console_fd >= 0)
		close(f);
	/* The /etc files a run provides: written in this tmpfs, bound on
	 * /etc (on the scaffold's empty files) and unlinked here, so that no
	 * file is written to disk for them. */
	const char *etc_text[2] = { c->miss_resolv ? c->resolv : NULL, c->miss_hosts ? hosts : NULL };
	for (size_t i = 0; i < 2; i++) {
		if (!etc_text[i])
			continue;
		int t = openat(m, etc_tmp[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (t < 0 || ac_write_all(t, etc_text[i], strlen(etc_text[i])) < 0) {
			ac_error_errno(err, "/etc/%s", etc_files[i]);
			if (t >= 0)
				close(t);
			goto fail;
		}
		close(t);
	}
	if (attach(rootfd, m, "/dev", 0, err) < 0)
		goto fail;
	close(m);
	static const char *const pts[] = { "newinstance", NULL, NULL };
	static const char *const pts_opts[] = { "ptmxmode", "0666", "mode", "0620", NULL };
	(void)pts;
	if (mount_at(rootfd, "devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "/dev/pts", err) < 0)
		return -1;
	static const char *const shm[] = { "mode", "1777", "size", "65536k", NULL };
	if (mount_at(rootfd, "tmpfs", shm, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "/dev/shm",
		     err) < 0)
		return -1;
	if (c->console_fd >= 0 && attach(rootfd, c->console_fd, "/dev/console", 1, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		if (c->dev_fds[i] < 0)
			continue;
		_cleanup_free_ char *p = xasprintf("/dev/%s", nodes[i].name);
		if (attach(rootfd, c->dev_fds[i], p, 1, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		if (!etc_text[i])
			continue;
		_cleanup_free_ char *src = xasprintf("dev/%s", etc_tmp[i]), *dst = xasprintf("/etc/%s", etc_files[i]);
		int t = open_tree(rootfd, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
		if (t < 0)
			return ac_error_errno(err, "%s", dst);
		int r = attach(rootfd, t, dst, 1, err);
		close(t);
		if (r < 0)
			return -1;
		unlinkat(rootfd, src, 0);
	}
	return 0;
fail:
	close(m);
	return -1;
}

/* Kernel knobs the app must not change even as root: read-only binds. */
static void protect_proc(int rootfd)
{
	static const char *const ro[] = { "proc/sys", "proc/sysrq-trigger", "proc/irq", "proc/bus" };
	for (size_t i = 0; i < ARRAY_SIZE(ro); i++) {
		int t = open_tree(rootfd, ro[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
		if (t < 0)
			continue;
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(t, "", AT_EMPTY_PATH, &a, sizeof(a)) == 0)
			move_mount(t, "", rootfd, ro[i], MOVE_MOUNT_F_EMPTY_PATH);
		close(t);
	}
}

static int missing_in_root(int rootfd, const char *path)
{
	ac_error *e = NULL;
	int fd = acr_open_beneath(rootfd, path, 0, 0, &e);
	int missing = fd < 0 && e && e->code == ENOENT;
	ac_error_free(&e);
	if (fd >= 0)
		close(fd);
	return missing;
}

static char *hosts_text(const char *hostname)
{
	return xasprintf("127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost\n", hostname);
}

static int is_regular_in_root(int rootfd, const char *path)
{
	ac_error *e = NULL;
	int fd = acr_open_beneath(rootfd, path, 0, 0, &e);
	ac_error_free(&e);
	struct stat st;
	int r = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (fd >= 0)
		close(fd);
	return r;
}

static int write_new_file(int rootfd, const char *dir, const char *name, const char *text, ac_error **err)
{
	int d = acr_open_beneath(rootfd, dir, 1, 0, err);
	if (d < 0)
		return -1;
	int f = openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	close(d);
	if (f < 0)
		return ac_error_errno(err, "%s/%s", dir, name);
	int r = ac_write_all(f, text, strlen(text));
	close(f);
	return r < 0 ? ac_error_errno(err, "%s/%s", dir, name) : 0;
}

/* ---- environment ---- */

static void env_set(char ***env, size_t *n, const char *kv, int override)
{
	size_t klen = strcspn(kv, "=");
	for (size_t i = 0; i < *n; i++)
		if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
			if (override) {
				free((*env)[i]);
				(*env)[i] = xstrdup(kv);
			}
			return;
		}
	*env = xrealloc(*env, (*n + 2) * sizeof(char *));
	(*env)[(*n)++] = xstrdup(kv);
	(*env)[*n] = NULL;
}

static const char *env_get(char **env, const char *k)
{
	size_t kl = strlen(k);
	for (; env && *env; env++)
		if (strncmp(*env, k, kl) == 0 && (*env)[kl] == '=')
			return *env + kl + 1;
	return NULL;
}

static char **compose_env(struct ctx *c, uid_t uid, const char *home, const char *shell)
{
	char **env = xcalloc(1, sizeof(char *));
	size_t n = 0;
	json_t *e;
	size_t i;
	/* The image's environment, then --set-env, then the defaults for what
	 * is still unset; AC_APP_NAME and container are the executor's. */
	json_array_foreach(json_object_get(c->app, "environment"), i, e) {
		_cleanup_free_ char *kv = xasprintf("%s=%s", json_string_value(json_object_get(e, "name")),
						    json_string_value(json_object_get(e, "value")));
		env_set(&env, &n, kv, 1);
	}
	for (char **p = c->o->set_env; p && *p; p++)
		env_set(&env, &n, *p, 1);
	_cleanup_free_ char *app = xasprintf("AC_APP_NAME=%s",
					     json_string_value(json_object_get(c->o->manifest, "name")));
	env_set(&env, &n, app, 1);
	env_set(&env, &n, "container=acrun", 1);
	env_set(&env, &n, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 0);
	_cleanup_free_ char *h = xasprintf("HOME=%s", home ? home : uid == 0 ? "/root" : "/");
	env_set(&env, &n, h, 0);
	_cleanup_free_ char *s = xasprintf("SHELL=%s", shell ? shell : "/bin/sh");
	env_set(&env, &n, s, 0);
	const char *u = c->o->user ? c->o->user : json_string_value(json_object_get(c->app, "user"));
	_cleanup_free_ char *un = NULL;
	if (uid == 0)
		un = xstrdup("root");
	else if (u && *u && u[0] != '/' && strspn(u, "0123456789") != strlen(u))
		un = xstrdup(u);
	else
		un = xasprintf("%u", (unsigned)uid);
	_cleanup_free_ char *uv = xasprintf("USER=%s", un), *lv = xasprintf("LOGNAME=%s", un);
	env_set(&env, &n, uv, 0);
	env_set(&env, &n, lv, 0);
	return env;
}

/* ---- the app (A) ---- */

static void drop_bounding(uint64_t keep)
{
	for (int cap = 0; cap <= 63; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break; /* past the last capability the kernel knows */
	}
}

/* Current sets trimmed to the bounding set, so root's app holds nothing
 * else even before exec. */
static int trim_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));
		d[i].effective &= k;
		d[i].permitted &= k;
		d[i].inheritable = 0;
	}
	return (int)syscall(SYS_capset, &h, d);
}

AC_NORETURN static void exec_app(struct ctx *c, char **argv, char **env)
{
	const char *cmd = argv[0];
	int e = ENOENT;
	if (strchr(cmd, '/')) {
		execve(cmd, argv, env);
		e = errno;
	} else {
		const char *path = env_get(env, "PATH");
		_cleanup_free_ char *copy = xstrdup(path ? path : "/usr/bin:/bin");
		char *save = NULL;
		for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
			_cleanup_free_ char *full = xasprintf("%s/%s", dir, cmd);
			execve(full, argv, env);
			if (errno != ENOENT && errno != ENOTDIR)
				e = errno;
		}
	}
	ac_error *err = NULL;
	errno = e;
	ac_error_errno(&err, "exec %s", cmd);
	child_fail(c, e == ENOENT ? 127 : 126, err);
}

struct ident {
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;
	char **env;
	int wdfd;
};

AC_NORETURN static void run_app(struct ctx *c, char **argv, const struct ident *id)
{
	uid_t uid = id->uid;
	gid_t gid = id->gid;
	sigset_t none;
	sigemptyset(&none);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_signals); i++)
		signal(fwd_signals[i], SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	umask(022);
	drop_bounding(c->caps);
	if (c->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		FAIL(c, "no-new-privileges");
	/* In a user namespace only the caller is mapped (as root), and
	 * setgroups is denied so that no group can be dropped. */
	if (c->userns && (id->ngroups || uid || gid)) {
		ac_error *e = NULL;
		ac_error_set(&e, EPERM, "%s %u: as non-root, acrun maps only the caller (as root, 0) inside the pod",
			     id->ngroups ? "supplementary group" : uid ? "user" : "group",
			     id->ngroups ? (unsigned)id->groups[0] : uid ? (unsigned)uid : (unsigned)gid);
		child_fail(c, 125, e);
	}
	if (!c->userns && setgroups(id->ngroups, id->groups) < 0)
		FAIL(c, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		FAIL(c, "setgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		FAIL(c, "setuid %u", (unsigned)uid);
	if (uid == 0 && trim_caps(c->caps) < 0)
		FAIL(c, "capset");
	if (fchdir(id->wdfd) < 0)
		FAIL(c, "working directory");
	close(id->wdfd);
	/* Every fd but stdio goes at exec (CVE-2024-21626). */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < 1024; fd++)
			if (fd != c->errw)
				close(fd);
	exec_app(c, argv, id->env);
}

/* ---- init (C) ---- */

static int wait_loop(pid_t child, int is_init)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_signals); i++)
		sigaddset(&set, fwd_signals[i]);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(is_init ? -1 : child, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == child)
				return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
		}
	}
}

static int mount_rootfs(struct ctx *c, ac_error **err);
static int take_mounts(struct ctx *c, ac_error **err);

/* /sys: a new sysfs; in a user namespace that does not own the network
 * namespace (--net=host) the kernel refuses one, and the host's is bound
 * read-only instead. */
static int make_sys(struct ctx *c, ac_error **err)
{
	int nodev = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	ac_error *e = NULL;
	int m = fs_mount("sysfs", NULL, nodev | MOUNT_ATTR_RDONLY, &e);
	if (m >= 0 || !c->userns) {
		if (m < 0 && err)
			*err = e;
		else
			ac_error_free(&e);
		return m;
	}
	ac_error_free(&e);
	m = open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | (unsigned)nodev };
	if (m < 0 || mount_setattr(m, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
		ac_error_errno(err, "bind /sys");
		if (m >= 0)
			close(m);
		return -1;
	}
	return m;
}

/* An event handler: forked like the app, waited for; its exit status. */
static int run_handler(struct ctx *c, char **argv, const struct ident *id)
{
	pid_t h = fork();
	if (h < 0)
		return -1;
	if (h == 0) {
		c->errw = -1; /* its failures are its exit status */
		run_app(c, argv, id);
	}
	return wait_loop(h, 1);
}

AC_NORETURN static void run_pod(struct ctx *c)
{
	const struct acr_run_opts *o = c->o;
	ac_error *err = NULL;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		FAIL(c, "make / private");
	if (sethostname(c->hostname, strlen(c->hostname)) < 0)
		FAIL(c, "sethostname %s", c->hostname);
	/* Before anything of the pod can fork. */
	if (acr_cgroup_join(&c->cg, &err) < 0)
		child_fail(c, 125, err);
	if (c->userns && take_mounts(c, &err) < 0)
		child_fail(c, 125, err);
	if (mount_rootfs(c, &err) < 0)
		child_fail(c, 125, err);
	/* proc and sys made while the host's are still visible: in a user
	 * namespace the kernel allows them only then. */
	int nodev = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	int proc_m = fs_mount("proc", NULL, nodev, &err);
	if (proc_m < 0)
		child_fail(c, 125, err);
	int sys_m = make_sys(c, &err);
	if (sys_m < 0)
		child_fail(c, 125, err);
	umask(0);
	if (chdir(c->pod.dir) < 0 || chdir("rootfs") < 0)
		FAIL(c, "chdir to the pod's rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		FAIL(c, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		FAIL(c, "detach the host's root");
	if (chdir("/") < 0)
		FAIL(c, "chdir /");
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		FAIL(c, "open /");
	if (attach(rootfd, proc_m, "/proc", 0, &err) < 0 || attach(rootfd, sys_m, "/sys", 0, &err) < 0)
		child_fail(c, 125, err);
	close(proc_m);
	close(sys_m);
	if (setup_dev(c, rootfd, &err) < 0)
		child_fail(c, 125, err);
	if (c->scaffold ? c->miss_tmp : missing_in_root(rootfd, "/tmp")) {
		static const char *const t[] = { "mode", "1777", NULL };
		if (mount_at(rootfd, "tmpfs", t, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "/tmp", &err) < 0)
			child_fail(c, 125, err);
	}
	if (c->scaffold) {
		/* done with /dev */
	} else if (c->resolv && missing_in_root(rootfd, "/etc/resolv.conf")) {
		if (write_new_file(rootfd, "/etc", "resolv.conf", c->resolv, &err) < 0)
			child_fail(c, 125, err);
	} else if (c->resolv_fd >= 0 && is_regular_in_root(rootfd, "/etc/resolv.conf")) {
		/* A build step resolves names as the host does, and the
		 * image's own file stays as it is. */
		if (attach(rootfd, c->resolv_fd, "/etc/resolv.conf", 1, &err) < 0)
			child_fail(c, 125, err);
	}
	if (!c->scaffold && missing_in_root(rootfd, "/etc/hosts")) {
		_cleanup_free_ char *h = hosts_text(c->hostname);
		if (write_new_file(rootfd, "/etc", "hosts", h, &err) < 0)
			child_fail(c, 125, err);
	}
	for (size_t i = 0; i < c->n_vols; i++)
		if (attach(rootfd, c->vols[i].tree_fd, c->vols[i].target, c->vols[i].is_file, &err) < 0) {
			ac_error_wrap(&err, "volume %s", c->vols[i].name);
			child_fail(c, 125, err);
		}
	int procfd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (procfd < 0 || (!o->build_step && acr_apply_sysctls(o->manifest, procfd, &err) < 0))
		child_fail(c, 125, err);
	close(procfd);
	protect_proc(rootfd);

	/* The app's identity, from the image's own files. */
	const char *user = o->user ? o->user : json_string_value(json_object_get(c->app, "user"));
	const char *group = o->group ? o->group : json_string_value(json_object_get(c->app, "group"));
	uid_t uid;
	gid_t gid, pgid;
	_cleanup_free_ char *home = NULL, *shell = NULL;
	if (acr_lookup_user(rootfd, user ? user : "0", &uid, &pgid, &home, &shell, &err) < 0 ||
	    acr_lookup_group(rootfd, group ? group : "0", &gid, &err) < 0)
		child_fail(c, 125, err);
	json_t *sg = o->build_step ? NULL : json_object_get(c->app, "supplementaryGIDs"), *v;
	size_t ng = json_array_size(sg), i;
	gid_t *groups = xcalloc(ng + 1, sizeof(gid_t));
	json_array_foreach(sg, i, v) {
		json_int_t g = json_integer_value(v);
		if (g < 0 || g >= (json_int_t)UINT32_MAX) {
			ac_error_set(&err, EINVAL, "supplementary GID %lld out of range", (long long)g);
			child_fail(c, 125, err);
		}
		groups[i] = (gid_t)g;
	}
	const char *wd = o->working_dir ? o->working_dir : json_string_value(json_object_get(c->app, "workingDirectory"));
	if (!wd || !*wd)
		wd = "/";
	if (wd[0] != '/') {
		ac_error_set(&err, EINVAL, "working directory %s: must be an absolute path", wd);
		child_fail(c, 125, err);
	}
	int wdfd = ac_open_in_root(rootfd, wd, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, &err);
	if (wdfd < 0) {
		ac_error_wrap(&err, "working directory %s", wd);
		child_fail(c, 125, err);
	}
	char **env = compose_env(c, uid, home, shell);
	close(rootfd);
	struct ident id = { uid, gid, groups, ng, env, wdfd };

	if (c->pre_start) {
		int st = run_handler(c, c->pre_start, &id);
		if (st != 0) {
			ac_error_set(&err, 0, "pre-start event handler %s failed (exit status %d); the app was not run",
				     c->pre_start[0], st);
			child_fail(c, 125, err);
		}
	}
	pid_t app = fork();
	if (app < 0)
		FAIL(c, "fork");
	if (app == 0)
		run_app(c, c->argv, &id);
	/* PID 1 holds nothing the app could reach through /proc/1: only the
	 * terminal and working directory post-stop needs. */
	prctl(PR_SET_DUMPABLE, 0);
	if (c->post_stop) {
		if (wdfd > 3)
			syscall(SYS_close_range, 3, (unsigned)wdfd - 1, 0);
		syscall(SYS_close_range, (unsigned)wdfd + 1, ~0U, 0);
		c->errw = -1;
	} else {
		syscall(SYS_close_range, 0, ~0U, 0);
	}
	int status = wait_loop(app, 1);
	/* Its status is not the pod's: the app's is. */
	if (c->post_stop)
		run_handler(c, c->post_stop, &id);
	_exit(status);
}

/* ---- setup ---- */

static int mount_rootfs(struct ctx *c, ac_error **err)
{
	const struct acr_run_opts *o = c->o;
	_cleanup_free_ char *root = xasprintf("%s/rootfs", c->pod.dir);
	if (o->upper && !(o->lowers && o->lowers[0])) {
		/* The tree itself, changed in place. */
		if (mount(o->upper, root, NULL, MS_BIND | MS_REC, NULL) < 0)
			return ac_error_errno(err, "bind %s", o->upper);
		return 0;
	}
	if (o->upper) {
		if (!o->no_overlay) {
			ac_buf opts = AC_BUF_INIT;
			ac_buf_addf(&opts, "lowerdir=");
			for (const char *const *l = o->lowers; *l; l++)
				ac_buf_addf(&opts, "%s%s", l == o->lowers ? "" : ":", *l);
			_cleanup_free_ char *wd = o->workdir ? xstrdup(o->workdir) : xasprintf("%s/work", c->pod.dir);
			ac_buf_addf(&opts, ",upperdir=%s,workdir=%s", o->upper, wd);
			int r = mount("overlay", root, "overlay", MS_NODEV, opts.buf);
			int e = errno;
			ac_buf_release(&opts);
			if (r == 0)
				return 0;
			if (o->debug) {
				_cleanup_free_ char *m = xasprintf("overlayfs: %s; copying the layers", strerror(e));
				o->debug(m);
			}
		}
		/* A merged copy; acr_run writes its changes back to upper. */
		size_t n = 0;
		while (o->lowers[n])
			n++;
		while (n-- > 0)
			if (acr_copy_over(o->lowers[n], root, err) < 0)
				return -1;
		if (acr_copy_over(o->upper, root, err) < 0)
			return -1;
		int f = openat(c->pod.dirfd, "copied", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (f >= 0)
			close(f);
		if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
			return ac_error_errno(err, "bind %s", root);
		return 0;
	}
	if (!o->no_overlay) {
		_cleanup_free_ char *opts = xasprintf("lowerdir=%s%s%s,upperdir=%s/upper,workdir=%s/work", o->rootfs,
						      c->scaffold ? ":" : "", c->scaffold ? c->scaffold : "", c->pod.dir,
						      c->pod.dir);
		if (mount("overlay", root, "overlay", MS_NODEV, opts) == 0)
			return 0;
		if (o->debug) {
			_cleanup_free_ char *m = xasprintf("overlayfs: %s; copying the tree", strerror(errno));
			o->debug(m);
		}
	}
	if (acr_copy_tree(o->rootfs, root, err) < 0 || (c->scaffold && acr_copy_over(c->scaffold, root, err) < 0))
		return -1;
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ac_error_errno(err, "bind %s", root);
	return 0;
}

static int ns_flags(const struct ctx *c)
{
	return CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (c->o->net == ACR_NET_NONE ? CLONE_NEWNET : 0);
}

static int write_proc_self(const char *file, const char *text)
{
	_cleanup_free_ char *p = xasprintf("/proc/self/%s", file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = ac_write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

/* The kernel refused the user namespace, or what a run needs in it (AppArmor's
 * restriction lets the unshare pass and refuses the rest): one line for
 * whichever tool runs it (acrun run, acbuild run). */
AC_NORETURN static void userns_refused(struct ctx *c, const char *what)
{
	int saved = errno;
	ac_error *e = NULL;
	ac_error_set(&e, saved,
		     "running as non-root needs a user namespace, and the kernel refused it (%s: %s); allow "
		     "unprivileged user namespaces (user.max_user_namespaces, kernel.unprivileged_userns_clone, "
		     "AppArmor's userns restrictions) or run as root",
		     what, strerror(saved));
	child_fail(c, 125, e);
}

/* C0, as non-root: a user namespace mapping the caller (only) to root,
 * then the pod's namespaces; C is forked into the new PID namespace. */
AC_NORETURN static void run_userns_setup(struct ctx *c)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER) < 0)
		userns_refused(c, "unshare");
	_cleanup_free_ char *um = xasprintf("0 %u 1\n", (unsigned)uid), *gm = xasprintf("0 %u 1\n", (unsigned)gid);
	if (write_proc_self("setgroups", "deny") < 0 || write_proc_self("uid_map", um) < 0 ||
	    write_proc_self("gid_map", gm) < 0)
		userns_refused(c, "mapping the caller to root");
	if (unshare(ns_flags(c) | CLONE_NEWPID) < 0)
		userns_refused(c, "unshare of the other namespaces in it");
	pid_t init = fork();
	if (init < 0)
		FAIL(c, "fork");
	if (init == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		run_pod(c);
	}
	close(c->errw);
	_exit(wait_loop(init, 0));
}

/* C, as root: P unshared the PID namespace for it. */
AC_NORETURN static void run_root_setup(struct ctx *c)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(ns_flags(c)) < 0)
		FAIL(c, "unshare (namespaces)");
	run_pod(c);
}

/* Detached mounts of the volume sources and the terminal, made in the
 * mount namespace where their mounts live: the host's as root (by P); as
 * non-root C's own copy of it, the only one where it may clone mounts, so
 * that the host paths are opened again there (with the same checks). */
static int take_mounts(struct ctx *c, ac_error **err)
{
	for (size_t i = 0; i < c->n_vols; i++) {
		struct vol *v = &c->vols[i];
		int src = v->src_fd;
		_cleanup_close_ int own = -1;
		if (v->empty) {
			_cleanup_free_ char *d = xasprintf("%s/volumes/%s", c->pod.dir, v->empty);
			_cleanup_free_ char *vd = xasprintf("%s/volumes", c->pod.dir);
			if ((mkdir(vd, 0755) < 0 && errno != EEXIST) || (mkdir(d, 0755) < 0 && errno != EEXIST))
				return ac_error_errno(err, "volume %s", v->name);
			own = open(d, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			src = own;
		} else if (c->userns) {
			own = acr_open_host_nofollow(v->source, err);
			if (own < 0)
				return ac_error_wrap(err, "volume %s", v->name);
			src = own;
		}
		v->tree_fd = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
		if (v->tree_fd < 0)
			return ac_error_errno(err, "volume %s", v->name);
		if (v->read_only) {
			struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
			if (mount_setattr(v->tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
				return ac_error_errno(err, "volume %s: read-only", v->name);
		}
	}
	if (c->o->upper && c->resolv) {
		c->resolv_fd = open_tree(AT_FDCWD, "/etc/resolv.conf", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
		if (c->resolv_fd >= 0 && mount_setattr(c->resolv_fd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
			close(c->resolv_fd);
			c->resolv_fd = -1;
		}
	}
	if (isatty(0)) {
		char tty[256];
		if (ttyname_r(0, tty, sizeof(tty)) == 0)
			c->console_fd = open_tree(AT_FDCWD, tty, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	}
	if (!c->userns)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		_cleanup_free_ char *p = xasprintf("/dev/%s", nodes[i].name);
		c->dev_fds[i] = open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (c->dev_fds[i] < 0)
			return ac_error_errno(err, "bind %s", p);
	}
	if (c->console_fd < 0)
		c->console_fd = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	return 0;
}

/* ---- acrun (P) ---- */

static int prepare_volumes(struct ctx *c, ac_error **err)
{
	const struct acr_run_opts *o = c->o;
	json_t *mps = o->build_step ? NULL : json_object_get(c->app, "mountPoints"), *mp;
	size_t i;
	c->vols = xcalloc(json_array_size(mps) + 1, sizeof(*c->vols));
	json_array_foreach(mps, i, mp) {
		const char *name = json_string_value(json_object_get(mp, "name"));
		const char *path = json_string_value(json_object_get(mp, "path"));
		struct vol *v = &c->vols[c->n_vols];
		v->src_fd = v->tree_fd = -1;
		/* The spec lets a manifest omit the path; it cannot be run. */
		if (!path || !*path)
			return ac_error_set(err, EINVAL, "mount point %s has no path in the image's manifest", name);
		const struct acr_volume *given = NULL;
		for (size_t k = 0; k < o->n_volumes; k++)
			if (strcmp(o->volumes[k].name, name) == 0)
				given = &o->volumes[k];
		if (!given)
			return ac_error_set(err, EINVAL,
					    "no volume for mount point %s (give --volume %s,kind=host,source=PATH or "
					    "--volume %s,kind=empty)",
					    name, name, name);
		if (!path || path[0] != '/')
			return ac_error_set(err, EINVAL, "mount point %s: path must be absolute", name);
		_cleanup_free_ char *clean = ac_path_clean(path);
		if (strstr(path, "/../") || ac_str_has_suffix(path, "/..") || strcmp(clean, "/") == 0 ||
		    strcmp(clean, "/proc") == 0 || ac_str_has_prefix(clean, "/proc/") || strcmp(clean, "/sys") == 0 ||
		    ac_str_has_prefix(clean, "/sys/") || strcmp(clean, "/dev") == 0)
			return ac_error_set(err, EINVAL, "mount point %s: path %s refused", name, path);
		v->name = name;
		v->target = path;
		v->read_only = given->read_only || json_is_true(json_object_get(mp, "readOnly"));
		c->n_vols++;
		if (strcmp(given->kind, "empty") == 0) {
			v->empty = given->name;
			continue;
		}
		v->source = given->source;
		v->src_fd = acr_open_host_nofollow(given->source, err);
		if (v->src_fd < 0)
			return ac_error_wrap(err, "volume %s", name);
		struct stat st;
		if (fstat(v->src_fd, &st) < 0)
			return ac_error_errno(err, "volume %s", name);
		v->is_file = !S_ISDIR(st.st_mode);
	}
	return 0;
}

/* What a run on an upper tree makes for itself and must not leave there:
 * mount points, and /etc files written when the image had none. */
static const char *const scaffold_dirs[] = { "proc", "sys", "dev", "tmp", "etc" };
static const char *const scaffold_files[] = { "etc/resolv.conf", "etc/hosts" };

struct scaffold {
	int dir_absent[ARRAY_SIZE(scaffold_dirs)];
	int file_absent[ARRAY_SIZE(scaffold_files)];
};

static int absent_in(const char *root, const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
	struct stat st;
	return lstat(p, &st) < 0 && errno == ENOENT;
}

static void scaffold_note(const struct acr_run_opts *o, struct scaffold *sc)
{
	for (size_t i = 0; i < ARRAY_SIZE(scaffold_dirs); i++)
		sc->dir_absent[i] = absent_in(o->upper, scaffold_dirs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(scaffold_files); i++) {
		int absent = absent_in(o->upper, scaffold_files[i]);
		for (const char *const *l = o->lowers; absent && l && *l; l++)
			absent = absent_in(*l, scaffold_files[i]);
		sc->file_absent[i] = absent;
	}
}

/* After a run on an upper tree: the merged copy's changes written back,
 * overlayfs whiteouts dropped, our own files and mount points removed. */
static int finish_upper(struct ctx *c, const struct scaffold *sc, ac_error **err)
{
	const struct acr_run_opts *o = c->o;
	int rc = 0;
	ac_error *e = NULL;
	if (faccessat(c->pod.dirfd, "copied", F_OK, 0) == 0) {
		_cleanup_free_ char *merged = xasprintf("%s/rootfs", c->pod.dir);
		rc = acr_write_back(merged, o->upper, o->lowers, &e);
		ac_rm_rf(merged, NULL);
	} else if (o->lowers && o->lowers[0]) {
		size_t n = 0;
		rc = acr_drop_whiteouts(o->upper, &n, &e);
		if (n && o->warn) {
			_cleanup_free_ char *m = xasprintf("%zu file(s) of the dependencies removed by the command "
							   "cannot be removed from the image",
							   n);
			o->warn(m);
		}
	}
	_cleanup_close_ int ufd = open(o->upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Never through a symlink the command may have made. */
	_cleanup_close_ int etc = ufd < 0 ? -1 : openat(ufd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *hosts = hosts_text(c->hostname);
	const char *ours[ARRAY_SIZE(scaffold_files)] = { c->resolv, hosts };
	for (size_t i = 0; etc >= 0 && i < ARRAY_SIZE(scaffold_files); i++) {
		_cleanup_free_ char *text = NULL;
		_cleanup_close_ int f = sc->file_absent[i] ? openat(etc, scaffold_files[i] + 4,
								    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
							  : -1;
		/* What the command wrote there itself stays. */
		if (f >= 0 && ac_read_fd(f, 1 << 20, &text, NULL, NULL) == 0 && ours[i] && strcmp(text, ours[i]) == 0)
			unlinkat(etc, scaffold_files[i] + 4, 0);
	}
	for (size_t i = 0; ufd >= 0 && i < ARRAY_SIZE(scaffold_dirs); i++)
		if (sc->dir_absent[i])
			unlinkat(ufd, scaffold_dirs[i], AT_REMOVEDIR); /* only when empty */
	if (rc < 0) {
		if (err)
			*err = e;
		else
			ac_error_free(&e);
	}
	return rc;
}

static void ctx_release(struct ctx *c)
{
	for (size_t i = 0; i < c->n_vols; i++) {
		if (c->vols[i].src_fd >= 0)
			close(c->vols[i].src_fd);
		if (c->vols[i].tree_fd >= 0)
			close(c->vols[i].tree_fd);
	}
	if (c->console_fd >= 0)
		close(c->console_fd);
	if (c->resolv_fd >= 0)
		close(c->resolv_fd);
	for (size_t i = 0; i < ARRAY_SIZE(c->dev_fds); i++)
		if (c->dev_fds[i] >= 0)
			close(c->dev_fds[i]);
	acr_cgroup_remove(&c->cg);
	free(c->vols);
	ac_strv_free(c->argv);
	ac_strv_free(c->pre_start);
	ac_strv_free(c->post_stop);
	free(c->resolv);
	acr_pod_release(&c->pod);
}

/* The exec of the event handler called name, or NULL. */
static char **handler_argv(json_t *app, const char *name, ac_error **err)
{
	json_t *h, *e;
	size_t i, k;
	json_array_foreach(json_object_get(app, "eventHandlers"), i, h) {
		const char *n = json_string_value(json_object_get(h, "name"));
		if (!n || strcmp(n, name) != 0)
			continue;
		json_t *ex = json_object_get(h, "exec");
		char **v = xcalloc(json_array_size(ex) + 1, sizeof(char *));
		json_array_foreach(ex, k, e)
			v[k] = xstrdup(json_string_value(e) ? json_string_value(e) : "");
		if (!v[0] || !*v[0]) {
			ac_strv_free(v);
			ac_error_set(err, EINVAL, "event handler %s has an empty exec", name);
			return NULL;
		}
		return v;
	}
	return NULL;
}

/* What the image lacks of /tmp, /etc/resolv.conf and /etc/hosts (a path
 * through a symlink counts as present: it is left alone). */
static int scan_image(struct ctx *c, ac_error **err)
{
	_cleanup_close_ int r = open(c->o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r < 0)
		return ac_error_errno(err, "%s", c->o->rootfs);
	c->miss_tmp = missing_in_root(r, "/tmp");
	c->miss_resolv = c->resolv && missing_in_root(r, "/etc/resolv.conf");
	c->miss_hosts = missing_in_root(r, "/etc/hosts");
	return 0;
}

static char **build_argv(const struct acr_run_opts *o, json_t *app, ac_error **err)
{
	size_t n = 0;
	char **v = xcalloc(1, sizeof(char *));
	if (o->exec_override) {
		for (char **p = o->exec_override; *p; p++) {
			v = xrealloc(v, (n + 2) * sizeof(char *));
			v[n++] = xstrdup(*p);
		}
	} else {
		json_t *e;
		size_t i;
		json_array_foreach(json_object_get(app, "exec"), i, e) {
			v = xrealloc(v, (n + 2) * sizeof(char *));
			v[n++] = xstrdup(json_string_value(e) ? json_string_value(e) : "");
		}
	}
	for (char **p = o->extra_args; p && *p; p++) {
		v = xrealloc(v, (n + 2) * sizeof(char *));
		v[n++] = xstrdup(*p);
	}
	v[n] = NULL;
	if (n == 0 || !*v[0]) {
		ac_strv_free(v);
		ac_error_set(err, EINVAL, "image \"%s\" has an empty \"exec\" (try --exec=BINARY)",
			     json_string_value(json_object_get(o->manifest, "name")));
		return NULL;
	}
	return v;
}

int acr_run(const struct acr_run_opts *o, int *fail_status, ac_error **err)
{
	struct ctx c = { 0 };
	struct scaffold sc;
	_cleanup_free_ char *scaffold = NULL;
	c.o = o;
	c.console_fd = c.resolv_fd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(c.dev_fds); i++)
		c.dev_fds[i] = -1;
	c.cg.procs[0] = c.cg.procs[1] = -1;
	c.userns = geteuid() != 0;
	c.pod.dirfd = c.pod.lockfd = -1;
	c.app = json_object_get(o->manifest, "app");
	if (fail_status)
		*fail_status = 125;
	const char *name = json_string_value(json_object_get(o->manifest, "name"));
	_cleanup_free_ char *ignored = NULL;
	/* A build step runs with the defaults, not the image's isolators. */
	json_t *none = json_object();
	json_t *iso = o->build_step ? none : o->manifest;
	long long mem = 0, cpu = 0;
	int request_only = 0;
	int irc = acr_isolators_check(iso, o->net, &ignored, err);
	if (irc == 0)
		irc = acr_caps_from_isolators(iso, &c.caps, err);
	if (irc == 0)
		irc = acr_resource_limits(iso, &mem, &cpu, &request_only, err);
	c.nnp = acr_no_new_privs(iso);
	json_decref(none);
	if (irc < 0)
		return -1;
	if (ignored && o->warn) {
		_cleanup_free_ char *m = xasprintf("isolators not enforced: %s", ignored);
		o->warn(m);
	}
	c.argv = build_argv(o, c.app, err);
	if (!c.argv)
		return -1;
	ac_error *he = NULL;
	if (!o->build_step) {
		c.pre_start = handler_argv(c.app, "pre-start", &he);
		if (!he)
			c.post_stop = handler_argv(c.app, "post-stop", &he);
	}
	if (he) {
		if (err)
			*err = he;
		else
			ac_error_free(&he);
		ctx_release(&c);
		return -1;
	}
	/* Default hostname: the last component of the image name. */
	const char *slash = strrchr(name, '/');
	char hn[64];
	snprintf(hn, sizeof(hn), "%s", o->hostname ? o->hostname : slash ? slash + 1 : name);
	c.hostname = hn;
	int rc = -1;
	if (prepare_volumes(&c, err) < 0)
		goto out;
	char *resolv = NULL;
	if (ac_read_file_at(AT_FDCWD, "/etc/resolv.conf", 65536, &resolv, NULL, NULL) == 0)
		c.resolv = resolv;
	if (!o->upper) {
		scaffold = acr_store_scaffold(o->store, err);
		if (!scaffold || scan_image(&c, err) < 0)
			goto out;
		c.scaffold = scaffold;
	}
	if (acr_pod_create(o->store, o->image_id, name, &c.pod, err) < 0)
		goto out;
	if (!c.userns && take_mounts(&c, err) < 0)
		goto out;
	if (mem || cpu) {
		_cleanup_free_ char *cgname = xasprintf("acrun-%s", c.pod.uuid);
		ac_error *ce = NULL;
		if (acr_cgroup_setup(&c.cg, cgname, mem, cpu, &ce) < 0 && o->warn) {
			_cleanup_free_ char *m = xasprintf("isolators not enforced: %s%s%s (%s)", mem ? "resource/memory" : "",
							   mem && cpu ? ", " : "", cpu ? "resource/cpu" : "", ce->msg);
			o->warn(m);
		}
		ac_error_free(&ce);
	}
	if (o->upper)
		scaffold_note(o, &sc);
	if (o->debug) {
		_cleanup_free_ char *m = xasprintf("pod %s", c.pod.uuid);
		o->debug(m);
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		ac_error_errno(err, "pipe");
		goto out;
	}
	c.errw = pfd[1];
	sigset_t set, old;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_signals); i++)
		sigaddset(&set, fwd_signals[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	/* As root the PID namespace is unshared for the next child only: it
	 * becomes its PID 1 (one fork less), and P gets its own back. */
	int own_pidns = -1;
	if (!c.userns) {
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || unshare(CLONE_NEWPID) < 0) {
			ac_error_errno(err, "unshare (PID namespace)");
			if (own_pidns >= 0)
				close(own_pidns);
			close(pfd[0]);
			close(pfd[1]);
			sigprocmask(SIG_SETMASK, &old, NULL);
			goto out;
		}
	}
	pid_t setup = fork();
	int fork_errno = errno;
	if (own_pidns >= 0) {
		/* Only P goes back: the child's children belong to its own. */
		if (setup != 0 && setns(own_pidns, CLONE_NEWPID) < 0 && setup > 0)
			kill(setup, SIGKILL); /* P must not stay in a namespace it cannot fork into */
		close(own_pidns);
	}
	if (setup < 0) {
		errno = fork_errno;
		ac_error_errno(err, "fork");
		close(pfd[0]);
		close(pfd[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	if (setup == 0) {
		close(pfd[0]);
		if (c.userns)
			run_userns_setup(&c);
		run_root_setup(&c);
	}
	close(pfd[1]);
	ac_buf msg = AC_BUF_INIT;
	char buf[512];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (msg.len < 4096)
			ac_buf_add(&msg, buf, (size_t)n);
	}
	close(pfd[0]);
	int status = wait_loop(setup, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	acr_pod_finish(&c.pod, status);
	if (o->upper && finish_upper(&c, &sc, msg.len ? NULL : err) < 0 && !msg.len) {
		ac_buf_release(&msg);
		goto out;
	}
	if (msg.len) {
		if (fail_status)
			*fail_status = (unsigned char)msg.buf[0];
		ac_error_set(err, 0, "%s", msg.buf + 1);
	} else {
		rc = status;
	}
	ac_buf_release(&msg);
out:
	if (o->remove_pod && c.pod.dir)
		ac_rm_rf(c.pod.dir, NULL);
	ctx_release(&c);
	return rc;
}
