#!/bin/bash
# acbuild on the cached debootstrap layout (bench/rootfs.sh):
#
#   (a) a 10-step script: begin from the bench ACI, set-name, 5 x label add, environment add,
#       copy, set-exec, write, end   vs   tar -C layout -cf - manifest rootfs | gzip -6
#       time ratio <= 0.35
#   (b) one manifest edit (label add) in a session whose rootfs is that image: median wall
#       time <= 5 ms; it must not touch the rootfs (checked: no rootfs file changes)
#
# Never part of the test suite; run it with `make bench` or bench/acbuild.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ACTOOL=${ACTOOL:-$BENCH_TOP/build/plain/bin/actool}
ACBUILD=${ACBUILD:-$BENCH_TOP/build/plain/bin/acbuild}
[ -x "$ACBUILD" ] || bench_die "$ACBUILD not found; run make first"
layout=$("$BENCH_DIR/rootfs.sh")
work=$BENCH_CACHE/work-acbuild
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
q() { printf '%q' "$1"; }
L=$(q "$layout") W=$(q "$work") B=$(q "$ACBUILD")

echo "bench/acbuild: $layout, $BENCH_RUNS runs per median"
bench_warm "$layout"
"$ACTOOL" build --overwrite "$layout" "$work/base.aci"
echo hello > "$work/file"

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

# (b) label add on a big session, timed one by one
cd "$work" && rm -rf e && mkdir e && cd e
"$ACBUILD" begin ../base.aci
before=$(find .acbuild/currentaci/rootfs -newer .acbuild/currentaci/manifest | wc -l)
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
: "$before"
