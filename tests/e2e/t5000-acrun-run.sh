# acrun run: exit status, arguments, environment, users from the image's own
# files, working directory, volumes, isolation, and hostile images.
. "$(dirname "$0")/lib.sh"

# Needs root, namespaces and a static libc for the probe binary.
skip_all_unless "needs root, namespaces and cc -static" ROOT NAMESPACES STATIC_CC

export A="acrun --dir $TRASH/store --insecure-options=image"

cat > probe.c <<'C'
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern char **environ;
static void on_term(int s) { (void)s; write(1, "got TERM\n", 9); _exit(7); }
int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "hello";
	if (!strcmp(c, "hello")) { puts("hello from probe"); return 0; }
	if (!strcmp(c, "args")) { for (int i = 0; i < argc; i++) printf("%d:%s\n", i, argv[i]); return 0; }
	if (!strcmp(c, "env")) { for (char **e = environ; *e; e++) puts(*e); return 0; }
	if (!strcmp(c, "id")) {
		gid_t g[64]; int n = getgroups(64, g);
		printf("uid=%u gid=%u groups=", getuid(), getgid());
		for (int i = 0; i < n; i++) printf("%s%u", i ? "," : "", g[i]);
		printf("\n"); return 0; }
	if (!strcmp(c, "cwd")) { char b[4096]; puts(getcwd(b, sizeof b) ? b : "?"); return 0; }
	if (!strcmp(c, "pid")) { printf("%d\n", getpid()); return 0; }
	if (!strcmp(c, "hostname")) { char b[256]; gethostname(b, sizeof b); puts(b); return 0; }
	if (!strcmp(c, "exit")) return atoi(argv[2]);
	if (!strcmp(c, "kill")) { raise(atoi(argv[2])); return 99; }
	if (!strcmp(c, "trap")) { signal(SIGTERM, on_term); write(1, "ready\n", 6); pause(); return 1; }
	if (!strcmp(c, "sleep")) { sleep(atoi(argv[2])); return 0; }
	if (!strcmp(c, "cat")) {
		FILE *f = fopen(argv[2], "r"); if (!f) { perror(argv[2]); return 1; }
		char b[4096]; size_t n; while ((n = fread(b, 1, sizeof b, f))) fwrite(b, 1, n, stdout); return 0; }
	if (!strcmp(c, "write")) {
		FILE *f = fopen(argv[2], "w"); if (!f) { perror(argv[2]); return 1; }
		fputs(argv[3], f); return fclose(f) ? 1 : 0; }
	if (!strcmp(c, "ls")) {
		DIR *d = opendir(argv[2]); if (!d) { perror(argv[2]); return 1; }
		struct dirent *de; while ((de = readdir(d))) if (de->d_name[0] != '.') puts(de->d_name);
		return 0; }
	fprintf(stderr, "probe: unknown command %s\n", c);
	return 2;
}
C

# make_image DIR NAME APP_JSON: a layout with the probe at /bin/probe, built to DIR.aci.
make_image() {
	mkdir -p "$1/rootfs/bin" "$1/rootfs/etc" &&
	cp probe "$1/rootfs/bin/probe" &&
	printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"%s","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":%s}\n' \
		"$2" "$3" > "$1/manifest" &&
	actool build --overwrite "$1" "$1.aci"
}

test_expect_success 'setup: the probe image' '
	cc -static -O -o probe probe.c &&
	make_image img example.com/probe "{\"exec\":[\"/bin/probe\"],\"user\":\"0\",\"group\":\"0\"}"
'

test_expect_success 'the app runs and prints; the image is stored and rendered once' '
	$A run img.aci > out && echo "hello from probe" | test_cmp - out &&
	$A run img.aci > out && echo "hello from probe" | test_cmp - out &&
	ls store/images > ids && test_one_line ids &&
	actool image-id img.aci | test_cmp - ids
'

test_expect_success 'exit status propagates; a signal gives 128+N' '
	test_expect_code 3 $A run img.aci -- exit 3 &&
	test_expect_code 0 $A run img.aci -- exit 0 &&
	test_expect_code 137 $A run img.aci -- kill 9 &&
	test_expect_code 143 $A run img.aci -- kill 15
'

test_expect_success '-- ARGS are appended; --exec replaces the command' '
	$A run img.aci -- args "a b" c > out &&
	printf "0:/bin/probe\n1:args\n2:a b\n3:c\n" | test_cmp - out &&
	$A run --exec /bin/probe img.aci -- args x > out &&
	printf "0:/bin/probe\n1:args\n2:x\n" | test_cmp - out
'

test_expect_success 'a missing executable fails with 127 and a message' '
	test_expect_code 127 $A run --exec /nope img.aci 2> err &&
	test_grep "exec /nope" err
'

test_expect_success 'environment: ACE defaults, image, --set-env, --set-env-file' '
	make_image envimg example.com/envtest "{\"exec\":[\"/bin/probe\",\"env\"],\"user\":\"0\",\"group\":\"0\",\"environment\":[{\"name\":\"FROM_IMAGE\",\"value\":\"1\"},{\"name\":\"OVER\",\"value\":\"image\"},{\"name\":\"HOME\",\"value\":\"/srv\"}]}" &&
	printf "# comment\nFROM_FILE=yes\n\n" > envfile &&
	$A run --set-env OVER=cli --set-env-file envfile envimg.aci > env &&
	test_grep "^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$" env &&
	test_grep "^AC_APP_NAME=example.com/envtest$" env &&
	test_grep "^container=acrun$" env &&
	test_grep "^FROM_IMAGE=1$" env && test_grep "^OVER=cli$" env && test_grep "^FROM_FILE=yes$" env &&
	test_grep "^HOME=/srv$" env && test_grep "^USER=root$" env && test_grep "^SHELL=/bin/sh$" env &&
	! grep -q "^TRASH=" env &&
	test_must_fail $A run --set-env "1BAD=x" envimg.aci 2> err && test_grep "NAME=VALUE" err
'

test_expect_success 'user 1000 and supplementary GIDs; --user/--group numeric' '
	make_image u1 example.com/u1 "{\"exec\":[\"/bin/probe\",\"id\"],\"user\":\"1000\",\"group\":\"1001\",\"supplementaryGIDs\":[20,30]}" &&
	$A run u1.aci > out && echo "uid=1000 gid=1001 groups=20,30" | test_cmp - out &&
	$A run --user 5 --group 6 u1.aci > out && echo "uid=5 gid=6 groups=20,30" | test_cmp - out
'

test_expect_success 'user and group names come from the image, not the host' '
	mkdir -p u2/rootfs/etc &&
	printf "root:x:0:0:root:/root:/bin/sh\nappuser:x:4321:4322:App:/home/app:/bin/ash\n" > u2/rootfs/etc/passwd &&
	printf "root:x:0:\nappgroup:x:4323:appuser\n" > u2/rootfs/etc/group &&
	make_image u2 example.com/u2 "{\"exec\":[\"/bin/probe\",\"id\"],\"user\":\"appuser\",\"group\":\"appgroup\"}" &&
	$A run u2.aci > out && echo "uid=4321 gid=4323 groups=" | test_cmp - out &&
	$A run --exec /bin/probe u2.aci -- env > env && test_grep "^HOME=/home/app$" env && test_grep "^USER=appuser$" env &&
	test_grep "^SHELL=/bin/ash$" env &&
	test_must_fail $A run --user daemon u2.aci 2> err && test_grep "not found in the image" err
'

test_expect_success 'a hostile /etc/passwd (symlink to the host, junk) is not used' '
	mkdir -p hp/rootfs/etc && ln -s /proc/1/root/etc/passwd hp/rootfs/etc/passwd &&
	make_image hp example.com/hp "{\"exec\":[\"/bin/probe\",\"id\"],\"user\":\"root\",\"group\":\"0\"}" &&
	test_must_fail $A run hp.aci 2> err && cat err &&
	mkdir -p hp2/rootfs/etc &&
	printf "evil:x:-1:0::/:/bin/sh\nbig:x:99999999999:0::/:/bin/sh\n::::\n" > hp2/rootfs/etc/passwd &&
	make_image hp2 example.com/hp2 "{\"exec\":[\"/bin/probe\",\"id\"],\"user\":\"evil\",\"group\":\"0\"}" &&
	test_must_fail $A run hp2.aci 2> err && test_grep "bad uid" err &&
	test_must_fail $A run --user big hp2.aci 2> err && test_grep "bad uid" err
'

test_expect_success 'workingDirectory and --working-dir, resolved inside the rootfs' '
	mkdir -p wd/rootfs/srv/app &&
	make_image wd example.com/wd "{\"exec\":[\"/bin/probe\",\"cwd\"],\"user\":\"0\",\"group\":\"0\",\"workingDirectory\":\"/srv/app\"}" &&
	$A run wd.aci > out && echo /srv/app | test_cmp - out &&
	$A run --working-dir /srv wd.aci > out && echo /srv | test_cmp - out &&
	test_must_fail $A run --working-dir /missing wd.aci 2> err && test_grep "working directory /missing" err
'

test_expect_success 'hostile workingDirectory /proc/self/fd/3 is refused' '
	make_image wdh example.com/wdh "{\"exec\":[\"/bin/probe\",\"cwd\"],\"user\":\"0\",\"group\":\"0\",\"workingDirectory\":\"/proc/self/fd/3\"}" &&
	test_must_fail $A run wdh.aci > out 2> err && test_grep "working directory" err && test ! -s out
'

export MP='"mountPoints":[{"name":"data","path":"/data"}]'
test_expect_success 'volumes: host read-write, read-only, empty; a missing volume is an error' '
	make_image vol example.com/vol "{\"exec\":[\"/bin/probe\"],\"user\":\"0\",\"group\":\"0\",$MP}" &&
	mkdir host && echo from-host > host/f &&
	$A run --volume data,kind=host,source=$TRASH/host vol.aci -- cat /data/f > out &&
	echo from-host | test_cmp - out &&
	$A run --volume data,kind=host,source=host vol.aci -- write /data/new written &&
	echo -n written | test_cmp - host/new &&
	test_must_fail $A run --volume data,kind=host,source=host,readOnly=true vol.aci -- write /data/ro x 2> err &&
	test ! -e host/ro &&
	$A run --volume data,kind=empty vol.aci -- ls /data > out && test ! -s out &&
	test_must_fail $A run vol.aci 2> err && test_grep "no volume for mount point data" err
'

test_expect_success 'a host source that is a symlink is refused' '
	ln -s host hostlink &&
	test_must_fail $A run --volume data,kind=host,source=hostlink vol.aci -- ls /data 2> err &&
	test_grep "symlink" err
'

test_expect_success 'hostile mount points: through a symlink to /etc, with .., on /proc' '
	mkdir -p mh/rootfs && ln -s /etc mh/rootfs/link &&
	make_image mh example.com/mh "{\"exec\":[\"/bin/probe\"],\"user\":\"0\",\"group\":\"0\",\"mountPoints\":[{\"name\":\"data\",\"path\":\"/link/evil\"}]}" &&
	test_must_fail $A run --volume data,kind=host,source=host mh.aci 2> err && test_grep "symlink" err &&
	test ! -e /etc/evil &&
	make_image md example.com/md "{\"exec\":[\"/bin/probe\"],\"user\":\"0\",\"group\":\"0\",\"mountPoints\":[{\"name\":\"data\",\"path\":\"/a/../../etc\"}]}" &&
	test_must_fail $A run --volume data,kind=host,source=host md.aci 2> err && test_grep "refused" err &&
	make_image mproc example.com/mproc "{\"exec\":[\"/bin/probe\"],\"user\":\"0\",\"group\":\"0\",\"mountPoints\":[{\"name\":\"data\",\"path\":\"/proc/sys\"}]}" &&
	test_must_fail $A run --volume data,kind=host,source=host mproc.aci 2> err && test_grep "refused" err
'

test_expect_success 'a sysctl isolator on a host key is refused; unknown isolators are named' '
	make_image sc example.com/sc "{\"exec\":[\"/bin/probe\"],\"user\":\"0\",\"group\":\"0\",\"isolators\":[{\"name\":\"os/unix/sysctl\",\"value\":{\"kernel.core_pattern\":\"|/x\"}}]}" &&
	cat /proc/sys/kernel/core_pattern > before &&
	test_must_fail $A run sc.aci 2> err && test_grep "kernel.core_pattern" err &&
	cat /proc/sys/kernel/core_pattern | test_cmp before - &&
	make_image oom example.com/oom "{\"exec\":[\"/bin/probe\"],\"user\":\"0\",\"group\":\"0\",\"isolators\":[{\"name\":\"os/linux/oom-score-adj\",\"value\":100}]}" &&
	$A run oom.aci > out 2> err && test_grep "warning: isolators not enforced: os/linux/oom-score-adj" err
'

test_expect_success 'capabilities: default set, retain-set, no-new-privileges' '
	$A run img.aci -- cat /proc/self/status > st &&
	test_grep "^CapBnd:	00000000a80425fb$" st && test_grep "^NoNewPrivs:	0$" st &&
	make_image caps example.com/caps "{\"exec\":[\"/bin/probe\",\"cat\",\"/proc/self/status\"],\"user\":\"0\",\"group\":\"0\",\"isolators\":[{\"name\":\"os/linux/capabilities-retain-set\",\"value\":{\"set\":[\"CAP_NET_BIND_SERVICE\"]}},{\"name\":\"os/linux/no-new-privileges\",\"value\":true}]}" &&
	$A run caps.aci > st && test_grep "^CapEff:	0000000000000400$" st && test_grep "^NoNewPrivs:	1$" st
'

test_expect_success 'isolation: PID 2 under acrun init, hostname, --net=none has only lo, /dev' '
	$A run img.aci -- pid > out && echo 2 | test_cmp - out &&
	$A run img.aci -- hostname > out && echo probe | test_cmp - out &&
	$A run --hostname box img.aci -- hostname > out && echo box | test_cmp - out &&
	$A run --net=none img.aci -- ls /sys/class/net > out && echo lo | test_cmp - out &&
	$A run img.aci -- ls /dev | sort > out &&
	for d in full null ptmx pts random shm tty urandom zero; do test_grep "^$d$" out || exit 1; done &&
	$A run img.aci -- cat /etc/resolv.conf > out &&
	test_must_fail $A run img.aci -- write /sys/kernel/x y 2> /dev/null &&
	$A run img.aci -- ls /tmp > out && test ! -s out
'

test_expect_success 'only stdio reaches the app' '
	$A run img.aci -- ls /proc/self/fd 9< /dev/null > out &&
	printf "0\n1\n2\n3\n" | test_cmp - out
'

test_expect_success 'writes go to the pod, not to the cached tree' '
	$A run img.aci -- write /bin/marker x &&
	$A run img.aci -- cat /bin/marker > out 2>&1; test_must_fail test -s out -a "$(cat out)" = x &&
	test -z "$(find store/images -name marker)"
'

test_expect_success 'the copy fallback (--no-overlay) runs too' '
	$A run --no-overlay img.aci -- write /bin/marker x &&
	$A run --no-overlay img.aci > out && echo "hello from probe" | test_cmp - out
'

test_expect_success 'SIGTERM is forwarded to the app' '
	set -m
	$A run img.aci -- trap > out & pid=$!
	for i in $(seq 1 200); do grep -q ready out 2>/dev/null && break; sleep 0.05; done
	kill -TERM $pid; wait $pid; rc=$?
	test $rc = 7 && test_grep "got TERM" out
'

test_expect_success 'an image with dependencies fails clearly' '
	make_image dep example.com/dep "{\"exec\":[\"/bin/probe\"],\"user\":\"0\",\"group\":\"0\"}" &&
	sed -i "s|\"app\":|\"dependencies\":[{\"imageName\":\"example.com/base\"}],\"app\":|" dep/manifest &&
	actool build --overwrite dep dep.aci &&
	test_must_fail $A run dep.aci 2> err && test_grep "dependencies" err
'

test_done
