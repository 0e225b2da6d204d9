# actool validate: type detection, messages and exit codes as v0.8.11, and
# the archives and layouts the original wrongly accepted.
. "$(dirname "$0")/lib.sh"

# mkaci NAME [tar args...]: builds NAME.aci (gzip) from the current dir "img".
mkaci() {
	name=$1; shift
	tar -C img -czf "$name.aci" "$@"
}

test_expect_success 'setup a valid layout and image' '
	mkdir -p img/rootfs/bin && write_manifest img/manifest &&
	echo hi > img/rootfs/bin/hi &&
	actool build img good.aci
'

test_expect_success 'valid files are silent and exit 0; --debug reports' '
	actool validate good.aci img img/manifest > out 2> err &&
	test ! -s out && test ! -s err &&
	actool -debug validate good.aci img img/manifest 2> err &&
	cat > expect <<-EOF &&
	good.aci: valid app container image
	img: valid image layout
	img/manifest: valid ImageManifest
	EOF
	test_cmp expect err
'

test_expect_success 'no file, a missing file' '
	test_expect_code 1 actool validate 2> err &&
	echo "must pass one or more files" | test_cmp - err &&
	test_expect_code 1 actool validate missing good.aci 2> err &&
	echo "unable to access missing: stat missing: No such file or directory" | test_cmp - err
'

test_expect_success 'directories with the wrong --type; unknown --type is a usage error, not a panic' '
	test_expect_code 1 actool validate --type=manifest img 2> err &&
	echo "img is a directory (wrong --type?)" | test_cmp - err &&
	test_expect_code 2 actool validate --type=imagelayout img 2> err && test_one_line err &&
	test_expect_code 1 actool validate --type=layout good.aci 2> err &&
	test_grep "good.aci: invalid image layout: given path \"good.aci\" is not a directory" err
'

test_expect_success 'undetectable file type' '
	printf "\000\001\002" > junk &&
	test_expect_code 1 actool validate junk 2> err &&
	echo "junk: unable to detect filetype (try --type)" | test_cmp - err
'

test_expect_success 'zstd-compressed image: clear error' '
	zstd -q -c < <(gzip -dc good.aci) > z.aci &&
	test_must_fail actool validate --type=appimage z.aci 2> err && test_one_line err &&
	test_grep "zstd" err
'

test_expect_success 'manifest errors: unmarshal errors stop at once, invalid manifests carry on' '
	echo "{\"acKind\":\"Foo\",\"acVersion\":\"0.8.11\",\"name\":\"a\"}" > kind.json &&
	test_expect_code 1 actool validate kind.json img/manifest 2> err &&
	test_one_line err && test_grep "^kind.json: error unmarshaling manifest: .*bad ACKind: Foo" err &&
	echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"Bad\"}" > name.json &&
	test_expect_code 1 actool -debug validate name.json img/manifest 2> err &&
	test_grep "^name.json: invalid ImageManifest: name: ACIdentifier must contain only lower case" err &&
	test_grep "^img/manifest: valid ImageManifest" err
'

test_expect_success 'a manifest without acKind is an error, not a crash' '
	echo "{\"acVersion\":\"0.8.11\",\"name\":\"a\"}" > nokind.json &&
	test_expect_code 1 actool validate nokind.json 2> err && test_one_line err
'

test_expect_success 'a known isolator without a value is an error, not a crash' '
	echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a\",\"app\":{\"user\":\"0\",\"group\":\"0\",\"isolators\":[{\"name\":\"resource/cpu\"}]}}" > iso.json &&
	test_expect_code 1 actool validate iso.json 2> err && test_one_line err &&
	test_grep "isolators\[0\]" err
'

test_expect_success 'port 70000 names the field' '
	echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a\",\"app\":{\"user\":\"0\",\"group\":\"0\",\"ports\":[{\"name\":\"a\",\"port\":80},{\"name\":\"b\",\"port\":70000}]}}" > port.json &&
	test_expect_code 1 actool validate port.json 2> err &&
	test_grep "app.ports\[1\].port" err
'

test_expect_success 'layout problems' '
	mkdir -p l1 && write_manifest l1/manifest &&
	test_expect_code 1 actool validate l1 2> err &&
	echo "l1: invalid image layout: no rootfs found in layout" | test_cmp - err &&
	mkdir -p l2/rootfs && write_manifest l2/manifest && touch l2/extra &&
	test_expect_code 1 actool validate l2 2> err &&
	echo "l2: invalid image layout: unrecognized file path in layout: \"extra\"" | test_cmp - err &&
	mkdir -p l3 && write_manifest l3/manifest && touch l3/rootfs &&
	test_expect_code 1 actool validate l3 2> err &&
	echo "l3: invalid image layout: rootfs is not a directory" | test_cmp - err
'

test_expect_success 'archives the original accepted wrongly are refused' '
	mkdir -p img/rootfsX && echo evil > img/rootfsX/evil &&
	mkaci prefix manifest rootfs rootfsX &&
	test_expect_code 1 actool validate prefix.aci 2> err && test_one_line err &&
	test_grep "rootfsX" err &&
	rm -r img/rootfsX &&
	ln -s /etc img/rootfs/etclink &&
	mkdir -p staging/rootfs/etclink && echo x > staging/rootfs/etclink/passwd &&
	tar -C img -cf through.tar manifest rootfs &&
	tar -C staging -rf through.tar rootfs/etclink/passwd &&
	gzip -c through.tar > through.aci &&
	test_expect_code 1 actool validate through.aci 2> err && test_one_line err &&
	test_grep "etclink" err &&
	rm img/rootfs/etclink
'

test_expect_success 'duplicate entries and duplicate manifests are refused' '
	tar -C img -cf dup.tar manifest rootfs rootfs/bin/hi && gzip -c dup.tar > dup.aci &&
	test_expect_code 1 actool validate dup.aci 2> err &&
	test_grep "duplicate file entry in archive: rootfs/bin/hi" err &&
	tar -C img -cf dupm.tar manifest rootfs manifest && gzip -c dupm.tar > dupm.aci &&
	test_expect_code 1 actool validate dupm.aci 2> err && test_one_line err && test_grep "manifest" err
'

test_expect_success 'a hard link out of rootfs is refused' '
	python3 - <<-"PY" &&
	import tarfile, io
	with tarfile.open("hl.tar", "w") as t:
	    m = open("img/manifest", "rb").read()
	    i = tarfile.TarInfo("manifest"); i.size = len(m); t.addfile(i, io.BytesIO(m))
	    d = tarfile.TarInfo("rootfs"); d.type = tarfile.DIRTYPE; t.addfile(d)
	    h = tarfile.TarInfo("rootfs/passwd"); h.type = tarfile.LNKTYPE; h.linkname = "/etc/passwd"; t.addfile(h)
	PY
	gzip -c hl.tar > hl.aci &&
	test_expect_code 1 actool validate hl.aci 2> err && test_one_line err && test_grep "passwd" err
'

test_expect_success 'missing manifest and missing rootfs' '
	tar -C img -czf norootfs.aci manifest &&
	test_expect_code 1 actool validate norootfs.aci 2> err &&
	echo "norootfs.aci: error validating: no rootfs found in layout" | test_cmp - err &&
	tar -C img -czf nomanifest.aci rootfs &&
	test_expect_code 1 actool validate nomanifest.aci 2> err &&
	echo "nomanifest.aci: error validating: no image manifest found in layout" | test_cmp - err
'

test_expect_success 'truncated and trailing-garbage images are errors; concatenated gzip members are fine' '
	size=$(stat -c %s good.aci) &&
	head -c $((size / 2)) good.aci > trunc.aci &&
	test_expect_code 1 actool validate trunc.aci 2> err && test_one_line err &&
	{ cat good.aci; echo garbage; } > trail.aci &&
	test_expect_code 1 actool validate trail.aci 2> err && test_one_line err &&
	gzip -dc good.aci > plain.tar && head -c 10000 plain.tar | gzip > multi.aci &&
	tail -c +10001 plain.tar | gzip >> multi.aci &&
	actool validate multi.aci
'

test_expect_success 'every file is checked; the status reflects all of them' '
	test_expect_code 1 actool validate good.aci name.json img 2> err &&
	test_one_line err
'

test_expect_success BSDTAR 'images that tar tools padded with zeros (bsdtar to a pipe) are valid' '
	mkdir -p pad/rootfs && echo hi > pad/rootfs/hi && write_manifest pad/manifest &&
	(cd pad && bsdtar -czf - manifest rootfs) > pad-gz.aci &&
	(cd pad && bsdtar -cjf - manifest rootfs) > pad-bz.aci &&
	(cd pad && bsdtar -cJf - manifest rootfs) > pad-xz.aci &&
	test $(stat -c %s pad-gz.aci) = 10240 &&
	actool validate pad-gz.aci pad-bz.aci pad-xz.aci &&
	cp pad-gz.aci bad.aci && printf x >> bad.aci &&
	test_expect_code 1 actool validate bad.aci 2> err && test_grep "trailing garbage" err
'

test_done
