# Test library for the end-to-end shell tests, in the style of git's
# test-lib.sh: each script sources this file, declares its tests with
# test_expect_success, and ends with test_done.  Output is TAP.
#
#   test_expect_success [PREREQ] 'title' 'commands'
#   test_must_fail CMD...     CMD must exit non-zero, but not by a signal
#   test_cmp EXPECTED ACTUAL  compare files, show a diff
#   test_have_prereq NAME     ROOT, XATTR, NAMESPACES, STATIC_CC, ...
#   test_skip TITLE REASON    a test that cannot run here, reported skipped
#   skip_all_unless REASON PREREQ...
#                             skips the whole script unless every PREREQ holds
#
# Every script runs in its own trash directory (removed at the end unless
# the test failed or TEST_KEEP=1). Commands in a test run under "set -e"
# semantics by chaining: a test passes when its last command succeeds and
# every &&-chained command did. Each test has a time limit (TEST_TIMEOUT).

set -u
TEST_DIRECTORY=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJECT_ROOT=$(cd "$TEST_DIRECTORY/.." && pwd)
BIN="$PROJECT_ROOT/bin"
PATH="$BIN:$PATH"
export PATH LC_ALL=C TZ=UTC
unset SOURCE_DATE_EPOCH
TEST_TIMEOUT=${TEST_TIMEOUT:-120}

test_count=0
test_failed=0
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/ac-e2e-$(basename "$0" .sh)-XXXXXX")
export TEST_DIRECTORY PROJECT_ROOT BIN TRASH
cd "$TRASH" || exit 1

test_have_prereq() {
	case "$1" in
	ROOT) [ "$(id -u)" = 0 ] ;;
	!ROOT) [ "$(id -u)" != 0 ] ;;
	XATTR) touch .xattr-probe && setfattr -n user.probe -v 1 .xattr-probe 2>/dev/null ;;
	SANITIZED) [ "${TEST_BUILD:-}" != "${TEST_BUILD%san}" ] ;;
	NAMESPACES) unshare -m -p -f -u -i true 2>/dev/null ;;
	STATIC_CC) printf 'int main(void){return 0;}\n' | cc -static -x c -o /dev/null - 2>/dev/null ;;
	*) command -v "$(echo "$1" | tr 'A-Z' 'a-z')" >/dev/null 2>&1 ;;
	esac
}

# skip_all_unless REASON PREREQ...: the script is skipped as a whole (TAP
# "1..0 # SKIP REASON") unless every PREREQ holds; they are tried in order.
skip_all_unless() {
	local reason=$1 p
	shift
	for p in "$@"; do
		test_have_prereq "$p" || { echo "1..0 # SKIP $reason"; exit 0; }
	done
}

say() { printf '# %s\n' "$*"; }

# test_skip TITLE REASON: a test that cannot run here.
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

test_expect_success() {
	local prereq=""
	if [ $# = 3 ]; then prereq=$1; shift; fi
	test_count=$((test_count + 1))
	local p
	for p in $(echo "$prereq" | tr ',' ' '); do
		if ! test_have_prereq "$p"; then
			echo "ok $test_count - $1 # SKIP missing $p"
			return 0
		fi
	done
	local out
	# Functions the script defined are visible in the test's shell.
	eval "$(declare -F | awk '{print "export -f " $3}')"
	out=$(cd "$TRASH" && timeout -k 5 "$TEST_TIMEOUT" bash -c "set -u; $2" 2>&1 </dev/null)
	local rc=$?
	if [ $rc = 0 ]; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		[ $rc = 124 ] && echo "#   timed out after ${TEST_TIMEOUT}s"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -40
	fi
}

test_must_fail() {
	"$@"
	local rc=$?
	if [ $rc = 0 ]; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif [ $rc -gt 128 ] && [ $rc -le 192 ]; then
		echo "test_must_fail: died by signal $((rc - 128)): $*" >&2
		return 1
	elif [ $rc = 127 ]; then
		echo "test_must_fail: command not found: $*" >&2
		return 1
	fi
	return 0
}

# test_expect_code N CMD...: CMD must exit with status N.
test_expect_code() {
	local want=$1
	shift
	"$@"
	local rc=$?
	[ $rc = "$want" ] || { echo "test_expect_code: want exit $want, got $rc: $*" >&2; return 1; }
}

test_cmp() {
	diff -u "$1" "$2" >&2
}

# Fails (showing the file) unless FILE contains a line matching the regex.
test_grep() {
	if ! grep -q -e "$1" "$2"; then
		echo "test_grep: no line matching '$1' in $2:" >&2
		cat "$2" >&2
		return 1
	fi
}

# Fails unless FILE holds exactly one line.
test_one_line() {
	local n
	n=$(wc -l < "$1")
	[ "$n" = 1 ] || { echo "expected one line in $1, got $n:" >&2; cat "$1" >&2; return 1; }
}

# A minimal valid manifest for NAME (default example.com/test).
write_manifest() {
	cat > "$1" <<JSON
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"${2:-example.com/test}","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/true"],"user":"0","group":"0"}}
JSON
}

test_done() {
	echo "1..$test_count"
	cd /
	if [ "$test_failed" = 0 ] && [ "${TEST_KEEP:-0}" != 1 ]; then
		chmod -R u+rwx "$TRASH" 2>/dev/null
		rm -rf "$TRASH"
	else
		echo "# trash directory kept: $TRASH"
	fi
	[ "$test_failed" = 0 ]
	exit $?
}
