# actool build / validate / cat-manifest / extract / image-id: round trips,
# determinism, compression choices and the original's messages.
. "$(dirname "$0")/lib.sh"

export TREESUM="python3 $TEST_DIRECTORY/helpers/treesum.py"

# A layout with every kind of file an image may hold.
make_layout() {
	mkdir -p "$1/rootfs/bin" "$1/rootfs/etc" "$1/rootfs/empty" "$1/rootfs/deep/a/b/c" &&
	write_manifest "$1/manifest" &&
	printf 'hello\n' > "$1/rootfs/etc/greeting" &&
	head -c 300000 /dev/urandom > "$1/rootfs/bin/blob" &&
	seq 1 200000 > "$1/rootfs/deep/a/b/c/numbers" &&
	chmod 4755 "$1/rootfs/bin/blob" &&
	chmod 0600 "$1/rootfs/etc/greeting" &&
	chmod 1777 "$1/rootfs/empty" &&
	ln -s ../etc/greeting "$1/rootfs/bin/link" &&
	ln -s /etc/passwd "$1/rootfs/bin/abs-link" &&
	ln "$1/rootfs/etc/greeting" "$1/rootfs/bin/hard" &&
	mkfifo "$1/rootfs/bin/fifo" &&
	: > "$1/rootfs/empty-file" &&
	long=$(printf 'n%.0s' $(seq 1 220)) &&
	printf 'long\n' > "$1/rootfs/deep/$long" &&
	printf 'unicode\n' > "$1/rootfs/etc/héllo-wörld-日本" &&
	touch -d '2020-01-02 03:04:05' "$1/rootfs/etc/greeting"
}

test_expect_success 'build, validate and extract reproduce the tree' '
	make_layout layout &&
	actool build layout out.aci &&
	actool validate out.aci &&
	actool extract out.aci x &&
	$TREESUM layout/rootfs > expect &&
	$TREESUM x/rootfs > actual &&
	test_cmp expect actual &&
	cmp layout/manifest x/manifest || {
		# the stored manifest is the canonical serialisation
		actool cat-manifest out.aci > printed && cmp x/manifest <(head -c -1 printed)
	}
'

test_expect_success ROOT 'owners, device nodes and setuid survive as root' '
	make_layout rl &&
	chown 1234:5678 rl/rootfs/etc/greeting &&
	chown -h 42:43 rl/rootfs/bin/link &&
	mknod rl/rootfs/bin/null c 1 3 &&
	mknod rl/rootfs/bin/loop b 7 0 &&
	actool build rl r.aci &&
	actool extract r.aci rx &&
	$TREESUM rl/rootfs > expect &&
	$TREESUM rx/rootfs > actual &&
	test_cmp expect actual &&
	stat -c %u:%g rx/rootfs/etc/greeting > owner && echo 1234:5678 | test_cmp - owner
'

test_expect_success ROOT '--owner-root makes every entry root-owned' '
	make_layout ol &&
	chown -R 1000:1000 ol/rootfs &&
	actool build --owner-root ol o.aci &&
	actool extract o.aci ox &&
	test -z "$(find ox/rootfs ! -uid 0)" && test -z "$(find ox/rootfs ! -gid 0)" &&
	tar -tvzf o.aci | grep -v "root/root" > non-root; test ! -s non-root
'

test_expect_success XATTR 'user xattrs survive a round trip' '
	mkdir -p xl/rootfs && write_manifest xl/manifest &&
	echo data > xl/rootfs/f &&
	setfattr -n user.colour -v blue xl/rootfs/f &&
	setfattr -n user.shape -v round xl/rootfs/f &&
	actool build xl xa.aci && actool extract xa.aci xx &&
	getfattr --only-values -n user.colour xx/rootfs/f > v && echo -n blue | test_cmp - v
'

test_expect_success 'the image ID is the sha512 of the uncompressed tar' '
	actool image-id out.aci > id &&
	echo "sha512-$(gzip -dc out.aci | sha512sum | cut -d" " -f1)" > expect &&
	test_cmp expect id
'

test_expect_success 'the archive holds manifest first, then rootfs in sorted order' '
	gzip -dc out.aci | tar -t > names &&
	head -1 names > first && echo manifest | test_cmp - first &&
	sed 1d names | sed "s,/$,," > rest &&
	LC_ALL=C sort -c rest 2>/dev/null || {
		# sorted per directory level: each directory before its contents
		test "$(sed -n 1p rest)" = rootfs
	}
'

test_expect_success 'same tree, different mtimes, same SOURCE_DATE_EPOCH: byte-identical' '
	make_layout d1 && cp -a d1 d2 &&
	touch -h -d "2029-01-01" $(find d1) &&
	touch -h -d "2030-01-01" $(find d2) &&
	SOURCE_DATE_EPOCH=1600000000 actool build d1 d1.aci &&
	SOURCE_DATE_EPOCH=1600000000 actool build d2 d2.aci &&
	cmp d1.aci d2.aci
'

test_expect_success 'building twice gives the same bytes; 1 and 2 threads give the same bytes' '
	actool build --threads=1 layout t1.aci &&
	actool build --threads=2 layout t2.aci &&
	actool build layout t3.aci &&
	cmp t1.aci t2.aci && cmp t1.aci t3.aci
'

test_expect_success 'a multi-chunk image is identical with 1 and 2 threads' '
	mkdir -p big/rootfs && write_manifest big/manifest &&
	head -c 20000000 /dev/urandom > big/rootfs/random &&
	seq 1 3000000 > big/rootfs/text &&
	actool build --threads=1 big b1.aci && actool build --threads=2 big b2.aci &&
	cmp b1.aci b2.aci && actool validate b1.aci && gzip -t b1.aci
'

test_expect_success 'SOURCE_DATE_EPOCH clamps every time stored' '
	SOURCE_DATE_EPOCH=86400 actool build layout clamp.aci &&
	tar -tvzf clamp.aci --full-time | awk "{print \$4}" | sort -u > dates &&
	echo 1970-01-02 | test_cmp - dates
'

for comp in xz bzip2 none; do
	test_expect_success "--compression=$comp gives a valid image readable by standard tools" "
		actool build --compression=$comp layout c-$comp.aci &&
		actool validate c-$comp.aci &&
		case $comp in
		xz) xz -dc c-$comp.aci | tar -t > list ;;
		bzip2) bzip2 -dc c-$comp.aci | tar -t > list ;;
		none) tar -tf c-$comp.aci > list ;;
		esac &&
		test_grep '^rootfs/etc/greeting' list &&
		actool image-id c-$comp.aci > id2 && actool image-id out.aci > id1 && test_cmp id1 id2
	"
done

test_expect_success '--no-compression writes a plain tar' '
	actool build --no-compression layout plain.aci &&
	tar -tf plain.aci | head -1 > first && echo manifest | test_cmp - first
'

test_expect_success 'the output must end in .aci' '
	test_expect_code 1 actool build layout out.tar 2> err &&
	echo "build: Extension must be .aci (given .tar)" | test_cmp - err
'

test_expect_success 'an existing target is kept unless --overwrite' '
	echo precious > keep.aci &&
	test_expect_code 1 actool build layout keep.aci 2> err &&
	echo "build: Target file exists (try --overwrite)" | test_cmp - err &&
	echo precious | test_cmp - keep.aci &&
	actool build --overwrite layout keep.aci && actool validate keep.aci
'

test_expect_success 'an invalid layout fails with the original message and writes nothing' '
	mkdir -p bad/rootfs && echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"BAD\"}" > bad/manifest &&
	test_expect_code 1 actool build bad bad.aci 2> err &&
	test_one_line err && test_grep "^build: Layout failed validation: .*ACIdentifier" err &&
	test ! -e bad.aci && test -z "$(ls -A . | grep "^\.bad")"
'

test_expect_success 'an interrupted build leaves no partial or temporary file' '
	head -c 60000000 /dev/urandom > big/rootfs/random2 &&
	# job control: otherwise background jobs start with SIGINT ignored
	set -m &&
	for sig in TERM INT; do
		actool build --compression=xz big killed.aci & pid=$! &&
		for i in $(seq 1 500); do
			ls -A | grep -q "^\.killed\.aci\.tmp" && break
			sleep 0.01
		done &&
		kill -$sig $pid; wait $pid; rc=$?
		test $rc -gt 128 && test ! -e killed.aci &&
		test -z "$(ls -A | grep "killed")" || { echo "after SIG$sig: rc=$rc; $(ls -A)"; exit 1; }
	done
'

test_expect_success !ROOT 'an unreadable directory fails cleanly and keeps the previous output' '
	actool build layout prev.aci && cp prev.aci prev.copy &&
	mkdir -p broken/rootfs/sub && write_manifest broken/manifest &&
	chmod 000 broken/rootfs/sub &&
	test_expect_code 1 actool build --overwrite broken prev.aci 2> err &&
	test_one_line err && test_grep "rootfs/sub" err &&
	cmp prev.aci prev.copy && test -z "$(ls -A | grep "^\.prev")"
'

test_expect_success ROOT 'a full disk fails with ENOSPC and keeps the previous output' '
	mkdir small && mount -t tmpfs -o size=2m tmpfs small &&
	actool build layout small/prev.aci && cp small/prev.aci prev.copy &&
	test_expect_code 1 actool build --overwrite big small/prev.aci 2> err;
	rc=$?
	ls -A small > left
	cmp small/prev.aci prev.copy; same=$?
	umount small
	test $rc = 0 && test $same = 0 && test_one_line err && test_grep "No space left on device" err &&
	printf "prev.aci\n" | test_cmp - left
'

test_expect_success 'wrong argument counts and unknown flags' '
	test_expect_code 1 actool build layout 2> err &&
	echo "build: Must provide directory and output file" | test_cmp - err &&
	test_expect_code 2 actool build --bogus layout x.aci 2> err &&
	test_grep "flag provided but not defined: -bogus" err &&
	test_expect_code 2 actool nosuch 2> err &&
	test_grep "actool: unknown subcommand: \"nosuch\"" err
'

test_expect_success 'Go-style flags: one dash, =value, =false' '
	actool build -overwrite=true -no-compression=false layout out.aci &&
	gzip -t out.aci
'

test_expect_success 'version and help' '
	actool version > v && echo "actool version 0.8.11" | test_cmp - v &&
	actool help > h && test_grep "^	build	" h && test_grep "patch-manifest" h &&
	actool help build > hb && test_grep "overwrite" hb &&
	test_expect_code 1 actool help nosuch 2> err && echo "Unrecognized command: nosuch" | test_cmp - err
'

test_done
