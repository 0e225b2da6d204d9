# Replays the fuzzing regression inputs (tests/fuzz/regress/<target>/) and
# the seed corpora with the replay drivers: the fuzz targets built with the
# normal compiler and flags of this build, without libFuzzer.  Every crash a
# fuzzer found stays fixed.
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! make -s -C "$root" -n fuzz-replay >/dev/null 2>&1; then
	echo "1..0 # SKIP no fuzz-replay target (tests/fuzz/fuzz.mk not included)"
	exit 0
fi
. "$(dirname "$0")/lib.sh"

REPLAY="$PROJECT_ROOT/${TEST_BUILD:-build/plain}/fuzz-replay"
FUZZ="$PROJECT_ROOT/tests/fuzz"
# Under "make check" MAKEFLAGS carries SANITIZE to this make; run by hand
# against build/san, ask for the sanitized flavour ourselves.
MKARGS=
case "${TEST_BUILD:-}:${MAKEFLAGS:-}" in
*san:*SANITIZE=*) ;;
*san:*) MKARGS="SANITIZE=address,undefined" ;;
esac
export REPLAY FUZZ MKARGS

test_expect_success 'build the replay drivers' '
	make -s -C "$PROJECT_ROOT" $MKARGS fuzz-replay >build.log 2>&1 || { cat build.log; false; } &&
	ls "$REPLAY" >targets && test -s targets
'

test_expect_success 'every fuzz target has a replay driver' '
	for src in "$FUZZ"/fuzz-*.c; do
		t=$(basename "$src" .c); t=${t#fuzz-}
		[ "$t" = util ] && continue
		[ -x "$REPLAY/$t" ] || { echo "no replay driver for $t"; exit 1; }
	done
'

test_expect_success 'regression inputs replay without a crash, a leak or an escape' '
	n=0
	for d in "$FUZZ"/regress/*/; do
		[ -d "$d" ] || continue
		t=$(basename "$d")
		[ -x "$REPLAY/$t" ] || { echo "regress/$t: no such target"; exit 1; }
		"$REPLAY/$t" "$d" 2>"$t.err" || { tail -30 "$t.err"; echo "regress/$t failed"; exit 1; }
		n=$((n + $(ls "$d" | wc -l)))
	done
	say "$n regression inputs"
'

test_expect_success 'seed corpora replay too' '
	for d in "$FUZZ"/corpus/*/; do
		t=$(basename "$d")
		"$REPLAY/$t" "$d" 2>"$t.err" || { tail -30 "$t.err"; echo "corpus/$t failed"; exit 1; }
	done
'

test_done
