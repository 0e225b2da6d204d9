# The hostile-input suite (threats.md section 2): every class of hostile ACI
# against every tool that reads ACIs.  Each case must end in a one-line
# error (or a correct success), create nothing outside its target, and
# finish under a time limit with bounded memory.
. "$(dirname "$0")/lib.sh"

export INVALID="dotdot absolute symlink-then-write symlink-dotdot-then-write symlink-named-dot symlink-loop
	hardlink-out hardlink-absolute hardlink-before-target rootfs-sibling duplicate-manifest trailing-garbage
	hardlink-with-data"
export VALID="device long-pax bomb bomb-xz bomb-bz2"
TEST_TIMEOUT=300

# memory: 2 GiB of address space is plenty (not under ASan, which reserves terabytes)
limit_memory() {
	case "${TEST_BUILD:-}" in *san) ;; *) ulimit -v 2097152 ;; esac
}
# nothing escaped: no file named escaped-* anywhere near
no_escape() {
	test -z "$(find /tmp "$TRASH/.." -maxdepth 3 -name "escaped-*" 2>/dev/null)" || {
		echo "escaped:"; find /tmp "$TRASH/.." -maxdepth 3 -name "escaped-*"; return 1; }
	cmp -s /etc/passwd "$TRASH/passwd.before" || { echo "/etc/passwd changed"; return 1; }
}
export -f limit_memory no_escape

test_expect_success 'setup: the hostile images' '
	cp /etc/passwd passwd.before &&
	python3 "$TEST_DIRECTORY/helpers/hostile-aci.py" h > list && test $(wc -l < list) = 18
'

test_expect_success 'actool validate refuses each invalid image with one line, accepts the legal ones' '
	limit_memory &&
	for c in $INVALID; do
		test_expect_code 1 actool validate h/$c.aci 2> err || exit 1
		test_one_line err || exit 1
		test $(wc -c < err) -lt 2000 || { echo "$c: a huge message"; exit 1; }
		grep -q "^h/$c.aci: " err || { echo "$c: the message does not name the file"; cat err; exit 1; }
	done &&
	for c in $VALID; do actool validate h/$c.aci || exit 1; done &&
	no_escape
'

test_expect_success 'actool extract: nothing is written outside the target' '
	limit_memory &&
	for c in $INVALID device long-pax; do
		mkdir -p "x/$c" && (cd x/$c && actool extract ../../h/$c.aci out 2> ../../err); rc=$?
		case " device " in
		*" $c "*) test $rc = 0 || { echo "$c: rc $rc"; cat err; exit 1; } ;;
		*) test $rc = 1 && test_one_line err || { echo "$c: rc $rc"; cat err; exit 1; }
		   test $(wc -c < err) -lt 2000 || { echo "$c: a huge message"; exit 1; } ;;
		esac
		test -z "$(ls -A x/$c | grep -v "^out$")" || { echo "$c: wrote beside its target"; ls -A x/$c; exit 1; }
	done &&
	no_escape
'

test_expect_success 'acbuild begin: invalid images are refused and leave no session' '
	limit_memory &&
	for c in $INVALID; do
		mkdir -p "b/$c" && (cd b/$c && acbuild begin ../../h/$c.aci 2> ../../err); rc=$?
		test $rc = 1 || { echo "$c: rc $rc"; cat err; exit 1; }
		test_one_line err || exit 1
		test -z "$(ls -A b/$c)" || { echo "$c: left"; ls -A b/$c; exit 1; }
	done &&
	no_escape
'

test_expect_success ROOT 'acrun fetch: invalid images never enter the store' '
	limit_memory &&
	for c in $INVALID; do
		test_expect_code 1 acrun --dir store --insecure-options=image fetch h/$c.aci 2> err || exit 1
		test_one_line err || exit 1
	done &&
	acrun --dir store image list --format json > l && test "$(cat l)" = "[]" &&
	no_escape
'

test_expect_success 'gzip, xz and bzip2 bombs are validated in bounded time and memory' '
	limit_memory &&
	timeout 120 actool validate h/bomb.aci && timeout 120 actool image-id h/bomb.aci > id && grep -q "^sha512-" id &&
	timeout 120 actool validate h/bomb-xz.aci h/bomb-bz2.aci &&
	test_expect_code 1 actool extract --max-size=1M h/bomb-xz.aci bxz 2> err && test_grep "exceeds" err
'

test_expect_success 'actool extract --max-size caps what a bomb may write' '
	limit_memory &&
	test_expect_code 1 actool extract --max-size=64M h/bomb.aci bx 2> err && test_one_line err &&
	test_grep "exceeds 67108864 bytes" err && test ! -e bx/rootfs/zeros &&
	test_expect_code 2 actool extract --max-size=lots h/bomb.aci by 2> err && test_one_line err
'

test_expect_success 'truncated and corrupt streams: one line, exit 1, no crash' '
	limit_memory &&
	head -c 100 h/dotdot.aci > trunc.aci &&
	test_expect_code 1 actool validate trunc.aci 2> err && test_one_line err &&
	head -c 2000000 h/bomb.aci > trunc-bomb.aci &&
	test_expect_code 1 actool validate trunc-bomb.aci 2> err && test_one_line err &&
	printf "\\x28\\xb5\\x2f\\xfd garbage" > zstd.aci &&
	test_expect_code 1 actool validate --type=appimage zstd.aci 2> err && test_one_line err && test_grep zstd err &&
	head -c 5000 /dev/urandom > random.aci &&
	test_expect_code 1 actool validate --type=appimage random.aci 2> err && test_one_line err
'

test_expect_success 'hostile manifests: deep nesting and huge documents are refused cleanly' '
	limit_memory &&
	python3 -c "print(\"{\\\"acKind\\\":\\\"ImageManifest\\\",\\\"x\\\":\" + \"[\" * 100000 + \"]\" * 100000 + \"}\")" > deep.json &&
	test_expect_code 1 actool validate deep.json 2> err && test_one_line err &&
	python3 -c "
import json
print(json.dumps({\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a\",\"labels\":[{\"name\":\"l%d\" % i,\"value\":\"v\"} for i in range(300000)]}))" > huge.json &&
	test_expect_code 1 actool validate huge.json 2> err && test_one_line err && test_grep "larger than 4194304 bytes" err
'

test_done
