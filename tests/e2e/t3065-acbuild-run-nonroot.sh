# acbuild run as non-root (uid 65534): the runner maps the caller, and only
# the caller, to root in a user namespace.  What the step makes belongs to
# the caller on disk and to root inside; a step that gives a file to any
# other ID fails by itself (that ID does not exist in the namespace).
# Dependencies are stacked with overlayfs where the kernel allows it in a
# user namespace, else copied.  Where the kernel refuses user namespaces,
# run fails with one line saying so.
. "$(dirname "$0")/lib.sh"

skip_all_unless "needs root (to become uid 65534 with setpriv) and cc -static" ROOT SETPRIV STATIC_CC

# tree DIR: the paths below DIR, sorted.
tree() { (cd "$1" && find . -mindepth 1 | sort); }

# nouserns CMD...: CMD as root in a user namespace that maps the host's IDs
# 0-65535 to themselves and allows no user namespace below it (limit 0).
nouserns() {
	unshare -U sh -c 'while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.01; done; exec "$@"' sh \
		sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"' sh "$@" &
	local pid=$! n=0
	while [ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" ] && [ $n -lt 500 ]; do
		sleep 0.01
		n=$((n + 1))
	done
	{ echo "0 0 65536" > /proc/$pid/uid_map && echo "0 0 65536" > /proc/$pid/gid_map; } 2>/dev/null || kill $pid
	wait $pid
}

# Everything below runs as uid 65534 in $TRASH/nobody, its own directory;
# never the machine's acrun store.
chmod 755 "$TRASH"
mkdir -m 755 "$TRASH/nobody" && chown 65534:65534 "$TRASH/nobody" || exit 1
NB=$TRASH/nobody
export NB N="setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$NB TMPDIR=$NB XDG_DATA_HOME=$NB/data ACRUN_DIR=$NB/no-store"

test_expect_success 'setup: the probe; a session begun by uid 65534, and owned by it' '
	cc -static -O -o nobody/probe "$TEST_DIRECTORY/helpers/probe.c" && chown 65534:65534 nobody/probe &&
	cd nobody && $N acbuild begin && $N acbuild copy probe /bin/probe &&
	stat -c %u:%g .acbuild .acbuild/currentaci/rootfs .acbuild/currentaci/rootfs/bin/probe | sort -u > owners &&
	echo 65534:65534 | test_cmp - owners
'

if ! setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U -r -m -p -f true 2>/dev/null; then
	test_expect_success 'where the kernel refuses user namespaces: one line says so' '
		cd nobody &&
		test_expect_code 1 $N acbuild run -- /bin/probe exit 0 2> err && test_one_line err &&
		test_grep "^run: running as non-root needs a user namespace, and the kernel refused it (.*) or run as root$" err
	'
	test_skip 'acbuild run as non-root' 'the kernel refuses unprivileged user namespaces here'
	test_done
fi

test_expect_success 'files the step makes land in the image: the caller.s on disk, root.s inside and in the ACI' '
	cd nobody &&
	$N acbuild run -- /bin/probe write /made hello &&
	echo -n hello | test_cmp - .acbuild/currentaci/rootfs/made &&
	stat -c %u:%g .acbuild/currentaci/rootfs/made > owner && echo 65534:65534 | test_cmp - owner &&
	$N acbuild run -- probe id > out && echo "uid=0 gid=0" | test_cmp - out &&
	$N acbuild run -- probe owner /made > out && echo 0:0 | test_cmp - out &&
	tree .acbuild/currentaci/rootfs > after && printf "./bin\n./bin/probe\n./made\n" | test_cmp - after &&
	$N acbuild set-name example.com/nonroot && $N acbuild write out.aci &&
	tar -tzf out.aci | sort > list && test_grep "^rootfs/made$" list &&
	tar --numeric-owner -tvzf out.aci rootfs/made > made.v && test_grep " 0/0 " made.v &&
	! grep -q "rootfs/\(proc\|sys\|dev\|tmp\|etc\)" list
'

test_expect_success 'only the caller is mapped: a chown to another ID fails in the command itself' '
	cd nobody &&
	$N acbuild run -- probe chown /made 0 &&
	test_expect_code 1 $N acbuild run -- probe chown /made 1000 2> err &&
	test_grep "^/made: Invalid argument$" err && test_grep "^run: non-zero exit code: 1$" err &&
	stat -c %u:%g .acbuild/currentaci/rootfs/made > owner && echo 65534:65534 | test_cmp - owner
'

test_expect_success 'the command exit status is acbuild exit status' '
	cd nobody &&
	test_expect_code 7 $N acbuild run -- /bin/probe exit 7 2> err && test_grep "non-zero exit code: 7" err &&
	test_expect_code 0 $N acbuild run -- /bin/probe exit 0 &&
	test_expect_code 1 $N acbuild run -- /nope 2> err && test_one_line err &&
	test_grep "^run: binary \"/nope\" doesn.t exist$" err &&
	test_expect_code 1 $N acbuild run -- nope 2> err && test_grep "^run: nope not found in any of" err
'

test_expect_success 'arguments reach the program verbatim: commas, spaces, quotes' '
	cd nobody &&
	$N acbuild run -- probe args "a,b" "c d" "e\"f" "" > out &&
	printf "0:probe\n1:args\n2:a,b\n3:c d\n4:e\"f\n5:\n" | test_cmp - out
'

test_expect_success 'resolv.conf: the host one during the step, never left behind; the image one kept' '
	cd nobody &&
	if [ -f /etc/resolv.conf ]; then
		$N acbuild run -- probe cat /etc/resolv.conf > out && test_cmp /etc/resolv.conf out || exit 1
	fi &&
	test ! -e .acbuild/currentaci/rootfs/etc &&
	$N acbuild run -- probe write /etc/resolv.conf "nameserver 192.0.2.1" &&
	if [ -f /etc/resolv.conf ]; then
		$N acbuild run -- probe cat /etc/resolv.conf > out && test_cmp /etc/resolv.conf out &&
		test_must_fail $N acbuild run -- probe write /etc/resolv.conf x 2> err || exit 1
	fi &&
	echo -n "nameserver 192.0.2.1" | test_cmp - .acbuild/currentaci/rootfs/etc/resolv.conf &&
	tree .acbuild/currentaci/rootfs > after &&
	printf "./bin\n./bin/probe\n./etc\n./etc/resolv.conf\n./made\n" | test_cmp - after &&
	$N acbuild end && test ! -e .acbuild
'

test_expect_success 'setup: a base image in an acrun store of uid 65534' '
	mkdir -p base/rootfs/bin base/rootfs/etc && cp nobody/probe base/rootfs/bin/probe &&
	echo base > base/rootfs/etc/base.conf && echo other > base/rootfs/etc/other &&
	cat > base/manifest <<-EOF &&
	{"acKind":"ImageManifest","acVersion":"0.8.11","name":"localhost/base",
	 "labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}
	EOF
	actool build base nobody/base.aci && chown 65534:65534 nobody/base.aci &&
	cd nobody && $N acrun --dir "$NB/store" --insecure-options=image fetch base.aci > base.id
'

# with_dep DIR: a session in nobody/DIR depending on localhost/base; the
# steps see the base, and only what they change lands in the image.
with_dep() {
	mkdir "$NB/$1" && chown 65534:65534 "$NB/$1" && cd "$NB/$1" &&
	$N acbuild begin && $N acbuild set-name example.com/ondep &&
	$N acbuild dependency add localhost/base --label version=1.0 &&
	$N ACRUN_DIR="$NB/store" acbuild run -- /bin/probe cat /etc/base.conf > out && echo base | test_cmp - out &&
	$N acbuild run -- /bin/probe write /etc/new made &&
	$N acbuild run -- /bin/probe write /etc/base.conf changed &&
	$N acbuild run -- /bin/probe owner /etc/base.conf > out && echo 0:0 | test_cmp - out &&
	$N acbuild run -- /bin/probe mkdir /var && $N acbuild run -- /bin/probe write /var/x 1 &&
	tree .acbuild/currentaci/rootfs > after &&
	printf "./etc\n./etc/base.conf\n./etc/new\n./var\n./var/x\n" | test_cmp - after &&
	echo -n changed | test_cmp - .acbuild/currentaci/rootfs/etc/base.conf &&
	find .acbuild/currentaci/rootfs ! -user 65534 > foreign && test_cmp /dev/null foreign &&
	$N acbuild run -- /bin/probe rm /var/x && $N acbuild run -- /bin/probe rm /etc/new &&
	tree .acbuild/currentaci/rootfs > after && printf "./etc\n./etc/base.conf\n./var\n" | test_cmp - after &&
	$N acbuild write ../ondep-$1.aci && tar -tzf ../ondep-$1.aci | sort > list &&
	! grep -q "rootfs/bin" list && test_grep "^rootfs/etc/base.conf$" list &&
	ls .acbuild/depstore/pods > pods && test_cmp /dev/null pods &&
	$N acbuild end
}

test_expect_success 'with a dependency (overlayfs where the kernel allows it): only the step.s changes land' '
	with_dep s1 &&
	cd "$NB" && mkdir s1b && chown 65534:65534 s1b && cd s1b &&
	$N acbuild begin && $N acbuild dependency add localhost/base --label version=1.0 &&
	$N ACRUN_DIR="$NB/store" acbuild run -- /bin/probe rm /etc/other 2> err && test_grep "warning" err &&
	tree .acbuild/currentaci/rootfs > after && test_cmp /dev/null after &&
	$N acbuild end
'

test_expect_success 'with a dependency, the copy fallback (ACBUILD_NO_OVERLAY=1): the same' '
	export ACBUILD_NO_OVERLAY=1 && with_dep s2
'

test_expect_success 'a build begun from an ACI by uid 65534: run unpacks it, the step changes it' '
	cd nobody && mkdir s4 && chown 65534:65534 s4 && cd s4 &&
	$N acbuild begin ../base.aci &&
	$N acbuild run -- /bin/probe write /etc/new made &&
	$N acbuild run -- /bin/probe cat /etc/base.conf > out && echo base | test_cmp - out &&
	tree .acbuild/currentaci/rootfs > after &&
	printf "./bin\n./bin/probe\n./etc\n./etc/base.conf\n./etc/new\n./etc/other\n" | test_cmp - after &&
	find .acbuild ! -user 65534 > foreign && test_cmp /dev/null foreign &&
	$N acbuild end
'

test_expect_success 'a script with run lines, as uid 65534' '
	cd nobody &&
	printf "begin\ncopy probe /bin/probe\nrun probe write /s \"a,b\"\nrun -- /bin/probe exit 0\n" > s.acb &&
	printf "set-name example.com/script\nwrite s.aci\n" >> s.acb &&
	$N acbuild script s.acb 2> err &&
	tar -xzf s.aci rootfs/s && echo -n a,b | test_cmp - rootfs/s &&
	ls "$NB" | grep "^acbuild-script-" > left; test_cmp /dev/null left &&
	printf "begin\ncopy probe /bin/probe\nrun probe exit 3\nwrite never.aci\n" > f.acb &&
	test_expect_code 3 $N acbuild script f.acb 2> err && test_grep "^script: exit status 3$" err &&
	test ! -e never.aci
'

if (nouserns true && ! nouserns setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U true) 2>/dev/null; then
	test_expect_success 'where the kernel refuses user namespaces: one line says so' '
		cd nobody && mkdir s3 && chown 65534:65534 s3 && cd s3 &&
		$N acbuild begin && $N acbuild copy ../probe /bin/probe &&
		test_expect_code 1 nouserns $N acbuild run -- /bin/probe exit 0 2> err && test_one_line err &&
		test_grep "^run: running as non-root needs a user namespace, and the kernel refused it (unshare: .*) or run as root$" err &&
		printf "begin\ncopy ../probe /bin/probe\nrun /bin/probe exit 0\n" > r.acb &&
		test_expect_code 1 nouserns $N acbuild script r.acb 2> err &&
		test_grep "^run: running as non-root needs a user namespace" err && test_grep "^script: exit status 1$" err &&
		$N acbuild run -- /bin/probe exit 0 && $N acbuild end
	'
else
	test_skip 'where the kernel refuses user namespaces: one line says so' 'cannot forbid user namespaces here'
fi

test_done
