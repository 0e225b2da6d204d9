# acbuild script: the original DSL (quoting, continuation lines, comments),
# the private context, failures and nesting.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a script with quoting, continuation lines and comments' '
	echo content > file &&
	cat > build.acb <<-\EOS &&
	# build an image
	begin
	SET-NAME example.com/script   # the first word is lower-cased
	label add version "1.0"
	annotation add description '"'"'two "quoted" words'"'"'
	annotation add note "a b \
	c"
	environment add PATH "/usr/bin:/bin"   \
	   # a comment after a continuation
	copy file /etc/file
	set-exec /bin/sh -c "echo a,b"
	set-event-handler pre-start /bin/true
	write --overwrite out.aci
	EOS
	acbuild script build.acb 2> err &&
	actool validate out.aci && actool cat-manifest out.aci > m &&
	test_grep "\"name\":\"example.com/script\"" m &&
	test_grep "{\"name\":\"description\",\"value\":\"two \\\\\"quoted\\\\\" words\"}" m &&
	test_grep "{\"name\":\"note\",\"value\":\"a b  c\"}" m &&
	test_grep "\"exec\":\[\"/bin/sh\",\"-c\",\"echo a,b\"\]" m &&
	test_grep "\"name\":\"PATH\",\"value\":\"/usr/bin:/bin\"" m &&
	tar -tzf out.aci | grep -q "^rootfs/etc/file$" &&
	test_grep "^Beginning build with an empty ACI$" err &&
	test ! -e .acbuild
'

test_expect_success 'the script context is private and removed at the end' '
	mkdir here && cd here && acbuild begin &&
	printf "begin\nset-name example.com/p\nwrite p.aci\n" > s.acb &&
	acbuild script s.acb 2> /dev/null && test -s p.aci &&
	acbuild cat-manifest | grep -q acbuild-unnamed &&
	ls ${TMPDIR:-/tmp} | grep -c "^acbuild-script-" > n; true
'

test_expect_success 'a failing step stops the script with its status; the build is ended' '
	printf "begin\nlabel remove nothere\nset-name example.com/never\nwrite never.aci\n" > f.acb &&
	test_expect_code 2 acbuild script f.acb 2> err &&
	test_grep "^label remove: element to be removed does not exist" err &&
	test_grep "^script: exit status 2$" err && test ! -e never.aci
'

test_expect_success 'tokenizer errors' '
	printf "begin\nlabel add a \"b\n" > q1.acb &&
	test_expect_code 1 acbuild script q1.acb 2> err && test_grep "script: unterminated double quote block" err &&
	printf "begin\nlabel add a '"'"'b\n" > q2.acb &&
	test_expect_code 1 acbuild script q2.acb 2> err && test_grep "script: unterminated single quote block" err &&
	printf "begin\nlabel add a b\\\\" > q3.acb &&
	test_expect_code 1 acbuild script q3.acb 2> err && test_grep "script: ended with an escape" err
'

test_expect_success 'a script may end the build itself; nested scripts share the context' '
	printf "label add inner yes\n" > inner.acb &&
	printf "begin\nset-name example.com/n\nscript inner.acb\nwrite n.aci\nend\n" > outer.acb &&
	acbuild script outer.acb 2> err && actool cat-manifest n.aci | grep -q "\"name\":\"inner\""
'

test_expect_success 'script errors: missing file, argument count, --modify' '
	test_expect_code 1 acbuild script nothere.acb 2> err && test_grep "^script: " err &&
	test_expect_code 1 acbuild script > out && test_grep USAGE out
'

# Run lines need no root: as non-root (uid 65534 when the tests run as root)
# the step runs in a user namespace; where the kernel refuses one, the step
# fails in one line that says so.
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$TRASH" && mkdir -m 755 nobody && chown 65534:65534 nobody
	export AS="setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$TRASH/nobody TMPDIR=$TRASH/nobody"
else
	mkdir nobody
	export AS=env
fi
if { [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; } ||
	! printf 'int main(void){return 0;}\n' | cc -static -x c -o /dev/null - 2>/dev/null; then
	test_count=$((test_count + 1))
	echo "ok $test_count - run lines as non-root # SKIP needs cc -static (and setpriv as root)"
elif $AS unshare -U -r -m -p -f true 2>/dev/null; then
	test_expect_success 'run lines as non-root: the steps run in a user namespace' '
		cd nobody &&
		printf "#include <stdio.h>\nint main(int c, char **v) { FILE *f = fopen(v[1], \"w\"); return !f || fclose(f); }\n" > mk.c &&
		cc -static -o mk mk.c &&
		printf "begin\ncopy mk /bin/mk\nrun /bin/mk /made\nset-name example.com/nonroot\nwrite nr.aci\n" > r.acb &&
		$AS acbuild script r.acb 2> err &&
		tar -tzf nr.aci > list && test_grep "^rootfs/made$" list
	'
else
	test_expect_success 'run lines as non-root, where the kernel refuses user namespaces: one line says so' '
		cd nobody &&
		printf "int main(void) { return 0; }\n" > mk.c && cc -static -o mk mk.c &&
		printf "begin\ncopy mk /bin/mk\nrun /bin/mk\n" > r.acb &&
		test_expect_code 1 $AS acbuild script r.acb 2> err &&
		test_grep "^run: running as non-root needs a user namespace, and the kernel refused it" err &&
		test_grep "^script: exit status 1$" err
	'
fi

test_expect_success 'acbuild-script multicall name' '
	ln -s "$BIN/acbuild" acbuild-script &&
	printf "begin\nset-name example.com/mc\nwrite mc.aci\n" > mc.acb &&
	./acbuild-script mc.acb 2> /dev/null && test -s mc.aci
'

test_done
