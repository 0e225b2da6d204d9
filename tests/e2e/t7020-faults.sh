# Faults: interrupted commands, a full disk and concurrent commands leave no
# partial output, no stray temporary file, and state the next command accepts.
. "$(dirname "$0")/lib.sh"
TEST_TIMEOUT=300

# a tree big enough that writing it takes a moment (random data does not compress)
test_expect_success 'setup: a big layout, an image of it, an OCI image of the same tree' '
	mkdir -p big/rootfs && write_manifest big/manifest &&
	for i in 1 2 3 4; do head -c 30000000 /dev/urandom > big/rootfs/r$i; done &&
	actool build big big.aci &&
	mkdir small-layout/ -p && mkdir small-layout/rootfs && echo hi > small-layout/rootfs/hi &&
	write_manifest small-layout/manifest && actool build small-layout small.aci &&
	python3 "$TEST_DIRECTORY/helpers/oci-layout.py" big/rootfs oci
'

# kill_during CMD...: starts CMD with job control, kills it with each of
# TERM and INT once a temporary file shows up (or after 0.3 s), and checks
# the exit status says so.
kill_during() {
	local sig
	for sig in TERM INT; do
		set -m
		"$@" >/dev/null 2>&1 & local pid=$!
		set +m
		for i in $(seq 1 60); do
			ls -A | grep -q "\\.tmp" && break
			sleep 0.005
		done
		kill -$sig $pid 2>/dev/null; wait $pid; local rc=$?
		test $rc -gt 128 || test $rc = 0 || { echo "$*: rc $rc after SIG$sig"; return 1; }
	done
}
export -f kill_during

test_expect_success 'docker2aci killed: no partial image, no temporary file left in TMPDIR' '
	mkdir -p d2a tmp && cd d2a &&
	TMPDIR=$TRASH/tmp kill_during docker2aci -compression xz ../oci &&
	test -z "$(ls -A ../tmp)" &&
	for f in $(ls -A); do actool validate "$f" || exit 1; done
'


test_expect_success 'acbuild write killed: no partial image, no temporary file, the session still works' '
	mkdir w && cd w && acbuild begin ../big && acbuild set-name example.com/big &&
	kill_during acbuild write --compression=xz out.aci &&
	test ! -e out.aci || actool validate out.aci &&
	test -z "$(ls -A | grep -v -e "^\\.acbuild$" -e "^out\\.aci$")" &&
	acbuild label add after kill && acbuild write --overwrite out.aci > /dev/null && actool validate out.aci &&
	acbuild end
'

test_expect_success 'actool patch-manifest killed: the input is intact, no temporary file' '
	cp big.aci p.aci && cmp big.aci p.aci &&
	kill_during actool patch-manifest --replace --compression=xz --name=example.com/p p.aci &&
	actool validate p.aci && test -z "$(ls -A | grep "\\.tmp")"
'

test_expect_success ROOT 'a full disk: acbuild write fails with ENOSPC and keeps the previous file' '
	mkdir small && mount -t tmpfs -o size=4m tmpfs small &&
	mkdir wf && (cd wf && acbuild begin ../big && acbuild set-name example.com/big) &&
	cp small.aci small/prev.aci &&
	(cd wf && acbuild write --overwrite ../small/prev.aci) 2> err; rc=$?
	ls -A small > left; cmp -s small/prev.aci small.aci; same=$?
	umount small; (cd wf && acbuild end)
	test $rc = 1 && test $same = 0 && test_one_line err && test_grep "No space left on device" err &&
	printf "prev.aci\n" | test_cmp - left
'

test_expect_success ROOT 'two acrun fetch of the same image at once: one stored copy, consistent store' '
	acrun --dir store --insecure-options=image fetch big.aci > id1 & p1=$!
	acrun --dir store --insecure-options=image fetch big.aci > id2 & p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	test $r1 = 0 && test $r2 = 0 && cmp id1 id2 &&
	acrun --dir store image list --format json > l && test $(grep -c "sha512-" l) = 1 &&
	acrun --dir store image export $(cat id1) back.aci && actool validate back.aci
'

test_expect_success 'two acbuild write to the same file at once: the file is one whole image' '
	mkdir c1 c2 && (cd c1 && acbuild begin ../small-layout && acbuild set-name example.com/one) &&
	(cd c2 && acbuild begin ../small-layout && acbuild set-name example.com/two) &&
	(cd c1 && acbuild write --overwrite ../same.aci >/dev/null) & p1=$!
	(cd c2 && acbuild write --overwrite ../same.aci >/dev/null) & p2=$!
	wait $p1; wait $p2
	actool validate same.aci && actool cat-manifest same.aci | grep -q "example.com/\\(one\\|two\\)" &&
	test -z "$(ls -A | grep "\\.tmp")" &&
	(cd c1 && acbuild end) && (cd c2 && acbuild end)
'

test_done
