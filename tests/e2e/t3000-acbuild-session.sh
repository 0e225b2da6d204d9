# acbuild sessions: the .acbuild context, locking, the outside-a-build error,
# --work-path, --debug, --no-history, history annotations, --modify, command
# prefixes and aliases, help, version, exit codes.
. "$(dirname "$0")/lib.sh"

test_expect_success 'version prints acbuild and appc versions' '
	acbuild version > out &&
	test_grep "^acbuild version v" out && test_grep "^appc version 0.8" out &&
	test_expect_code 1 acbuild version extra > usage && test_grep "^USAGE:" usage
'

test_expect_success 'every command fails outside a build with the v0.4.0 message' '
	mkdir nobuild && cd nobuild &&
	for c in "end" "label add a b" "label remove a" "cat-manifest" "write x.aci" "copy a b" \
		 "set-name example.com/x" "set-exec -- /bin/true" "environment add A b" "port remove x" \
		 "replace-manifest m" "copy-to-dir a /b" "set-tag v1"; do
		name=$(echo "$c" | sed "s/ [^a-z].*//; s/ [a-z./]*[.\/].*//")
		test_expect_code 1 acbuild $c 2> err || exit 1
		grep -q "no build in progress in this working dir - try \"acbuild begin\"" err || { cat err; exit 1; }
	done &&
	test ! -e .acbuild
'

test_expect_success 'the message names the command' '
	cd nobuild &&
	test_expect_code 1 acbuild label add a b 2> err &&
	echo "label add: no build in progress in this working dir - try \"acbuild begin\"" > expect &&
	test_cmp expect err
'

test_expect_success 'begin makes an empty image; begin twice fails; end removes the context' '
	mkdir s1 && cd s1 &&
	acbuild begin &&
	test -d .acbuild/currentaci/rootfs && test -f .acbuild/currentaci/manifest &&
	acbuild cat-manifest > m &&
	test_grep "\"name\":\"acbuild-unnamed\"" m &&
	test_grep "{\"name\":\"arch\",\"value\":\"[a-z0-9_]*\"},{\"name\":\"os\",\"value\":\"linux\"}" m &&
	! grep -q "\"app\"" m &&
	test_expect_code 1 acbuild begin 2> err &&
	echo "begin: build already in progress in this working dir" > expect && test_cmp expect err &&
	acbuild end && test ! -e .acbuild && { ls -A | grep "^\." > left; test_cmp /dev/null left; }
'

test_expect_success 'begin and end reject extra arguments' '
	mkdir s2 && cd s2 &&
	test_expect_code 1 acbuild begin ./a ./b 2> err &&
	echo "begin: incorrect number of arguments" > expect && test_cmp expect err &&
	acbuild begin && test_expect_code 1 acbuild end x 2> err &&
	echo "end: incorrect number of arguments" > expect && test_cmp expect err && acbuild end
'

test_expect_success 'begin from a missing path, a remote name, docker:// and --build-mode' '
	mkdir s3 && cd s3 &&
	test_expect_code 1 acbuild begin ./missing.aci 2> err &&
	echo "begin: no such file or directory: ./missing.aci" > expect && test_cmp expect err &&
	test_expect_code 1 env AC_DISCOVERY_PORT=1 acbuild begin example.invalid/app:1.0 2> err && test_one_line err &&
	test_grep "^begin: fetching example.invalid/app:1.0: discovery failed: .*local file paths must start with" err &&
	test_expect_code 1 acbuild begin docker://127.0.0.1:1/busybox 2> err && test_one_line err &&
	test_grep "^begin: converting docker://127.0.0.1:1/busybox: " err &&
	test_expect_code 1 acbuild begin --build-mode=foo 2> err &&
	echo "begin: invalid build mode: foo" > expect && test_cmp expect err &&
	test_expect_code 1 acbuild begin --build-mode oci 2> err && test_one_line err &&
	test ! -e .acbuild && { ls -A | grep "^\." > left; test_cmp /dev/null left; }
'

test_expect_success '--work-path puts the context elsewhere, both spellings' '
	acbuild --work-path wp begin && test -d wp/.acbuild &&
	acbuild label add --work-path=wp k v &&
	acbuild cat-manifest --work-path wp | grep -q "\"name\":\"k\"" &&
	test ! -e .acbuild &&
	acbuild end --work-path wp && test ! -e wp/.acbuild
'

test_expect_success 'history annotations number each changing command; flags left out' '
	mkdir h && cd h && acbuild begin &&
	acbuild label add foo bar &&
	acbuild port add --count 2 http tcp 80 &&
	acbuild cat-manifest > /dev/null &&
	acbuild set-exec -- /bin/echo "a b" "q\"x" &&
	acbuild label rm foo &&
	acbuild cat-manifest --pretty-print > m &&
	test_grep "\"name\": \"coreos.com/acbuild/command-1\"" m &&
	test_grep "\"value\": \"acbuild label add \\\\\"foo\\\\\" \\\\\"bar\\\\\"\"" m &&
	test_grep "\"value\": \"acbuild port add \\\\\"http\\\\\" \\\\\"tcp\\\\\" \\\\\"80\\\\\"\"" m &&
	test_grep "command-3" m && test_grep "set-exec .*a b.*q.*x" m &&
	test_grep "\"value\": \"acbuild label remove \\\\\"foo\\\\\"\"" m &&
	! grep -q "command-5" m
'

test_expect_success '--no-history adds no annotation; a failing command adds none' '
	mkdir nh && cd nh && acbuild begin &&
	acbuild --no-history label add a b &&
	test_expect_code 2 acbuild label remove zz &&
	acbuild cat-manifest > m && ! grep -q "coreos.com/acbuild" m &&
	acbuild label add c d && acbuild cat-manifest > m && test_grep "command-1\"" m
'

test_expect_success 'history numbering continues after the highest N' '
	mkdir hn && cd hn && acbuild begin &&
	acbuild --no-history annotation add coreos.com/acbuild/command-41 old &&
	acbuild label add x y &&
	acbuild cat-manifest > m && test_grep "command-42\",\"value\":\"acbuild label add" m
'

test_expect_success '--debug prints progress on stderr' '
	mkdir d && cd d &&
	acbuild --debug begin 2> err && test_grep "^Beginning build with an empty ACI$" err &&
	acbuild set-name --debug example.com/d 2> err && test_grep "^Setting name of ACI to example.com/d$" err &&
	acbuild label add --debug k v 2> err && test_grep "^Adding label \"k\"=\"v\"$" err &&
	acbuild label add k v 2> err && test_cmp /dev/null err
'

test_expect_success 'a command holding the lock makes a second one fail; the session stays valid' '
	mkdir l && cd l && acbuild begin &&
	cp .acbuild/currentaci/manifest before &&
	{ flock -x .acbuild/lock sleep 3 & } &&
	sleep 0.5 &&
	test_expect_code 1 acbuild label add k v 2> err &&
	echo "label add: lock already held - is another acbuild running in this working dir?" > expect &&
	test_cmp expect err &&
	test_expect_code 1 acbuild end 2> err && test_grep "lock already held" err &&
	cmp before .acbuild/currentaci/manifest &&
	wait &&
	acbuild label add k v && acbuild cat-manifest | grep -q "\"name\":\"k\""
'

test_expect_success 'parallel commands: each succeeds or gets the lock error, the manifest stays valid' '
	mkdir par && cd par && acbuild begin &&
	for i in $(seq 1 16); do
		( acbuild label add l$i v$i 2> err$i; echo $? > rc$i ) &
	done; wait &&
	ok=0 &&
	for i in $(seq 1 16); do
		rc=$(cat rc$i)
		if [ "$rc" = 0 ]; then ok=$((ok + 1)); else
			[ "$rc" = 1 ] && grep -q "lock already held" err$i || { cat err$i; exit 1; }
		fi
	done &&
	[ $ok -ge 1 ] &&
	acbuild cat-manifest > m &&
	n=$(grep -o "\"name\":\"l[0-9]*\"" m | wc -l) && [ "$n" = $ok ] &&
	acbuild --no-history set-name example.com/par && acbuild write p.aci > /dev/null &&
	actool validate p.aci
'

test_expect_success 'unambiguous prefixes and aliases work; ambiguous ones do not' '
	mkdir p && cd p && acbuild beg &&
	acbuild lab add k v && acbuild label rm k &&
	acbuild volume add data /data && acbuild mount rm data &&
	acbuild set-eh pre-start /bin/true &&
	acbuild set-wd /srv &&
	acbuild cat > m && test_grep "\"workingDirectory\":\"/srv\"" m && test_grep "pre-start" m &&
	test_expect_code 3 acbuild set 2> err && test_grep "unknown command \"set\"" err &&
	test_expect_code 3 acbuild nosuch 2> err && test_grep "^Error: unknown command \"nosuch\" for \"acbuild\"" err &&
	test_expect_code 3 acbuild label frob a 2> err && test_grep "unknown command \"frob\" for \"acbuild label\"" err &&
	acbuild end
'

test_expect_success 'unknown flags exit 3; wrong argument counts exit 1' '
	mkdir f && cd f && acbuild begin &&
	test_expect_code 3 acbuild label add --nope a b > out 2> err && test_grep "unknown flag: --nope" err &&
	test_expect_code 3 acbuild -x version 2> err && test_grep "unknown shorthand flag" err &&
	test_expect_code 3 acbuild begin --build-mode 2> err && test_grep "flag needs an argument" err &&
	test_expect_code 1 acbuild label add a 2> err &&
	echo "label add: incorrect number of arguments" > expect && test_cmp expect err &&
	test_expect_code 1 acbuild label add > out && test_grep "^USAGE:" out &&
	test_expect_code 1 acbuild set-working-directory a b 2> err &&
	echo "set-working-dir: incorrect number of arguments" > expect && test_cmp expect err &&
	test_expect_code 1 acbuild write > out && test_grep "acbuild write ACI_PATH" out &&
	test_expect_code 1 acbuild cat-manifest x > out && test_grep "^USAGE:" out
'

test_expect_success 'help, --help and -h print the usage on stdout and exit 0' '
	acbuild --help > out && test_grep "^COMMANDS:" out && test_grep "label \[add|remove\]" out &&
	test_grep "DOCUMENTATION:" out &&
	acbuild > out2 && test_cmp out out2 &&
	acbuild help label add > out && test_grep "acbuild label add NAME VALUE" out &&
	acbuild label add -h > out2 && test_cmp out out2 &&
	acbuild help port add > out && test_grep "socket-activated" out &&
	acbuild label > out && test_grep "^COMMANDS:" out &&
	test_expect_code 1 acbuild help nosuch 2> err && test_grep "unknown help topic" err
'

test_expect_success 'run and layer fail with a one-line error' '
	mkdir r && cd r && acbuild begin &&
	test_expect_code 1 acbuild run -- /bin/true 2> err && test_one_line err && test_grep "^run: " err &&
	test_expect_code 1 acbuild layer 2> err &&
	echo "layer: adding layers is currently only supported in OCI builds" > expect && test_cmp expect err
'

# --modify: one command on an existing ACI, in a private context.
make_aci() {
	mkdir -p "$1.d" && (cd "$1.d" && acbuild begin && acbuild set-name example.com/mod &&
		echo hi > f && acbuild copy f /f && acbuild write ../"$1" > /dev/null && acbuild end)
}

test_expect_success '--modify and --modify-appc change the ACI in place, atomically' '
	make_aci m.aci &&
	acbuild --modify m.aci label add color blue &&
	actool cat-manifest m.aci > man && test_grep "\"name\":\"color\",\"value\":\"blue\"" man &&
	test_grep "acbuild label add" man &&
	acbuild --modify-appc=m.aci environment add K V &&
	actool cat-manifest m.aci > man && test_grep "\"name\":\"K\"" man &&
	actool validate m.aci &&
	tar -tzf m.aci | grep -q "^rootfs/f$" &&
	test ! -e .acbuild && ls -a | grep -v "^\.\.*$" | grep "^\." > hidden; test_cmp /dev/null hidden
'

test_expect_success '--modify uses a private context, even with a build in progress here' '
	make_aci m2.aci && mkdir busy && cd busy && acbuild begin &&
	acbuild --modify ../m2.aci label add x y &&
	acbuild cat-manifest > m && ! grep -q "\"x\"" m &&
	actool cat-manifest ../m2.aci | grep -q "\"name\":\"x\""
'

test_expect_success '--modify leaves the original intact when the command fails' '
	make_aci m3.aci && cp m3.aci orig.aci &&
	test_expect_code 2 acbuild --modify m3.aci label remove nothere 2> err &&
	test_grep "element to be removed does not exist" err &&
	cmp orig.aci m3.aci &&
	test_expect_code 1 acbuild --modify m3.aci set-working-directory relative &&
	cmp orig.aci m3.aci &&
	ls -a > files && ! grep -q "tmp" files
'

test_expect_success '--modify refusals and errors' '
	make_aci m4.aci &&
	for c in begin "write x.aci" end version "script s"; do
		test_expect_code 1 acbuild --modify m4.aci $c 2> err || exit 1
		n=${c%% *}; echo "Can'"'"'t use --modify flags with $n." > expect && test_cmp expect err || exit 1
	done &&
	test_expect_code 1 acbuild --modify nothere.aci label add a b 2> err &&
	echo "image doesn'"'"'t appear to exist: nothere.aci." > expect && test_cmp expect err &&
	mkdir adir && test_expect_code 1 acbuild --modify adir label add a b 2> err &&
	echo "image to modify is a directory: adir." > expect && test_cmp expect err &&
	test_expect_code 1 acbuild --modify m4.aci --modify-oci x label add a b 2> err &&
	echo "can'"'"'t modify an appc image and an oci image at the same time" > expect && test_cmp expect err
'

test_expect_success '--modify keeps the compression of the ACI' '
	make_aci m5.aci && (cd m5.aci.d && acbuild begin && acbuild set-name example.com/x &&
		acbuild write --compression=xz ../m5.xz.aci > /dev/null && acbuild end) &&
	acbuild --modify m5.xz.aci label add a b &&
	xz -t < m5.xz.aci && actool validate m5.xz.aci
'

test_done
