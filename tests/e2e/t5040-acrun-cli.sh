# acrun's command line from its one command table: help, "acrun help",
# COMMAND --help, the man page and completions agree; list/image list/status
# JSON shapes are the documented ones.
. "$(dirname "$0")/lib.sh"

DOCS=$PROJECT_ROOT/${TEST_BUILD:-build/plain}
export DOCS
export A="acrun --dir $TRASH/store --insecure-options=image"

# plain text of a man page (hyphenation off, so words stay whole)
render() { groff -man -Tascii -rHY=0 -P-cbou "$1" 2>/dev/null | sed 's/\xe2\x80\x90/-/g'; }
# the command paths "acrun help" lists
commands() { acrun help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z -]*[a-z]\)  .*/\1/p'; }
# the options a help text shows
options() { sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p'; }
export -f render commands options

test_expect_success 'help, -h, --help and "help" print the commands; no command is a usage error' '
	acrun --help > h1 && acrun -h > h2 && acrun help > h3 &&
	test_cmp h1 h2 && test_cmp h1 h3 &&
	commands > cmds &&
	for c in run fetch "image list" "image rm" "image gc" "image render" "image cat-manifest" \
		"image export" list status gc trust "trust list" "trust rm" help; do
		grep -qx "$c" cmds || { echo "help lacks $c"; exit 1; }
	done &&
	test_expect_code 2 acrun > out 2> err && test ! -s out && test_cmp h1 err
'

test_expect_success 'COMMAND --help, COMMAND -h and "help COMMAND" agree and show the options' '
	while read -r c; do
		acrun help $c > a && acrun $c --help > b && acrun $c -h > c &&
		test_cmp a b && test_cmp a c &&
		head -1 a | grep -q "^usage: acrun $c" || { echo "$c: bad help"; cat a; exit 1; }
	done < <(commands) &&
	acrun help run | options > run.opts &&
	for o in volume set-env set-env-file exec user group working-dir hostname net no-overlay \
		dir trust-dir insecure-options debug help; do
		grep -qx "$o" run.opts || { echo "run --help lacks --$o"; exit 1; }
	done &&
	acrun image --help > g && test_grep "^  image list " g && test_grep "^  image export " g
'

test_expect_success 'usage errors keep their messages and statuses' '
	test_expect_code 2 acrun bogus 2> err && test_grep "^acrun: unknown command bogus" err &&
	test_expect_code 2 acrun image 2> err &&
	echo "acrun: usage: acrun image list|rm|gc|render|cat-manifest|export ..." | test_cmp - err &&
	test_expect_code 2 acrun image foo 2> err && echo "acrun: image: unknown subcommand foo" | test_cmp - err &&
	test_expect_code 2 acrun --bogus list 2> err && echo "acrun: unknown option: --bogus" | test_cmp - err &&
	test_expect_code 125 acrun run --bogus x.aci 2> err && echo "acrun: unknown option: --bogus" | test_cmp - err &&
	test_expect_code 125 acrun run 2> err && echo "acrun: usage: acrun run [options] IMAGE [-- ARGS...]" | test_cmp - err &&
	test_expect_code 2 acrun fetch 2> err && echo "acrun: usage: acrun fetch IMAGE" | test_cmp - err &&
	test_expect_code 2 acrun image render x 2> err && echo "acrun: usage: acrun image render ID DIR" | test_cmp - err &&
	test_expect_code 2 acrun trust x 2> err &&
	echo "acrun: usage: acrun trust --prefix PREFIX [KEYFILE|URL] | --root KEYFILE|URL | list | rm FINGERPRINT" | test_cmp - err &&
	test_expect_code 2 acrun help nope 2> err && test_grep "unknown command nope" err &&
	test_expect_code 2 $A list --format yaml 2> err && echo "acrun: --format: want text or json" | test_cmp - err &&
	test_expect_code 2 acrun __doc nope 2> err && test_one_line err
'

test_expect_success 'acrun(1) renders cleanly and documents every command and option help shows' '
	groff -ww -man -Tutf8 -z "$DOCS/man/acrun.1" 2> warn && test_cmp /dev/null warn &&
	render "$DOCS/man/acrun.1" > man.txt &&
	while read -r c; do
		grep -q "^   $c\$" man.txt || { echo "no section for $c"; exit 1; }
		for o in $(acrun help $c | options); do
			grep -q -- "--$o" man.txt || { echo "$c: --$o missing"; exit 1; }
		done
	done < <(commands) &&
	for s in "EXIT STATUS" FILES ENVIRONMENT EXAMPLES "SEE ALSO"; do
		grep -q "^$s\$" man.txt || { echo "no $s section"; exit 1; }
	done &&
	test_grep "trustedkeys/prefix.d/PREFIX/FINGERPRINT" man.txt &&
	test_grep "images/ID/image.aci" man.txt &&
	acrun __doc man | cmp - "$DOCS/man/acrun.1"
'

test_expect_success 'the man page describes every JSON field' '
	for f in id name version size uuid app image state created exitStatus imageName; do
		grep -q "^           $f  " man.txt 2>/dev/null ||
		render "$DOCS/man/acrun.1" | grep -q "^           $f  " || { echo "field $f undocumented"; exit 1; }
	done
'

test_expect_success 'bash and zsh completion complete commands, subcommands and options' '
	cat > t.sh <<-\EOF &&
	source "$DOCS/completion/bash/acrun"
	COMP_WORDS=(acrun ima); COMP_CWORD=1; _acrun; echo "${COMPREPLY[*]}"
	COMP_WORDS=(acrun image ""); COMP_CWORD=2; _acrun; echo "${COMPREPLY[*]}"
	COMP_WORDS=(acrun run --vo); COMP_CWORD=2; _acrun; echo "${COMPREPLY[*]}"
	COMP_WORDS=(acrun trust l); COMP_CWORD=2; _acrun; echo "${COMPREPLY[*]}"
	COMP_WORDS=(acrun list --f); COMP_CWORD=2; _acrun; echo "${COMPREPLY[*]}"
	COMP_WORDS=(acrun --tr); COMP_CWORD=1; _acrun; echo "${COMPREPLY[*]}"
	EOF
	bash t.sh > out &&
	printf "%s\n" image "list rm gc render cat-manifest export" --volume= list --format= --trust-dir= | test_cmp - out &&
	head -1 "$DOCS/completion/zsh/_acrun" | grep -qx "#compdef acrun" &&
	acrun __doc bash | cmp - "$DOCS/completion/bash/acrun"
'

test_expect_success 'setup: an image in the store; two pods recorded as acrun records them' '
	mkdir -p img/rootfs && write_manifest img/manifest example.com/cli &&
	sed -i "s/\"labels\":\[/\"labels\":[{\"name\":\"version\",\"value\":\"2.1\"},/" img/manifest &&
	actool build img cli.aci && $A fetch cli.aci > id &&
	for u in 11111111-2222-4333-8444-000000000001 11111111-2222-4333-8444-000000000002; do
		mkdir -p store/pods/$u && echo "$(cat id)" > store/pods/$u/image &&
		echo cli > store/pods/$u/app && touch store/pods/$u/lock || exit 1
	done &&
	echo 1700000000 > store/pods/11111111-2222-4333-8444-000000000001/created &&
	echo 3 > store/pods/11111111-2222-4333-8444-000000000001/status &&
	echo 1700000100 > store/pods/11111111-2222-4333-8444-000000000002/created
'

test_expect_success 'image list --format json: the documented shape' '
	$A image list --format json > l.json &&
	python3 - "$(cat id)" "$(stat -c %s store/images/$(cat id)/image.aci)" <<-\EOF
	import json, sys
	d = json.load(open("l.json"))
	assert d == [{"id": sys.argv[1], "name": "example.com/cli", "version": "2.1", "size": int(sys.argv[2])}], d
	assert list(d[0]) == ["id", "name", "version", "size"], d
	EOF
'

test_expect_success 'list: text and --format json' '
	$A list > l.txt &&
	printf "UUID\tAPP\tIMAGE\tSTATE\n%s\tcli\t%.19s\t%s\n%s\tcli\t%.19s\t%s\n" \
		11111111-2222-4333-8444-000000000001 "$(cat id)" "exited(3)" \
		11111111-2222-4333-8444-000000000002 "$(cat id)" aborted | test_cmp - l.txt &&
	$A list --format json > p.json &&
	python3 - "$(cat id)" <<-\EOF
	import json, sys
	d = json.load(open("p.json"))
	u = "11111111-2222-4333-8444-00000000000"
	assert d == [
	    {"uuid": u + "1", "app": "cli", "image": sys.argv[1], "state": "exited(3)", "created": 1700000000, "exitStatus": 3},
	    {"uuid": u + "2", "app": "cli", "image": sys.argv[1], "state": "aborted", "created": 1700000100, "exitStatus": None},
	], d
	assert [list(o) for o in d] == [["uuid", "app", "image", "state", "created", "exitStatus"]] * 2
	EOF
'

test_expect_success 'status UUID (or a prefix): key=value lines and --format json' '
	$A status 11111111-2222-4333-8444-000000000001 > s.txt &&
	cat > expect <<-EOF &&
	uuid=11111111-2222-4333-8444-000000000001
	image=$(cat id)
	image-name=example.com/cli
	app=cli
	created=2023-11-14T22:13:20Z
	state=exited
	exit-status=3
	EOF
	test_cmp expect s.txt &&
	$A status 11111111-2222-4333-8444-000000000002 > s.txt && test_grep "^state=aborted$" s.txt &&
	! grep -q exit-status s.txt &&
	test_expect_code 1 $A status --format json 11111111-2222-4333-8444-0000000000 > out 2> err &&
	test ! -s out && test_grep "ambiguous" err &&
	test_expect_code 1 $A status 9999 2> err && echo "acrun: 9999: no such pod" | test_cmp - err &&
	test_expect_code 2 $A status 2> err && echo "acrun: usage: acrun status [--format json] UUID" | test_cmp - err &&
	$A status --format json 11111111-2222-4333-8444-000000000002 > s.json &&
	python3 - "$(cat id)" <<-\EOF
	import json, sys
	d = json.load(open("s.json"))
	assert d == {"uuid": "11111111-2222-4333-8444-000000000002", "app": "cli", "image": sys.argv[1],
	             "state": "aborted", "created": 1700000100, "exitStatus": None, "imageName": "example.com/cli"}, d
	EOF
'

test_expect_success 'status of a pod whose image was removed' '
	$A image rm $(cat id) > /dev/null &&
	$A status 11111111-2222-4333-8444-000000000001 > s.txt && test_grep "^image-name=$" s.txt &&
	$A status --format json 11111111-2222-4333-8444-000000000001 > s.json &&
	python3 -c "import json; assert json.load(open(\"s.json\"))[\"imageName\"] is None"
'

if [ "$(id -u)" = 0 ] && unshare -m -p -f -u -i true 2>/dev/null &&
	printf 'int main(void){return 0;}\n' | cc -static -x c -o /dev/null - 2>/dev/null; then
	test_expect_success 'status of a real run: exited, with the app status' '
		printf "#include <unistd.h>\n#include <stdlib.h>\nint main(int c,char**v){if(c>1)sleep(atoi(v[1]));return 4;}\n" > app.c &&
		cc -static -O -o app app.c && mkdir -p run/rootfs && cp app run/rootfs/app &&
		printf "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/runme\",\"app\":{\"exec\":[\"/app\"],\"user\":\"0\",\"group\":\"0\"}}\n" > run/manifest &&
		actool build run run.aci &&
		test_expect_code 4 $A run run.aci &&
		uuid=$($A list | awk "\$2 == \"example.com/runme\" {print \$1}") && test -n "$uuid" &&
		$A status $uuid > s.txt && test_grep "^state=exited$" s.txt && test_grep "^exit-status=4$" s.txt &&
		test_grep "^image-name=example.com/runme$" s.txt
	'
	test_expect_success 'status of a running pod' '
		$A run run.aci -- 30 & pid=$!
		for i in $(seq 1 100); do
			u2=$($A list | awk "\$4 == \"running\" {print \$1}"); test -n "$u2" && break; sleep 0.1
		done
		$A status --format json $u2 > r.json; rc=$?
		kill $pid; wait $pid
		test $rc = 0 &&
		python3 -c "import json; d=json.load(open(\"r.json\")); assert d[\"state\"]==\"running\" and d[\"exitStatus\"] is None, d"
	'
else
	test_expect_success UNSHARE_AND_STATIC_CC 'status of a real run (needs root, namespaces, cc -static)' 'false'
	test_expect_success UNSHARE_AND_STATIC_CC 'status of a running pod (needs root, namespaces, cc -static)' 'false'
fi

test_done
