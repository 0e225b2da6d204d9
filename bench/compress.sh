#!/bin/bash
# The compression library alone (common/compress*.c), on the tar of the bench layout,
# through bench/compress-bench.c built against build/plain/libcommon.a:
#
#   gzip:     ac_compressor (level 6 default, 1 and all threads)  vs  gzip -6
#   gunzip:   ac_decompressor on our own output (parallel members)  vs  gzip -dc
#   foreign:  ac_decompressor on gzip -6 output (one member, streamed) vs gzip -dc
#   identical output with 1, all and 4 threads
#
# Informational except the identical-output check; the targets are in actool.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lib=$BENCH_TOP/build/plain/libcommon.a
[ -f "$lib" ] || bench_die "$lib not found; run make first"
layout=$("$BENCH_DIR/rootfs.sh")
work=$BENCH_CACHE/work-compress
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

pkgs="libarchive zlib liblzma jansson libcurl gpgme libcrypto libdeflate"
# The library may need more packages than these; take the Makefile's list when it has one.
mk=$(sed -n 's/^PKGS := //p' "$BENCH_TOP/Makefile")
[ -n "$mk" ] && pkgs=$mk
drv=$work/compress-bench
# shellcheck disable=SC2046
${CC:-cc} -O2 -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra -I"$BENCH_TOP/common/include" \
	$(pkg-config --cflags $pkgs) -o "$drv" "$BENCH_DIR/compress-bench.c" "$lib" \
	$(pkg-config --libs $pkgs) -lbz2 -lpthread || bench_die "cannot build the driver"

tar -C "$layout" -cf "$work/in.tar" manifest rootfs
q() { printf '%q' "$1"; }
W=$(q "$work") D=$(q "$drv")
echo "bench/compress: $(($(stat -c %s "$work/in.tar") / 1048576)) MiB tar, $BENCH_RUNS runs per median"

pair=$(bench_median_time_pair "$BENCH_RUNS" \
	"gzip -6 < $W/in.tar > $W/ref.gz" "$D gzip -1 0 < $W/in.tar > $W/ours.gz")
read -r t_gzip t_ours <<<"$pair"
t_ours1=$(bench_median_time "$BENCH_RUNS" "$D gzip -1 1 < $W/in.tar > $W/ours1.gz")
"$drv" gzip -1 4 <"$work/in.tar" >"$work/ours4.gz"
pair=$(bench_median_time_pair "$BENCH_RUNS" \
	"gzip -dc $W/ours.gz > /dev/null" "$D gunzip < $W/ours.gz > /dev/null")
read -r t_gunzip t_dec <<<"$pair"
pair=$(bench_median_time_pair "$BENCH_RUNS" \
	"gzip -dc $W/ref.gz > /dev/null" "$D gunzip < $W/ref.gz > /dev/null")
read -r t_gunzip_f t_dec_f <<<"$pair"
"$drv" gunzip <"$work/ours.gz" | cmp -s - "$work/in.tar" || bench_die "round trip differs"
"$drv" gunzip <"$work/ref.gz" | cmp -s - "$work/in.tar" || bench_die "foreign round trip differs"

same=FAIL
cmp -s "$work/ours1.gz" "$work/ours.gz" && cmp -s "$work/ours1.gz" "$work/ours4.gz" && same=PASS

echo
printf '  %-44s %14s  %-14s %s\n' "measure" "value" "target" "status"
bench_result "gzip -6 (s)" "$t_gzip" "" INFO
bench_result "ac_compressor, 1 thread (s)" "$t_ours1" "" INFO
bench_result "ac_compressor, $(nproc) threads (s)" "$t_ours" "" INFO
bench_result "ac_compressor ratio to gzip -6" "$(bench_ratio "$t_ours" "$t_gzip")" "" INFO
bench_result "size gzip -6 (bytes)" "$(stat -c %s "$work/ref.gz")" "" INFO
bench_result "size ac_compressor (bytes)" "$(stat -c %s "$work/ours.gz")" "" INFO
bench_result "same bytes with 1, $(nproc) and 4 threads" "$same" "identical" "$same"
bench_result "gzip -dc, our output (s)" "$t_gunzip" "" INFO
bench_result "ac_decompressor, our output (s)" "$t_dec" "" INFO
bench_result "gzip -dc, gzip -6 output (s)" "$t_gunzip_f" "" INFO
bench_result "ac_decompressor, gzip -6 output (s)" "$t_dec_f" "" INFO
[ "$same" = PASS ]
