# A session begun from an ACI keeps it packed until a step needs its files
# (acbuild/base.c).  Whatever the steps, the image written must be the one
# an unpacked session (begun from the same rootfs as a directory) writes.
. "$(dirname "$0")/lib.sh"

TREESUM="python3 $TEST_DIRECTORY/helpers/treesum.py"
test_have_prereq ROOT || TREESUM="$TREESUM --no-owner"
export TREESUM

# The base: explicit and implicit directories, a hard link pair, symlinks
# (one absolute), a FIFO, owners and a setuid file, names with "./".
cat > mkbase.py <<'PY'
import io, json, tarfile, sys
man = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/base",
       "labels": [{"name": "os", "value": "linux"}]}
out = tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT)
def add(name, type=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, link="", mtime=1500000000, uname="root"):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.mtime, ti.linkname, ti.uname = type, mode, uid, uid, mtime, link, uname
    ti.size = len(data) if type == tarfile.REGTYPE else 0
    out.addfile(ti, io.BytesIO(data) if type == tarfile.REGTYPE else None)
add("manifest", data=json.dumps(man).encode())
add("rootfs", tarfile.DIRTYPE, mode=0o755)
for d in ("etc", "bin", "usr", "usr/lib", "srv"):
    add("rootfs/" + d, tarfile.DIRTYPE, mode=0o755)
add("./rootfs/etc/conf", data=b"base conf\n")
add("rootfs/etc/owned", data=b"owned\n", uid=1234, uname="someone")
add("rootfs/bin/a", data=b"linked\n", mode=0o4755)
add("rootfs/bin/b", tarfile.LNKTYPE, link="rootfs/bin/a")
add("rootfs/lib", tarfile.SYMTYPE, link="/usr/lib")
add("rootfs/etc/rel", tarfile.SYMTYPE, link="conf")
add("rootfs/srv/fifo", tarfile.FIFOTYPE)
add("rootfs/opt/impl/deep", data=b"no parents archived\n")
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 0):
    add("rootfs/usr/lib/many%05d" % i, data=b"x" * 4096)
out.close()
PY

# The entries of an ACI's rootfs as tar holds them (modes of symlinks,
# owners, link targets), directory times left out.
cat > acilist.py <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in sorted(t.getmembers(), key=lambda m: m.name.rstrip("/")):
        if m.name.startswith("rootfs"):
            print(m.name.rstrip("/"), m.type, oct(m.mode), m.uid, m.gid, m.size, m.linkname,
                  "" if m.isdir() else m.mtime)
PY
ACILIST="python3 acilist.py"
test_have_prereq ROOT || ACILIST=: # unpacked by a normal user, setuid bits are dropped
export ACILIST

# steps DIR START STEP...: a session in DIR begun from START, the steps
# (shell words, eval'ed), the image written to DIR.aci.
steps() {
	local dir=$1 start=$2
	shift 2
	mkdir "$dir" && (cd "$dir" && acbuild begin "$start" && acbuild set-name example.com/out &&
		for s in "$@"; do eval "acbuild $s" || exit 1; done &&
		acbuild write ../"$dir".aci > /dev/null)
}

# same NAME STEP...: the steps on the packed base and on the unpacked one
# give the same rootfs, or fail with the same messages; NAME.state tells
# whether the packed session stayed packed.
same() {
	local name=$1 rp=0 ru=0
	shift
	steps "$name-p" ../base.aci "$@" 2> "$name.perr" || rp=$?
	steps "$name-u" ../basedir "$@" 2> "$name.uerr" || ru=$?
	{ if [ -d "$name-p/.acbuild/currentaci/rootfs" ]; then echo unpacked; else echo packed; fi; } > "$name.state"
	test $rp = $ru && test_cmp "$name.uerr" "$name.perr" || return 1
	[ $rp = 0 ] || return 0
	actool extract --rootfs-only "$name-p.aci" "$name-p.x" && actool extract --rootfs-only "$name-u.aci" "$name-u.x" &&
	$TREESUM "$name-u.x" > "$name.expect" && $TREESUM "$name-p.x" > "$name.actual" &&
	test_cmp "$name.expect" "$name.actual" &&
	$ACILIST "$name-u.aci" > "$name.lu" && $ACILIST "$name-p.aci" > "$name.lp" && test_cmp "$name.lu" "$name.lp"
}

test_expect_success 'setup: the base image and its rootfs as a directory' '
	python3 mkbase.py base.aci && actool validate base.aci && actool extract --rootfs-only base.aci basedir &&
	echo new > f && echo other > g && mkdir -p tree/sub empty && echo t > tree/sub/x &&
	ln -s x tree/sub/l && touch -d @1600000000 f g tree/sub/x
'

test_expect_success 'begin from an ACI keeps it packed; write gives its rootfs back' '
	mkdir b && cd b && acbuild begin ../base.aci && test ! -e .acbuild/currentaci/rootfs &&
	acbuild cat-manifest | grep -q "\"name\":\"example.com/base\"" &&
	acbuild label add version 1 && acbuild write out.aci > /dev/null && actool validate out.aci &&
	actool extract --rootfs-only out.aci x && $TREESUM ../basedir > expect && $TREESUM x > actual &&
	test_cmp expect actual && test ! -e .acbuild/currentaci/rootfs
'

test_expect_success 'new files and trees, replaced files: packed, as an unpacked session' '
	same add "copy ../f /etc/new" "copy ../f /etc/conf" "copy ../tree /opt/impl/tree" \
		"copy-to-dir ../f ../g /srv/new" "copy ../g /bin/b" "copy ../f /etc/rel" "copy ../f etc/./x/../y" &&
	echo packed | test_cmp - add.state && test_cmp /dev/null add.perr &&
	grep -q "^.opt/impl/tree/sub/x" add.actual && grep -q "^.bin/a. 0o4755 f" add.actual &&
	grep -q "^.etc/y. 0o644 f" add.actual
'

test_expect_success 'deterministic: two packed sessions, same steps, SOURCE_DATE_EPOCH: same bytes' '
	for i in 1 2; do
		SOURCE_DATE_EPOCH=1700000000 steps det$i ../base.aci "copy ../tree /opt/impl/tree" "copy ../f /etc/new" ||
			exit 1
		sleep 1
	done &&
	cmp det1.aci det2.aci && (cd det1 && SOURCE_DATE_EPOCH=1700000000 acbuild write again.aci > /dev/null) &&
	gzip -dc det1.aci | sha512sum > det.a && gzip -dc det1/again.aci | sha512sum > det.b && test_cmp det.a det.b
'

test_expect_success 'the packed base survives the ACI it came from going away' '
	cp base.aci gone.aci && mkdir gone && cd gone && acbuild begin ../gone.aci && rm ../gone.aci &&
	acbuild set-name example.com/gone && acbuild copy ../f /etc/new && acbuild write out.aci > /dev/null &&
	actool validate out.aci && tar -xzOf out.aci rootfs/etc/conf | grep -q "base conf"
'

for s in "copy ../tree /etc" "copy ../f /bin/a" "copy ../f /lib/x" "copy ../tree /etc/conf" \
	"copy-to-dir ../f /srv/fifo" "copy-to-dir ../empty/. /srv" "copy ../tree ." "copy ../f /etc/rel/z"; do
	n=$((${n:-0} + 1))
	test_expect_success "needs the whole tree, unpacks first, as an unpacked session: $s" "
		same u$n '$s' && echo unpacked | test_cmp - u$n.state
	"
done

test_expect_success 'errors are the same packed or not: a file over a directory' '
	mkdir e1 e2 && (cd e1 && acbuild begin ../base.aci) && (cd e2 && acbuild begin ../basedir) &&
	! (cd e1 && acbuild copy ../f /etc 2> ../e1.err) && ! (cd e2 && acbuild copy ../f /etc 2> ../e2.err) &&
	test_cmp e2.err e1.err && test_one_line e1.err
'

test_expect_success '--modify of an image keeps its rootfs' '
	cp base.aci m.aci && acbuild --modify m.aci label add version 2 && actool validate m.aci &&
	actool cat-manifest m.aci | grep -q "\"name\":\"version\",\"value\":\"2\"" &&
	actool extract --rootfs-only m.aci m.x && $TREESUM basedir > expect && $TREESUM m.x > actual &&
	test_cmp expect actual
'

test_expect_success 'an unpack cut short before its commit is redone' '
	mkdir k1 && (cd k1 && acbuild begin ../base.aci && acbuild set-name example.com/out &&
		mkdir -p .acbuild/unpack.tmp/rootfs && echo junk > .acbuild/unpack.tmp/rootfs/junk &&
		acbuild copy ../tree /etc && test ! -e .acbuild/unpack.tmp && test ! -e .acbuild/currentaci/rootfs/junk &&
		test ! -e .acbuild/base && acbuild write ../k1.aci > /dev/null) &&
	steps k1-u ../basedir "copy ../tree /etc" && actool extract --rootfs-only k1.aci k1.x &&
	actool extract --rootfs-only k1-u.aci k1-u.x && $TREESUM k1-u.x > e && $TREESUM k1.x > a && test_cmp e a
'

test_expect_success 'a base left beside an unpacked rootfs (killed after the commit) is removed' '
	mkdir k2 && cd k2 && acbuild begin ../basedir && acbuild set-name example.com/out &&
	mkdir -p .acbuild/base/changes && cp ../base.aci .acbuild/base/image.aci && : > .acbuild/base/index &&
	acbuild label add a b && test ! -e .acbuild/base && acbuild write out.aci > /dev/null &&
	actool extract --rootfs-only out.aci x && $TREESUM ../basedir > e && $TREESUM x > a && test_cmp e a
'

test_expect_success 'SIGKILL at any point of an unpack leaves a session that writes the right image' '
	python3 mkbase.py big.aci 3000 && actool extract --rootfs-only big.aci bigdir &&
	steps kx-u ../bigdir "copy ../tree /etc" && actool extract --rootfs-only kx-u.aci kx-u.x &&
	$TREESUM kx-u.x > expect &&
	for delay in 0.01 0.05 0.1 0.2; do
		rm -rf kx kx.aci kx.x && mkdir kx &&
		(cd kx && acbuild begin ../big.aci && acbuild set-name example.com/out) || exit 1
		(cd kx && exec acbuild copy ../tree /etc) & pid=$!
		sleep $delay; kill -9 $pid 2>/dev/null; wait $pid
		# copy is idempotent: redone whether it finished or not
		(cd kx && acbuild copy ../tree /etc && acbuild write ../kx.aci > /dev/null) || exit 1
		actool extract --rootfs-only kx.aci kx.x && $TREESUM kx.x > actual && test_cmp expect actual || exit 1
	done
'

test_expect_success ROOT 'run unpacks the base: the step sees it, its changes land' '
	python3 mkbase.py bb.aci && mkdir r && cd r && acbuild begin ../bb.aci && acbuild set-name example.com/r &&
	cp /bin/busybox bb && acbuild copy bb /bin/busybox && test ! -e .acbuild/currentaci/rootfs &&
	acbuild run -- /bin/busybox sh -c "cat /etc/conf > /etc/seen" &&
	echo "base conf" | test_cmp - .acbuild/currentaci/rootfs/etc/seen && test ! -e .acbuild/base &&
	acbuild write out.aci > /dev/null && tar -xzOf out.aci rootfs/etc/seen | grep -q "base conf"
'

test_done
