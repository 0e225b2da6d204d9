# acbuild write: validation, unnamed images, --overwrite, --compression,
# image ID, determinism, no partial file; the hello example end to end.
. "$(dirname "$0")/lib.sh"

setup() { mkdir "$1" && cd "$1" && acbuild begin && acbuild set-name example.com/w &&
	echo hi > f && acbuild copy f /etc/f; }

test_expect_success 'write refuses an unnamed image' '
	mkdir u && cd u && acbuild begin &&
	test_expect_code 1 acbuild write out.aci 2> err &&
	echo "write: can'"'"'t write ACI, name was never set" > expect && test_cmp expect err && test ! -e out.aci
'

test_expect_success 'write prints the image ID; the ACI validates' '
	setup w1 && acbuild write out.aci > id && test_one_line id &&
	echo "sha512-$(gzip -dc out.aci | sha512sum | cut -d" " -f1)" > expect && test_cmp expect id &&
	actool validate out.aci && tar -tzf out.aci > list &&
	printf "manifest\nrootfs\nrootfs/etc\nrootfs/etc/f\n" > expect && sed "s,/$,," list > l2 && test_cmp expect l2
'

test_expect_success 'an existing file needs --overwrite' '
	setup w2 && echo old > out.aci &&
	test_expect_code 1 acbuild write out.aci 2> err &&
	echo "write: ACI already exists: out.aci" > expect && test_cmp expect err &&
	echo old | test_cmp - out.aci &&
	acbuild write --overwrite out.aci > /dev/null && actool validate out.aci
'

test_expect_success 'warning when an app has no exec; still written' '
	setup w3 && acbuild environment add A b &&
	acbuild write out.aci > /dev/null 2> err &&
	echo "warning: exec command was never set." > expect && test_cmp expect err && test -s out.aci
'

test_expect_success '--compression chooses the format' '
	setup w4 &&
	acbuild write --compression=xz x.aci > idx && xz -t < x.aci &&
	acbuild write --compression bzip2 b.aci > idb && bzip2 -t < b.aci &&
	acbuild write --compression=none n.aci > idn && tar -tf n.aci > /dev/null &&
	acbuild write g.aci > idg && gzip -t < g.aci &&
	cmp idx idb && cmp idx idn && cmp idx idg &&
	for f in x b n g; do actool validate $f.aci || exit 1; done &&
	test_expect_code 1 acbuild write --compression=lz4 l.aci 2> err && test_one_line err && test ! -e l.aci
'

test_expect_success 'same steps give the same bytes (SOURCE_DATE_EPOCH)' '
	echo data > src && touch -d "2020-01-01" src &&
	for i in 1 2; do
		mkdir d$i && (cd d$i && export SOURCE_DATE_EPOCH=1600000000 &&
			acbuild begin && acbuild set-name example.com/det && acbuild copy ../src /usr/src &&
			acbuild label add version 1 && acbuild set-exec -- /usr/src &&
			acbuild write ../det$i.aci > ../id$i && acbuild end) || exit 1
		sleep 1
	done &&
	cmp det1.aci det2.aci && cmp id1 id2
'

test_expect_success 'writing the same session twice gives the same bytes' '
	setup w5 && acbuild write a.aci > /dev/null && sleep 1 && acbuild write b.aci > /dev/null && cmp a.aci b.aci
'

test_expect_success 'no partial file on failure' '
	setup w6 && mkdir -p ro && chmod 0555 ro &&
	{ test_have_prereq ROOT || { test_expect_code 1 acbuild write ro/x.aci 2> err && test ! -e ro/x.aci; }; } &&
	test_expect_code 1 acbuild write nodir/x.aci 2> err && test ! -e nodir &&
	ls -A | grep -v -x -e f -e ro -e err -e .acbuild -e left > left; test_cmp /dev/null left
'

test_expect_success 'the classic hello example: begin, copy, set-exec, write, end' '
	mkdir hello && cd hello && printf "#!/bin/sh\necho hello\n" > hello && chmod 755 hello &&
	acbuild begin && acbuild set-name example.com/hello && acbuild copy hello /bin/hello &&
	acbuild set-working-directory / && acbuild set-exec -- /bin/hello &&
	acbuild label add version 0.0.1 && acbuild write hello.aci > id && acbuild end &&
	actool validate hello.aci && actool cat-manifest hello.aci > m &&
	test_grep "\"exec\":\[\"/bin/hello\"\]" m && test_grep "\"workingDirectory\":\"/\"" m
'

test_done
