# acrun run: repeat runs of a file seen before (its identity, and the
# signature checked again), event handlers, /dev/console, a mount point
# without a path, cgroup memory and CPU limits, and running as non-root in
# a user namespace.
. "$(dirname "$0")/lib.sh"

skip_all_unless "needs root, namespaces and cc -static" ROOT NAMESPACES STATIC_CC

export A="acrun --dir $TRASH/store --insecure-options=image"

cat > probe.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "hello";
	if (!strcmp(c, "hello")) { puts("hello from probe"); return 0; }
	if (!strcmp(c, "say")) { puts(argv[2]); return 0; }
	if (!strcmp(c, "id")) { printf("uid=%u gid=%u\n", getuid(), getgid()); return 0; }
	if (!strcmp(c, "exit")) return atoi(argv[2]);
	if (!strcmp(c, "dev")) {
		struct stat st; if (stat(argv[2], &st)) { perror(argv[2]); return 1; }
		printf("%s %u:%u\n", S_ISCHR(st.st_mode) ? "char" : "other", major(st.st_rdev), minor(st.st_rdev));
		return 0; }
	if (!strcmp(c, "write")) {
		FILE *f = fopen(argv[2], "a"); if (!f) { perror(argv[2]); return 1; }
		fputs(argv[3], f); fputc('\n', f); return fclose(f) ? 1 : 0; }
	if (!strcmp(c, "cat")) {
		FILE *f = fopen(argv[2], "r"); if (!f) { perror(argv[2]); return 1; }
		char b[4096]; size_t n; while ((n = fread(b, 1, sizeof b, f))) fwrite(b, 1, n, stdout); return 0; }
	if (!strcmp(c, "alloc")) {
		size_t n = (size_t)atoi(argv[2]) << 20; char *p = malloc(n); if (!p) return 1;
		for (size_t i = 0; i < n; i += 4096) p[i] = 1;
		puts("allocated"); return 0; }
	if (!strcmp(c, "cgwait")) {
		FILE *f = fopen("/proc/self/cgroup", "r"); char b[4096]; size_t n;
		while ((n = fread(b, 1, sizeof b, f))) fwrite(b, 1, n, stdout);
		fflush(stdout); sleep(atoi(argv[2])); return 0; }
	fprintf(stderr, "probe: unknown command %s\n", c);
	return 2;
}
C

# make_image DIR NAME APP_JSON
make_image() {
	mkdir -p "$1/rootfs/bin" &&
	cp probe "$1/rootfs/bin/probe" &&
	printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"%s","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":%s}\n' \
		"$2" "$3" > "$1/manifest" &&
	actool build --overwrite "$1" "$1.aci"
}
export APP='"exec":["/bin/probe"],"user":"0","group":"0"'

test_expect_success 'setup: the probe and its images' '
	cc -static -O -o probe probe.c &&
	make_image img example.com/probe "{$APP}" &&
	make_image other example.com/other "{\"exec\":[\"/bin/probe\",\"say\",\"other\"],\"user\":\"0\",\"group\":\"0\"}" &&
	cp img.aci run.aci && sleep 1.1
'

test_expect_success 'a file seen before is known by its identity; changed in place, it is imported again' '
	$A run run.aci > out && echo "hello from probe" | test_cmp - out &&
	ls store/files > files && test_grep "^stat-" files &&
	$A run run.aci > out && echo "hello from probe" | test_cmp - out &&
	cat other.aci > run.aci &&
	$A run run.aci > out && echo other | test_cmp - out &&
	ls store/images | wc -l > n && echo 2 | test_cmp - n
'

test_expect_success 'gc drops the records of removed images' '
	$A image rm $(actool image-id other.aci) && $A gc &&
	for f in store/files/*; do
		id=$(awk "{print \$NF}" "$f") && test -d "store/images/$id" || exit 1
	done
'

if command -v gpg >/dev/null; then
	test_expect_success 'a signed file seen before is verified on every run: untrusting its key refuses it' '
		export GNUPGHOME="$TRASH/gnupg" && mkdir -m 700 gnupg &&
		gpg --batch -q --passphrase "" --quick-gen-key "Signer <signer@example.com>" ed25519 sign never &&
		fp=$(gpg --with-colons --fingerprint signer@example.com | awk -F: "/^fpr/{print tolower(\$10); exit}") &&
		mkdir -p trust/trustedkeys/prefix.d/example.com &&
		gpg --armor --export signer@example.com > trust/trustedkeys/prefix.d/example.com/$fp &&
		cp img.aci signed.aci && gpg --batch --yes -q --armor --detach-sign -o signed.aci.asc signed.aci &&
		sleep 1.1 &&
		S="acrun --dir $TRASH/store --trust-dir $TRASH/trust" &&
		$S run signed.aci > out && echo "hello from probe" | test_cmp - out &&
		$S run signed.aci > out && echo "hello from probe" | test_cmp - out &&
		rm trust/trustedkeys/prefix.d/example.com/$fp &&
		test_must_fail $S run signed.aci 2> err && test_grep "no keys trusted" err &&
		rm signed.aci.asc && test_must_fail $S run signed.aci 2> err && test_grep "not signed" err
	'
else
	test_skip 'a signed file seen before is verified on every run' 'no gpg'
fi

test_expect_success 'pre-start runs before the app, post-stop after it, like the app' '
	mkdir vol &&
	make_image ev example.com/ev "{$APP,\"eventHandlers\":[{\"name\":\"pre-start\",\"exec\":[\"/bin/probe\",\"write\",\"/v/log\",\"pre-start\"]},{\"name\":\"post-stop\",\"exec\":[\"/bin/probe\",\"write\",\"/v/log\",\"post-stop\"]}],\"mountPoints\":[{\"name\":\"v\",\"path\":\"/v\"}]}" &&
	$A run --volume v,kind=host,source=$TRASH/vol --exec /bin/probe ev.aci -- write /v/log app &&
	printf "pre-start\napp\npost-stop\n" | test_cmp - vol/log &&
	test_expect_code 3 $A run --volume v,kind=host,source=$TRASH/vol ev.aci -- exit 3 &&
	tail -n 1 vol/log > last && echo post-stop | test_cmp - last
'

test_expect_success 'a failing pre-start handler stops the run' '
	make_image evf example.com/evf "{$APP,\"eventHandlers\":[{\"name\":\"pre-start\",\"exec\":[\"/bin/probe\",\"exit\",\"4\"]}]}" &&
	test_expect_code 125 $A run evf.aci > out 2> err &&
	test_grep "pre-start event handler /bin/probe failed (exit status 4)" err &&
	test ! -s out
'

test_expect_success '/dev/console: a null device without a terminal' '
	$A run img.aci -- dev /dev/console > out && echo "char 1:3" | test_cmp - out &&
	$A run img.aci -- write /dev/console x
'

test_expect_success '/proc/sys and the other kernel knobs are read-only' '
	test_must_fail $A run img.aci -- write /proc/sys/kernel/hostname x 2> err &&
	test_grep "Read-only file system" err
'

test_expect_success 'a mount point without a path is refused clearly' '
	make_image nopath example.com/nopath "{$APP,\"mountPoints\":[{\"name\":\"data\"}]}" &&
	test_expect_code 125 $A run --volume data,kind=empty nopath.aci 2> err &&
	test_grep "mount point data has no path" err
'

test_expect_success 'resource limits: bad quantities are refused' '
	make_image badq example.com/badq "{$APP,\"isolators\":[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"0\"}}]}" &&
	test_must_fail $A run badq.aci 2> err && test_grep "resource/memory: bad limit \"0\"" err &&
	make_image smallq example.com/smallq "{$APP,\"isolators\":[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"1Ki\"}}]}" &&
	test_must_fail $A run smallq.aci 2> err && test_grep "below 4 MiB" err
'

make_image mem example.com/mem "{$APP,\"isolators\":[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"64Mi\"}},{\"name\":\"resource/cpu\",\"value\":{\"request\":\"100m\",\"limit\":\"250m\"}}]}" >/dev/null 2>&1
$A run mem.aci -- alloc 8 > /dev/null 2> cgerr
if ! grep -q "not enforced" cgerr && grep -q memory /proc/self/cgroup; then
	test_expect_success 'resource/memory and resource/cpu limits: a cgroup per pod' '
		$A run mem.aci -- alloc 16 > out && echo allocated | test_cmp - out &&
		test_expect_code 137 $A run mem.aci -- alloc 256 > out &&
		{ $A run mem.aci -- cgwait 2 > cg & } && sleep 1 &&
		if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
			p=$(sed -n "s/^0:://p" cg) &&
			grep "^25000 100000$" /sys/fs/cgroup$p/cpu.max &&
			grep "^67108864$" /sys/fs/cgroup$p/memory.max
		else
			p=$(awk -F: "\$2 ~ /(^|,)cpu(,|$)/ {print \$3}" cg) &&
			m=$(awk -F: "\$2 ~ /(^|,)memory(,|$)/ {print \$3}" cg) &&
			grep "^25000$" /sys/fs/cgroup/cpu$p/cpu.cfs_quota_us &&
			grep "^67108864$" /sys/fs/cgroup/memory$m/memory.limit_in_bytes
		fi && wait &&
		case "$p" in */acrun-*) test ! -e /sys/fs/cgroup/cpu$p && test ! -e /sys/fs/cgroup$p ;; *) false ;; esac
	'
else
	test_skip 'resource/memory and resource/cpu limits' "no usable cgroup here: $(cat cgerr)"
fi

chmod 755 "$TRASH"
mkdir -m 755 "$TRASH/nobody" && chown 65534:65534 "$TRASH/nobody" && cp img.aci "$TRASH/nobody/" &&
	chown 65534:65534 "$TRASH/nobody/img.aci"
export N="setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$TRASH/nobody XDG_DATA_HOME=$TRASH/nobody/data acrun --insecure-options=image"
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U -r -m -p -f true 2>/dev/null; then
	test_expect_success 'as non-root: a user namespace maps the caller to root' '
		cd nobody &&
		$N run img.aci > out && echo "hello from probe" | test_cmp - out &&
		$N run img.aci -- id > out && echo "uid=0 gid=0" | test_cmp - out &&
		$N run img.aci -- dev /dev/null > out && echo "char 1:3" | test_cmp - out &&
		$N run img.aci -- write /dev/null x &&
		test_expect_code 125 $N run --user 1000 img.aci 2> err && test_grep "user 1000: as non-root" err &&
		test -d data/acrun/images
	'
else
	test_skip 'as non-root: a user namespace maps the caller to root' 'the kernel refuses unprivileged user namespaces here (or no setpriv)'
fi

test_done
