#!/bin/bash
# acbuild on the cached debootstrap layout (bench/rootfs.sh):
#
#   (a) a 10-step script: begin from the bench ACI, set-name, 5 x label add, environment add,
#       copy, set-exec, write, end   vs   tar -C layout -cf - manifest rootfs | gzip -6
#       time ratio <= 0.35
#   (b) one manifest edit (label add) in a session whose rootfs is that image: median wall
#       time <= 5 ms; it must not touch the rootfs (checked: no rootfs file changes).  The
#       session is begun from the layout directory, so that its rootfs is unpacked on disk
#       (a session begun from the ACI keeps it packed: see acbuild/base.c).
#
# Also shown (INFO): begin, write and end of one more script run, timed alone, and what
# unpacking the base costs when a step needs the whole tree (copy onto an existing directory).
#
# BENCH_WORK (default: $BENCH_CACHE/work-acbuild) holds the sessions and images; put it on
# another file system to compare (e.g. a tmpfs, or a journaled ext4).
#
# Never part of the test suite; run it with `make bench` or bench/acbuild.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ACTOOL=${ACTOOL:-$BENCH_TOP/build/plain/bin/actool}
ACBUILD=${ACBUILD:-$BENCH_TOP/build/plain/bin/acbuild}
[ -x "$ACBUILD" ] || bench_die "$ACBUILD not found; run make first"
layout=$("$BENCH_DIR/rootfs.sh")
work=${BENCH_WORK:-$BENCH_CACHE/work-acbuild}
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# ext4 without a journal skips inodes freed in the last 60 s (up to 6 min)
# when it allocates one, scanning past each of them (recently_deleted() in
# fs/ext4/ialloc.c): after an "end", or any mass deletion on the file system,
# every file an unpack creates can cost ~0.5 ms instead of ~20 us.
warn_nojournal() {
	local src fstype
	read -r src fstype < <(findmnt -n -o SOURCE,FSTYPE -T "$1" 2>/dev/null) || return 0
	[ "$fstype" = ext4 ] || return 0
	ls /proc/fs/jbd2/ 2>/dev/null | grep -q "^${src##*/}-" && return 0
	echo "bench/acbuild: warning: $1 is on ext4 without a journal ($src): creating files right after"
	echo "  deleting many is slow there, which inflates unpacking; see BENCH_WORK to measure elsewhere"
}
warn_nojournal "$work"
q() { printf '%q' "$1"; }
L=$(q "$layout") W=$(q "$work") B=$(q "$ACBUILD")

echo "bench/acbuild: $layout, $BENCH_RUNS runs per median"
bench_warm "$layout"
"$ACTOOL" build --overwrite "$layout" "$work/base.aci"
echo hello > "$work/file" && mkdir "$work/dir" && cp "$work/file" "$work/dir/"

script="cd $W && rm -rf s && mkdir s && cd s &&
	$B begin ../base.aci && $B set-name example.com/bench &&
	$B label add a 1 && $B label add b 2 && $B label add c 3 && $B label add d 4 && $B label add e 5 &&
	$B environment add FOO bar && $B copy ../file /file && $B set-exec -- /bin/sh &&
	$B write --overwrite ../out.aci >/dev/null && $B end"
read -r tb ta < <(bench_median_time_pair "$BENCH_RUNS" \
	"tar -C $L -cf - manifest rootfs | gzip -6 > $W/x.tar.gz" "$script")
ratio=$(bench_ratio "$ta" "$tb")
bench_result "10-step script: tar | gzip -6 (s)" "$tb" "" INFO
bench_result "10-step script: acbuild (s)" "$ta" "" INFO
bench_result "10-step script: time ratio acbuild / tar|gzip -6" "$ratio" "<= 0.35" "$(bench_le "$ratio" 0.35)"

# the three long steps of one more run, alone
t() { local t0=$EPOCHREALTIME; "$@" >/dev/null || bench_die "failed: $*"; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }'; }
cd "$work" && rm -rf s && mkdir s && cd s
tbegin=$(t "$ACBUILD" begin ../base.aci)
"$ACBUILD" set-name example.com/bench
twrite=$(t "$ACBUILD" write --overwrite ../out.aci)
tend=$(t "$ACBUILD" end)
bench_result "10-step script, one run: begin (s)" "$tbegin" "" INFO
bench_result "10-step script, one run: write (s)" "$twrite" "" INFO
bench_result "10-step script, one run: end (s)" "$tend" "" INFO
"$ACBUILD" begin ../base.aci
tunpack=$(t "$ACBUILD" copy ../dir /etc)
"$ACBUILD" set-name example.com/bench
twrite2=$(t "$ACBUILD" write --overwrite ../out.aci)
tend2=$(t "$ACBUILD" end)
bench_result "unpacked (copy into /etc): the copy, unpacking (s)" "$tunpack" "" INFO
bench_result "unpacked: write (s)" "$twrite2" "" INFO
bench_result "unpacked: end (s)" "$tend2" "" INFO

# (b) label add on a big session, timed one by one
cd "$work" && rm -rf e && mkdir e && cd e
"$ACBUILD" begin "$layout/rootfs"
touch "$work/file"
times=()
for i in $(seq 1 21); do
	t0=$EPOCHREALTIME
	"$ACBUILD" label add "k$i" "v$i"
	t1=$EPOCHREALTIME
	times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) * 1000 }')")
done
ms=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[(NR + 1) / 2] }')
changed=$(find .acbuild/currentaci/rootfs -newer "$work/file" | wc -l)
"$ACBUILD" end
bench_result "label add on the big session: median (ms)" "$ms" "<= 5" "$(bench_le "$ms" 5)"
bench_result "label add: rootfs entries changed" "$changed" "0" "$( [ "$changed" = 0 ] && echo PASS || echo FAIL)"
