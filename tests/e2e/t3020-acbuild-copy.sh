# acbuild copy / copy-to-dir (contained in the rootfs whatever DEST says) and
# begin from a directory, an ACI in any compression and a rootfs tarball.
. "$(dirname "$0")/lib.sh"

TREESUM="python3 $TEST_DIRECTORY/helpers/treesum.py"
R=.acbuild/currentaci/rootfs
export R TREESUM

make_tree() {
	mkdir -p "$1/sub/deep" && echo hello > "$1/file" && echo deep > "$1/sub/deep/x" &&
	chmod 0640 "$1/file" && chmod 0750 "$1/sub" &&
	ln -s ../file "$1/sub/link" && ln -s /etc/passwd "$1/abs" &&
	ln "$1/file" "$1/hard" && mkfifo "$1/fifo" &&
	touch -h -d "2019-05-06 07:08:09" "$1/sub/link" &&
	touch -d "2020-01-02 03:04:05" "$1/file" "$1/sub/deep" "$1/sub"
}

test_expect_success 'copy a file: parents made 0755, mode and times kept' '
	mkdir c1 && cd c1 && acbuild begin && make_tree src &&
	acbuild copy src/file /usr/share/doc/f &&
	[ "$(stat -c %a $R/usr $R/usr/share $R/usr/share/doc)" = "755
755
755" ] &&
	[ "$(stat -c %a:%Y $R/usr/share/doc/f)" = "640:$(stat -c %Y src/file)" ] &&
	echo hello | test_cmp - $R/usr/share/doc/f &&
	echo again > other && acbuild copy other /usr/share/doc/f && echo again | test_cmp - $R/usr/share/doc/f
'

test_expect_success 'copy a tree: symlinks as links, fifos, hard links, times' '
	mkdir c2 && cd c2 && acbuild begin && make_tree src &&
	acbuild copy src /opt/app &&
	$TREESUM src > expect && $TREESUM $R/opt/app > actual && test_cmp expect actual &&
	[ "$(readlink $R/opt/app/abs)" = /etc/passwd ] && test -p $R/opt/app/fifo &&
	[ "$(stat -c %i $R/opt/app/file)" = "$(stat -c %i $R/opt/app/hard)" ] &&
	[ "$(stat -c %Y $R/opt/app/sub)" = "$(stat -c %Y src/sub)" ]
'

test_expect_success 'copy a directory onto an existing one merges' '
	mkdir c3 && cd c3 && acbuild begin && make_tree src && mkdir more && echo m > more/m &&
	acbuild copy src /d && acbuild copy more /d &&
	test -f $R/d/file && test -f $R/d/m
'

test_expect_success 'copy: a trailing slash is refused; argument counts' '
	mkdir c4 && cd c4 && acbuild begin && echo x > x &&
	test_expect_code 1 acbuild copy x /dir/ 2> err && test_one_line err && test_grep "copy-to-dir" err &&
	test_expect_code 1 acbuild copy x 2> err && echo "copy: incorrect number of arguments" > expect && test_cmp expect err &&
	test_expect_code 1 acbuild copy > out && test_grep USAGE out &&
	test_expect_code 1 acbuild copy missing /m 2> err && test_grep "^copy: missing" err
'

test_expect_success 'hostile: copy x ../../../escape lands in the rootfs' '
	mkdir h1 && cd h1 && acbuild begin && echo x > x &&
	acbuild copy x ../../../escape && test -f $R/escape &&
	test ! -e escape && test ! -e ../escape && test ! -e .acbuild/escape && test ! -e .acbuild/currentaci/escape &&
	acbuild copy x /a/../../../b && test -f $R/b
'

test_expect_success 'hostile: DEST through an absolute symlink stays in the rootfs' '
	mkdir h2 && cd h2 && acbuild begin && echo x > f &&
	mkdir -p $R/usr $R/opt/local outside &&
	ln -s /opt/local $R/usr/local &&
	ln -s "$TRASH/h2/outside" $R/out &&
	acbuild copy f /usr/local/f && test -f $R/opt/local/f &&
	test_expect_code 1 acbuild copy f /out/f && test ! -e outside/f &&
	mkdir -p "$R/$TRASH/h2/outside" && acbuild copy f /out/f && test -f "$R/$TRASH/h2/outside/f" && test ! -e outside/f &&
	ln -s ../../../.. $R/up && acbuild copy f /up/g && test -f $R/g
'

test_expect_success 'hostile: usr/local -> /usr/local never writes on the host' '
	mkdir h3 && cd h3 && acbuild begin && echo x > f && name=acbuild-test-$$-$RANDOM &&
	mkdir -p $R/usr && ln -s /usr/local $R/usr/local &&
	test_expect_code 1 acbuild copy f /usr/local/$name 2> err && test_one_line err &&
	test ! -e /usr/local/$name &&
	test_expect_code 1 acbuild copy-to-dir f /usr/local 2> err && test ! -e /usr/local/f.$name &&
	test ! -e /usr/local/f || [ "$(cat /usr/local/f)" != x ]
'

test_expect_success 'copy-to-dir: several sources, DEST made, not-a-directory error' '
	mkdir d1 && cd d1 && acbuild begin && make_tree src && echo a > a && echo b > b &&
	acbuild copy-to-dir a b src /usr/bin &&
	test -f $R/usr/bin/a && test -f $R/usr/bin/b && test -f $R/usr/bin/src/sub/deep/x &&
	acbuild copy a /file &&
	test_expect_code 1 acbuild copy-to-dir b /file 2> err &&
	echo "copy-to-dir: target \"/file\" is not a directory" > expect && test_cmp expect err &&
	test_expect_code 1 acbuild copy-to-dir a 2> err &&
	echo "copy-to-dir: incorrect number of arguments" > expect && test_cmp expect err &&
	acbuild copy-to-dir a ../../x && test -f $R/x/a
'

test_expect_success ROOT 'copy keeps owners and device nodes as root' '
	mkdir o && cd o && acbuild begin && echo x > f && chown 123:456 f && mknod null c 1 3 &&
	acbuild copy f /f && acbuild copy null /dev/null &&
	[ "$(stat -c %u:%g $R/f)" = 123:456 ] && test -c $R/dev/null
'

test_expect_success 'begin from a directory copies it as the rootfs' '
	make_tree tree && mkdir b1 && cd b1 &&
	acbuild begin ../tree &&
	$TREESUM ../tree > expect && $TREESUM $R > actual && test_cmp expect actual &&
	acbuild cat-manifest | grep -q acbuild-unnamed
'

# An ACI made by acbuild itself, in each compression.
test_expect_success 'begin from a local ACI in every compression keeps its manifest' '
	make_tree t2 && mkdir w && (cd w && acbuild begin ../t2 && acbuild set-name example.com/base &&
		acbuild label add version 1 &&
		for c in gzip xz bzip2 none; do acbuild write --compression=$c ../base-$c.aci > /dev/null || exit 1; done &&
		acbuild cat-manifest > ../base.man && acbuild end) &&
	for c in gzip xz bzip2 none; do
		mkdir b-$c && (cd b-$c && acbuild begin ../base-$c.aci && acbuild cat-manifest > m &&
			test_cmp ../base.man m && acbuild write --overwrite again.aci > /dev/null &&
			actool extract --rootfs-only again.aci x && $TREESUM ../t2 > e && $TREESUM x > a &&
			test_cmp e a) || exit 1
	done &&
	mkdir b-rel && cd b-rel && cp ../base-gzip.aci . && acbuild begin ./base-gzip.aci
'

test_expect_success 'begin from a rootfs tarball' '
	make_tree t3 && tar -C t3 -czf rootfs.tgz . && mkdir b3 && cd b3 &&
	acbuild begin ../rootfs.tgz 2> err &&
	echo "manifest is missing, assuming build is beginning with a tar of a rootfs" > expect && test_cmp expect err &&
	test -f $R/file && test -f $R/sub/deep/x &&
	acbuild cat-manifest | grep -q "\"name\":\"acbuild-unnamed\""
'

test_expect_success 'begin from garbage fails and leaves no context' '
	head -c 1000 /dev/urandom > junk.aci && mkdir b4 && cd b4 &&
	test_expect_code 1 acbuild begin ../junk.aci 2> err && test_grep "^begin: " err &&
	{ ls -A | grep "^\." > left; test_cmp /dev/null left; }
'

test_expect_success 'begin from an ACI with a hostile entry fails safely' '
	mkdir hz && cd hz && mkdir -p evil/rootfs && write_manifest evil/manifest &&
	python3 -c "
import tarfile, io
t = tarfile.open(\"evil.aci\", \"w\")
for n in (\"manifest\",):
    d = open(\"evil/manifest\",\"rb\").read(); i = tarfile.TarInfo(n); i.size=len(d); t.addfile(i, io.BytesIO(d))
i = tarfile.TarInfo(\"rootfs\"); i.type = tarfile.DIRTYPE; t.addfile(i)
i = tarfile.TarInfo(\"../../escaped\"); i.size = 1; t.addfile(i, io.BytesIO(b\"x\"))
t.close()" &&
	test_expect_code 1 acbuild begin ./evil.aci 2> err && test ! -e ../escaped && test ! -e ../../escaped &&
	test ! -e .acbuild
'

test_done
