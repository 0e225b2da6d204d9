# acbuild run: the command runs in the image through the runner library;
# what it changes lands in the image, and nothing else: not the mount
# points, not the host's resolv.conf, not the files of the dependencies.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/e2e/lib-nginx.sh"

skip_all_unless "needs root, namespaces and cc -static" ROOT NAMESPACES STATIC_CC
# Never the machine's acrun store.
export ACRUN_DIR=$TRASH/no-store

# tree DIR: the paths below DIR, sorted.
tree() { (cd "$1" && find . -mindepth 1 | sort); }

test_expect_success 'setup: the probe, a session with it' '
	cc -static -O -o probe "$TEST_DIRECTORY/helpers/probe.c" &&
	acbuild begin && acbuild copy probe /bin/probe &&
	tree .acbuild/currentaci/rootfs > before && printf "./bin\n./bin/probe\n" | test_cmp - before
'

test_expect_success 'files the command makes land in the image, and only them' '
	acbuild run -- /bin/probe write /made hello &&
	echo -n hello | test_cmp - .acbuild/currentaci/rootfs/made &&
	tree .acbuild/currentaci/rootfs > after && printf "./bin\n./bin/probe\n./made\n" | test_cmp - after &&
	acbuild set-name example.com/runtest && acbuild write out.aci &&
	tar -tzf out.aci | sort > list && test_grep "^rootfs/made$" list &&
	! grep -q "rootfs/\(proc\|sys\|dev\|tmp\|etc\)" list &&
	acbuild cat-manifest > m && test_grep "acbuild run \\\\\"/bin/probe\\\\\" \\\\\"write\\\\\"" m
'

test_expect_success 'the command exit status is acbuild exit status' '
	test_expect_code 7 acbuild run -- /bin/probe exit 7 2> err && test_grep "non-zero exit code: 7" err &&
	test_expect_code 0 acbuild run -- /bin/probe exit 0 &&
	test_expect_code 1 acbuild run -- /nope 2> err && test_one_line err &&
	test_grep "^run: binary \"/nope\" doesn.t exist$" err &&
	test_expect_code 1 acbuild run -- nope 2> err && test_grep "^run: nope not found in any of" err
'

test_expect_success 'arguments reach the program verbatim: commas, spaces, quotes' '
	acbuild run -- probe args "a,b" "c d" "e\"f" "" > out &&
	printf "0:probe\n1:args\n2:a,b\n3:c d\n4:e\"f\n5:\n" | test_cmp - out
'

test_expect_success 'the host resolv.conf is visible during the step but not left behind' '
	if [ -f /etc/resolv.conf ]; then
		acbuild run -- probe cat /etc/resolv.conf > out && test_cmp /etc/resolv.conf out || exit 1
	fi &&
	test ! -e .acbuild/currentaci/rootfs/etc
'

test_expect_success 'no mount point, hosts file or resolv.conf is left in the image' '
	tree .acbuild/currentaci/rootfs > after &&
	printf "./bin\n./bin/probe\n./made\n" | test_cmp - after
'

test_expect_success 'a resolv.conf the command writes stays; the host one is shown over it' '
	acbuild run -- probe write /etc/resolv.conf "nameserver 192.0.2.1" &&
	echo -n "nameserver 192.0.2.1" | test_cmp - .acbuild/currentaci/rootfs/etc/resolv.conf &&
	if [ -f /etc/resolv.conf ]; then
		acbuild run -- probe cat /etc/resolv.conf > out && test_cmp /etc/resolv.conf out &&
		test_must_fail acbuild run -- probe write /etc/resolv.conf x 2> err || exit 1
	fi &&
	echo -n "nameserver 192.0.2.1" | test_cmp - .acbuild/currentaci/rootfs/etc/resolv.conf &&
	tree .acbuild/currentaci/rootfs > after &&
	printf "./bin\n./bin/probe\n./etc\n./etc/resolv.conf\n./made\n" | test_cmp - after
'

test_expect_success '--working-dir; the default is /' '
	acbuild run -- probe mkdir /srv &&
	acbuild run --working-dir /srv -- probe cwd > out && echo /srv | test_cmp - out &&
	acbuild run --working-dir=/srv -- probe write here x && test -f .acbuild/currentaci/rootfs/srv/here &&
	acbuild run -- probe cwd > out && echo / | test_cmp - out &&
	test_must_fail acbuild run --working-dir /missing -- probe cwd 2> err && test_grep "working directory /missing" err
'

test_expect_success 'the environment: the manifest, plus a default PATH' '
	acbuild environment add FOO "bar baz" &&
	acbuild run -- probe env > env &&
	test_grep "^FOO=bar baz$" env &&
	test_grep "^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$" env &&
	! grep -q "^TRASH=" env
'

test_expect_success 'a bad engine, and run outside a build, are refused' '
	test_expect_code 1 acbuild run --engine nope -- probe 2> err && test_grep "no such engine \"nope\"" err &&
	acbuild run --engine chroot -- probe exit 0 &&
	acbuild end &&
	test_expect_code 1 acbuild run -- probe 2> err &&
	test_grep "no build in progress" err
'

# A base image with the probe, published in an acrun store and by discovery.
test_expect_success 'setup: the base image, in an acrun store' '
	mkdir -p base/rootfs/bin base/rootfs/etc && cp probe base/rootfs/bin/probe &&
	echo base > base/rootfs/etc/base.conf && echo other > base/rootfs/etc/other &&
	cat > base/manifest <<-EOF &&
	{"acKind":"ImageManifest","acVersion":"0.8.11","name":"localhost/base",
	 "labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}
	EOF
	actool build base base.aci &&
	acrun --dir "$TRASH/store" --insecure-options=image fetch base.aci > base.id
'

test_expect_success 'with a dependency from the acrun store: visible during run, not in the image' '
	mkdir s1 && cd s1 &&
	acbuild begin && acbuild set-name example.com/ondep &&
	acbuild dependency add localhost/base --label version=1.0 &&
	ACRUN_DIR=$TRASH/store acbuild run -- /bin/probe cat /etc/base.conf > out && echo base | test_cmp - out &&
	ACRUN_DIR=$TRASH/store acbuild run -- /bin/probe write /etc/new made &&
	acbuild run -- /bin/probe write /etc/base.conf changed &&
	tree .acbuild/currentaci/rootfs > after &&
	printf "./etc\n./etc/base.conf\n./etc/new\n" | test_cmp - after &&
	echo -n changed | test_cmp - .acbuild/currentaci/rootfs/etc/base.conf &&
	acbuild write ../ondep.aci && tar -tzf ../ondep.aci | sort > list &&
	! grep -q "rootfs/bin" list && test_grep "^rootfs/etc/new$" list
'

test_expect_success 'removing a file of a dependency cannot be recorded: a warning' '
	cd s1 &&
	acbuild run -- /bin/probe rm /etc/other 2> err && test_grep "warning" err &&
	tree .acbuild/currentaci/rootfs > after &&
	printf "./etc\n./etc/base.conf\n./etc/new\n" | test_cmp - after &&
	acbuild run -- /bin/probe rm /etc/new && test ! -e .acbuild/currentaci/rootfs/etc/new &&
	acbuild end
'

test_expect_success 'the copy fallback (ACBUILD_NO_OVERLAY=1) writes back the same changes' '
	mkdir s2 && cd s2 && export ACBUILD_NO_OVERLAY=1 &&
	acbuild begin && acbuild dependency add localhost/base --label version=1.0 &&
	ACRUN_DIR=$TRASH/store acbuild run -- /bin/probe cat /etc/base.conf > out && echo base | test_cmp - out &&
	acbuild run -- /bin/probe write /etc/new made &&
	acbuild run -- /bin/probe write /etc/base.conf changed &&
	acbuild run -- /bin/probe mkdir /var &&
	acbuild run -- /bin/probe write /var/x 1 &&
	tree .acbuild/currentaci/rootfs > after &&
	printf "./etc\n./etc/base.conf\n./etc/new\n./var\n./var/x\n" | test_cmp - after &&
	acbuild run -- /bin/probe rm /etc/new && acbuild run -- /bin/probe rm /var/x &&
	tree .acbuild/currentaci/rootfs > after &&
	printf "./etc\n./etc/base.conf\n./var\n" | test_cmp - after &&
	ls .acbuild/depstore/pods > pods && test ! -s pods &&
	acbuild end
'

need_nginx 'dependencies by discovery (needs nginx)'
export AC_DISCOVERY_PORT=$HTTPS_PORT

test_expect_success 'setup: publish localhost/base 1.0 by discovery' '
	mkdir -p site/images site/base && cp base.aci site/images/base-1.0.aci &&
	echo "<meta name=\"ac-discovery\" content=\"localhost/base https://localhost:$HTTPS_PORT/images/base-{version}.{ext}\">" > site/base/index.html
'

test_expect_success 'a dependency fetched by discovery, size and image ID checked' '
	mkdir s3 && cd s3 &&
	acbuild begin &&
	acbuild dependency add localhost/base --label version=1.0 --size $(stat -c %s ../base.aci) \
		--image-id $(cat ../base.id) &&
	acbuild run -- /bin/probe cat /etc/base.conf > out && echo base | test_cmp - out &&
	acbuild run -- /bin/probe write /etc/new made &&
	tree .acbuild/currentaci/rootfs > after && printf "./etc\n./etc/new\n" | test_cmp - after &&
	acbuild end
'

test_expect_success 'a wrong size, a wrong image ID, a missing version are refused' '
	mkdir s4 && cd s4 &&
	acbuild begin &&
	acbuild dependency add localhost/base --label version=1.0 --size 1000 &&
	test_expect_code 1 acbuild run -- /bin/probe cat /etc/base.conf 2> err &&
	test_grep "larger than 1000 bytes" err &&
	acbuild dependency add localhost/base --label version=1.0 --size $(( $(stat -c %s ../base.aci) + 1 )) &&
	test_expect_code 1 acbuild run -- /bin/probe cat /etc/base.conf 2> err &&
	test_grep "incorrect size" err &&
	acbuild dependency add localhost/base --label version=1.0 --image-id sha512-0123456789abcdef &&
	test_expect_code 1 acbuild run -- /bin/probe cat /etc/base.conf 2> err &&
	test_grep "match" err &&
	acbuild dependency add localhost/base --label version=2.0 &&
	test_expect_code 1 acbuild run -- /bin/probe cat /etc/base.conf 2> err &&
	test_grep "404" err &&
	tree .acbuild/currentaci/rootfs > after && test ! -s after &&
	acbuild end
'

test_done
