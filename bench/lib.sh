# Shared helpers for the bench scripts; source it:  . "$(dirname "$0")/lib.sh"
#
#   bench_need_time                 make sure GNU time (/usr/bin/time) exists; installs the Debian
#                                   package "time" when run as root, fails clearly otherwise
#   bench_median_time N 'CMD'       run the shell command CMD (a string, may hold pipes and
#                                   redirections) N times; print the median wall time in seconds.
#                                   Fails if any run exits non-zero.
#   bench_median_time_pair N 'A' 'B'
#                                   the same for two commands run alternately (A, B, A, B...)
#                                   so that a change of machine load hits both; prints the two
#                                   medians on one line: "A B"
#   bench_peak_rss CMD [ARG...]     run CMD once under /usr/bin/time -f %M; print its peak RSS in
#                                   KiB (only that process, not a pipeline). Output of CMD is discarded.
#   bench_warm PATH...              read every file below PATH once (warms the page cache)
#   bench_ratio A B                 print A/B with 3 decimals
#   bench_le VALUE LIMIT            print PASS if VALUE <= LIMIT, else FAIL
#   bench_result NAME VALUE TARGET STATUS
#                                   print one result line; also appended (tab-separated:
#                                   script, name, value, target, status) to $BENCH_RESULTS when set.
#                                   STATUS is PASS, FAIL or INFO (no target).
#   bench_die MSG                   print MSG on stderr and exit 1
#
# Environment: BENCH_RUNS (runs per median, default 5, at least 3), BENCH_RESULTS (see above),
# ACTOOL (default: build/plain/bin/actool of this tree), BENCH_CACHE (default: bench/cache).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_TOP=$(cd "$BENCH_DIR/.." && pwd)
BENCH_CACHE=${BENCH_CACHE:-$BENCH_DIR/cache}
BENCH_RUNS=${BENCH_RUNS:-5}
[ "$BENCH_RUNS" -ge 3 ] 2>/dev/null || BENCH_RUNS=3
BENCH_SCRIPT=$(basename "$0" .sh)
export BENCH_CACHE

bench_die() { echo "bench/$BENCH_SCRIPT: $*" >&2; exit 1; }

bench_need_time() {
	[ -x /usr/bin/time ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "bench: installing the Debian package 'time' for /usr/bin/time" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time >&2 ||
			bench_die "could not install the package 'time' (apt-get install time)"
	else
		bench_die "/usr/bin/time is missing: apt-get install time"
	fi
}

# Median of numbers given one per line on stdin.
bench__median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) printf "%.4f\n", v[(NR + 1) / 2]
		else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_median_time() {
	local n=$1 cmd=$2 i t0 t1 rc times=()
	for ((i = 0; i < n; i++)); do
		t0=$EPOCHREALTIME
		bash -c "set -o pipefail; $cmd" && rc=0 || rc=$?
		t1=$EPOCHREALTIME
		[ "$rc" = 0 ] || bench_die "command failed (exit $rc): $cmd"
		times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')")
	done
	printf '%s\n' "${times[@]}" | bench__median
}

# Wall time of one run of the shell command $1, in seconds.
bench__time1() {
	local t0 t1 rc
	t0=$EPOCHREALTIME
	bash -c "set -o pipefail; $1" && rc=0 || rc=$?
	t1=$EPOCHREALTIME
	[ "$rc" = 0 ] || bench_die "command failed (exit $rc): $1"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }'
}

bench_median_time_pair() {
	local n=$1 i ta=() tb=()
	for ((i = 0; i < n; i++)); do
		ta+=("$(bench__time1 "$2")")
		tb+=("$(bench__time1 "$3")")
	done
	echo "$(printf '%s\n' "${ta[@]}" | bench__median) $(printf '%s\n' "${tb[@]}" | bench__median)"
}

bench_peak_rss() {
	local out rc
	out=$(mktemp)
	/usr/bin/time -f %M -o "$out" "$@" >/dev/null && rc=0 || rc=$?
	if [ "$rc" != 0 ]; then
		rm -f "$out"
		bench_die "command failed (exit $rc): $*"
	fi
	tail -n 1 "$out"
	rm -f "$out"
}

bench_warm() {
	find "$@" -type f -print0 | xargs -0 -r cat >/dev/null
}

bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.3f\n", a / b }'; }

bench_le() { awk -v v="$1" -v l="$2" 'BEGIN { print (v + 0 <= l + 0) ? "PASS" : "FAIL" }'; }

bench_result() {
	printf '  %-44s %14s  %-14s %s\n' "$1" "$2" "$3" "$4"
	if [ -n "${BENCH_RESULTS:-}" ]; then
		printf '%s\t%s\t%s\t%s\t%s\n' "$BENCH_SCRIPT" "$1" "$2" "$3" "$4" >>"$BENCH_RESULTS"
	fi
}
