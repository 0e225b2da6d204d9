#!/bin/bash
# actool against the standard tools on the cached debootstrap layout (bench/rootfs.sh):
#
#   (a) build:    tar -C layout -cf - manifest rootfs | gzip -6 > x.tar.gz
#                 vs  actool build --overwrite layout out.aci
#                 time ratio actool/baseline <= 0.25; compressed size of ours <= gzip -6's
#   (b) validate: gzip -dc out.aci > /dev/null  vs  actool validate out.aci
#                 time ratio <= 0.5
#   (c) peak RSS of actool build and actool validate <= 64 MiB each
#   (d) for information: actool validate of the tar | gzip -6 file (foreign gzip, streamed)
#
# Times are medians of $BENCH_RUNS runs (default 5) with a warm page cache, the baseline
# and actool run alternately.
# Never part of the test suite; run it with `make bench` or bench/actool.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The plain build: bin/ points at whichever flavour was built last, and a
# sanitized actool is several times slower and larger.
ACTOOL=${ACTOOL:-$BENCH_TOP/build/plain/bin/actool}
[ -x "$ACTOOL" ] || bench_die "$ACTOOL not found; run make first"
bench_need_time
layout=$("$BENCH_DIR/rootfs.sh")
[ -f "$layout/manifest" ] && [ -d "$layout/rootfs" ] || bench_die "no layout at $layout"

work=$BENCH_CACHE/work-actool
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# Quote for the command strings handed to bench_median_time.
q() { printf '%q' "$1"; }
L=$(q "$layout") W=$(q "$work") A=$(q "$ACTOOL")

entries=$(find "$layout/rootfs" | wc -l)
mb=$(du -sm --apparent-size "$layout/rootfs" | cut -f1)
echo "bench/actool: $layout ($entries entries, $mb MB apparent), $BENCH_RUNS runs per median"
echo "  actool: $ACTOOL ($("$ACTOOL" version 2>&1 | head -n 1))"
echo "  warming the page cache..."
bench_warm "$layout"

# (a) build
# Baseline and actool alternate, so that the load of the machine hits both alike.
pair=$(bench_median_time_pair "$BENCH_RUNS" \
	"tar -C $L -cf - manifest rootfs | gzip -6 > $W/x.tar.gz" "$A build --overwrite $L $W/out.aci")
read -r t_tar t_build <<<"$pair"
s_tar=$(stat -c %s "$work/x.tar.gz")
s_aci=$(stat -c %s "$work/out.aci")

# (b) validate
"$ACTOOL" validate "$work/out.aci" || bench_die "actool validate rejects the image it built"
pair=$(bench_median_time_pair "$BENCH_RUNS" \
	"gzip -dc $W/out.aci > /dev/null" "$A validate $W/out.aci")
read -r t_gunzip t_validate <<<"$pair"
# A foreign gzip image (the tar | gzip -6 file: one member, streamed, not parallel).
"$ACTOOL" validate "$work/x.tar.gz" || bench_die "actool validate rejects the tar | gzip -6 image"
pair=$(bench_median_time_pair "$BENCH_RUNS" \
	"gzip -dc $W/x.tar.gz > /dev/null" "$A validate $W/x.tar.gz")
read -r t_gunzip_f t_validate_f <<<"$pair"

# (c) memory
rss_build=$(bench_peak_rss "$ACTOOL" build --overwrite "$layout" "$work/out.aci")
rss_validate=$(bench_peak_rss "$ACTOOL" validate "$work/out.aci")
rss_gzip=$(bench_peak_rss gzip -dc "$work/out.aci")

r_build=$(bench_ratio "$t_build" "$t_tar")
r_validate=$(bench_ratio "$t_validate" "$t_gunzip")
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo
printf '  %-44s %14s  %-14s %s\n' "measure" "value" "target" "status"
bench_result "build: tar | gzip -6 (s)" "$t_tar" "" INFO
bench_result "build: actool build (s)" "$t_build" "" INFO
bench_result "build: time ratio actool / tar|gzip -6" "$r_build" "<= 0.25" "$(bench_le "$r_build" 0.25)"
bench_result "build: size tar|gzip -6 (bytes)" "$s_tar" "" INFO
bench_result "build: size actool .aci (bytes)" "$s_aci" "<= $s_tar" "$(bench_le "$s_aci" "$s_tar")"
bench_result "validate: gzip -dc (s)" "$t_gunzip" "" INFO
bench_result "validate: actool validate (s)" "$t_validate" "" INFO
bench_result "validate: time ratio actool / gzip -dc" "$r_validate" "<= 0.5" "$(bench_le "$r_validate" 0.5)"
bench_result "validate foreign: gzip -dc tar|gzip -6 (s)" "$t_gunzip_f" "" INFO
bench_result "validate foreign: actool validate (s)" "$t_validate_f" "" INFO
bench_result "validate foreign: ratio" "$(bench_ratio "$t_validate_f" "$t_gunzip_f")" "" INFO
bench_result "memory: gzip -dc peak RSS (MiB)" "$(mib "$rss_gzip")" "" INFO
bench_result "memory: actool build peak RSS (MiB)" "$(mib "$rss_build")" "<= 64" "$(bench_le "$rss_build" 65536)"
bench_result "memory: actool validate peak RSS (MiB)" "$(mib "$rss_validate")" "<= 64" "$(bench_le "$rss_validate" 65536)"
