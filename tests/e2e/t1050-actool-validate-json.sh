# actool validate --json: one JSON document on stdout describing every file
# checked (file, type, valid, error with its field path); exit codes as
# without --json; the flag is in help, the man page and the completion.
. "$(dirname "$0")/lib.sh"

DOCS=$PROJECT_ROOT/${TEST_BUILD:-build/plain}
export DOCS

# check FILE PYTHON-EXPR: the document in FILE (as d) satisfies the expression.
check() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert eval(sys.argv[2]), json.dumps(d, indent=1)' "$1" "$2"
}
export -f check

test_expect_success 'setup: valid image, layout and manifest; invalid ones' '
	mkdir -p img/rootfs/bin && write_manifest img/manifest && echo hi > img/rootfs/bin/hi &&
	actool build img good.aci &&
	echo "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a\",\"app\":{\"user\":\"0\",\"group\":\"0\",\"ports\":[{\"name\":\"a\",\"port\":80},{\"name\":\"b\",\"port\":70000}]}}" > port.json &&
	mkdir -p l1 && write_manifest l1/manifest &&
	tar -C img -czf norootfs.aci manifest &&
	printf "\000\001\002" > junk
'

test_expect_success 'valid files: valid true, error null, nothing on stderr, exit 0' '
	actool validate --json good.aci img img/manifest > out 2> err && test ! -s err &&
	check out "d == [
		{\"file\": \"good.aci\", \"type\": \"appimage\", \"valid\": True, \"error\": None},
		{\"file\": \"img\", \"type\": \"layout\", \"valid\": True, \"error\": None},
		{\"file\": \"img/manifest\", \"type\": \"manifest\", \"valid\": True, \"error\": None}]" &&
	check out "all(list(o) == [\"file\", \"type\", \"valid\", \"error\"] for o in d)"
'

test_expect_success 'invalid files: every one described with the message of the text output, exit 1' '
	test_expect_code 1 actool validate port.json l1 norootfs.aci good.aci 2> text &&
	test_expect_code 1 actool validate --json port.json l1 norootfs.aci good.aci > out 2> err && test ! -s err &&
	check out "[o[\"valid\"] for o in d] == [False, False, False, True]" &&
	check out "[o[\"type\"] for o in d] == [\"manifest\", \"layout\", \"appimage\", \"appimage\"]" &&
	check out "\"app.ports[1].port\" in d[0][\"error\"]" &&
	python3 -c "import json; print(\"\n\".join(o[\"error\"] for o in json.load(open(\"out\")) if o[\"error\"]))" > errors &&
	test_cmp text errors
'

test_expect_success 'a file of unknown type: type null; stopping files stop the document too (same exit code)' '
	test_expect_code 1 actool validate --json junk good.aci > out &&
	check out "d == [{\"file\": \"junk\", \"type\": None, \"valid\": False,
		\"error\": \"junk: unable to detect filetype (try --type)\"}]" &&
	test_expect_code 1 actool validate --json missing > out &&
	check out "d[0][\"error\"] == \"unable to access missing: stat missing: No such file or directory\" and d[0][\"type\"] is None" &&
	test_expect_code 1 actool validate --json --type=manifest img > out &&
	check out "d == [{\"file\": \"img\", \"type\": \"manifest\", \"valid\": False,
		\"error\": \"img is a directory (wrong --type?)\"}]"
'

test_expect_success 'usage errors are unchanged and print no document' '
	test_expect_code 1 actool validate --json > out 2> err && test ! -s out &&
	echo "must pass one or more files" | test_cmp - err &&
	test_expect_code 2 actool validate --json --type=bogus img > out 2> err && test ! -s out && test_one_line err
'

test_expect_success '--debug still reports on stderr; -json=false is the text output' '
	actool -debug validate --json good.aci > out 2> err && check out "d[0][\"valid\"]" &&
	echo "good.aci: valid app container image" | test_cmp - err &&
	test_expect_code 1 actool validate -json=false port.json > out 2> err && test ! -s out && test_one_line err
'

test_expect_success '--json is in help, the man page and the completion' '
	actool help validate > h && test_grep "^	--json=false	" h &&
	groff -man -Tascii -rHY=0 -P-cbou "$DOCS/man/actool.1" 2>/dev/null | sed "s/\xe2\x80\x90/-/g" > man.txt &&
	test_grep "[-][-]json" man.txt && test_grep "valid  true or false" man.txt &&
	cat > t.sh <<-\EOF &&
	source "$DOCS/completion/bash/actool"
	COMP_WORDS=(actool validate --j); COMP_CWORD=2; _actool; echo "${COMPREPLY[*]}"
	EOF
	bash t.sh > out && echo --json | test_cmp - out
'

test_done
