# More faults: concurrent and interrupted docker2aci and acrun fetch, full
# disks under them, an interrupted acbuild run, and a deep dependency diamond.
. "$(dirname "$0")/lib.sh"
TEST_TIMEOUT=300

kill_after() { # SECONDS CMD...: job control so that the job gets the signal
	local t=$1; shift
	set -m
	"$@" >/dev/null 2>&1 & local pid=$!
	set +m
	sleep "$t"; kill -TERM $pid 2>/dev/null; wait $pid
	return 0
}
export -f kill_after

test_expect_success 'setup: a big OCI image and a big ACI' '
	mkdir -p big/rootfs && write_manifest big/manifest &&
	for i in 1 2 3; do head -c 30000000 /dev/urandom > big/rootfs/r$i; done &&
	actool build big big.aci &&
	python3 "$TEST_DIRECTORY/helpers/oci-layout.py" big/rootfs oci
'

test_expect_success 'two docker2aci writing the same output name at once: one whole image, no temporary file' '
	{ mkdir two tmp2 && cd two || exit 1; }
	(TMPDIR=$TRASH/tmp2 docker2aci ../oci > o1 2>&1) & p1=$!
	(TMPDIR=$TRASH/tmp2 docker2aci ../oci > o2 2>&1) & p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	test $r1 = 0 -o $r2 = 0 && actool validate oci-latest.aci &&
	test -z "$(ls -A | grep -v -e "^oci-latest.aci$" -e "^o[12]$")" && test -z "$(ls -A ../tmp2)"
'

test_expect_success ROOT 'docker2aci on a full disk: ENOSPC in one line, no partial image, previous file kept' '
	mkdir full && mount -t tmpfs -o size=4m tmpfs full &&
	echo previous > full/oci-latest.aci &&
	(cd full && docker2aci ../oci > ../out 2> ../err); rc=$?
	left=$(ls -A full); prev=$(cat full/oci-latest.aci)
	umount full
	test $rc = 1 && test_grep "No space left on device" err && test "$left" = oci-latest.aci && test "$prev" = previous
'

test_expect_success ROOT 'acrun fetch killed midway, then again: the store stays consistent' '
	kill_after 0.3 acrun --dir store --insecure-options=image fetch big.aci &&
	acrun --dir store image list --format json > l1 &&
	acrun --dir store --insecure-options=image fetch big.aci > id && grep -q "^sha512-" id &&
	acrun --dir store image list --format json > l2 && test $(grep -c "sha512-" l2) = 1 &&
	acrun --dir store gc >/dev/null && acrun --dir store image export $(cat id) back.aci && cmp big.aci back.aci
'

test_expect_success ROOT 'acrun fetch into a full store: one line, nothing half stored' '
	mkdir fs && mount -t tmpfs -o size=8m tmpfs fs &&
	acrun --dir fs/store --insecure-options=image fetch big.aci 2> err; rc=$?
	acrun --dir fs/store image list --format json > l 2>&1; lrc=$?
	umount fs
	test $rc = 1 && test_one_line err && test_grep "No space left on device" err && test $lrc = 0 && test "$(cat l)" = "[]"
'

test_expect_success ROOT 'acbuild run killed: no mount left behind, the session still works' '
	mkdir r && cd r && cp /bin/busybox bb && acbuild begin && acbuild copy bb /bin/busybox &&
	kill_after 0.5 acbuild run -- /bin/busybox sleep 30 &&
	sleep 0.2 && ! grep -q "$TRASH/r" /proc/mounts &&
	acbuild run -- /bin/busybox sh -c "echo after > /after" && test -f .acbuild/currentaci/rootfs/after &&
	acbuild set-name example.com/after && acbuild write a.aci > /dev/null && actool validate a.aci && acbuild end
'

test_expect_success ROOT 'a deep dependency diamond renders once per image, quickly' '
	mkdir -p dia && cd dia &&
	mkdir -p d0/rootfs && echo base > d0/rootfs/base &&
	printf "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/d0\"}" > d0/manifest &&
	actool build d0 d0.aci && id=$(acrun --dir st --insecure-options=image fetch d0.aci) &&
	# chain: level i depends on both images of level i-1 (2^16 paths, 33 images)
	prev_a=$id; prev_b=$id
	for i in $(seq 1 16); do
		for side in a b; do
			mkdir -p "d$i$side/rootfs" && echo "$i$side" > "d$i$side/rootfs/f$i$side" &&
			printf "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/d%s%s\",\"dependencies\":[{\"imageName\":\"example.com/d%sa\",\"imageID\":\"%s\"},{\"imageName\":\"example.com/d%sb\",\"imageID\":\"%s\"}]}" \
				"$i" "$side" "$((i - 1))" "$prev_a" "$((i - 1))" "$prev_b" > "d$i$side/manifest"
			[ $i = 1 ] && sed -i "s/example.com\/d0a/example.com\/d0/; s/example.com\/d0b/example.com\/d0/" "d$i$side/manifest"
			actool build --overwrite "d$i$side" "d$i$side.aci" || exit 1
			eval "new_$side=\$(acrun --dir st --insecure-options=image fetch d$i$side.aci)" || exit 1
		done
		prev_a=$new_a; prev_b=$new_b
	done &&
	timeout 60 acrun --dir st --insecure-options=image image render "$prev_a" out &&
	test -f out/rootfs/base && test -f out/rootfs/f16a && test -f out/rootfs/f1b
'

test_done
