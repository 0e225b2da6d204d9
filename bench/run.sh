#!/bin/bash
# Run every bench script (bench/*.sh except lib.sh, rootfs.sh and run.sh) and print one table.
# Called by `make bench` after the tools are built. Measurements only: never part of `make check`.
# Exit status: 0 when every script ran and every target passed, 1 otherwise.
# Results are also kept in bench/results/<UTC date>.tsv (gitignored).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/results"
export BENCH_RESULTS
BENCH_RESULTS=$here/results/$(date -u +%Y%m%dT%H%M%SZ).tsv
: >"$BENCH_RESULTS"

# Parallel code against single-threaded baselines: other load on the machine
# hurts our side most, so the load is part of the results.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
failed=()
for s in "$here"/*.sh; do
	case $(basename "$s") in lib.sh | rootfs.sh | run.sh) continue ;; esac
	echo "=== $(basename "$s")"
	if [ -x "$s" ]; then "$s"; else bash "$s"; fi || failed+=("$(basename "$s")")
	echo
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo "=== summary ($(nproc) cores, $(uname -r); load average $load_start at the start, $load_end at the end;"
echo "    results: bench/results/$(basename "$BENCH_RESULTS"))"
if awk -v l="${load_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	echo "    warning: the machine was busy at the start; ratios of our threaded code are pessimistic"
fi
printf '%-10s %-44s %14s  %-14s %s\n' script measure value target status
awk -F'\t' '{ printf "%-10s %-44s %14s  %-14s %s\n", $1, $2, $3, $4, $5 }' "$BENCH_RESULTS"
nfail=$(awk -F'\t' '$5 == "FAIL"' "$BENCH_RESULTS" | wc -l)
npass=$(awk -F'\t' '$5 == "PASS"' "$BENCH_RESULTS" | wc -l)
echo "targets: $npass passed, $nfail failed"
if [ "${#failed[@]}" -gt 0 ]; then
	echo "scripts that failed to run: ${failed[*]}"
fi
[ "$nfail" = 0 ] && [ "${#failed[@]}" = 0 ]
