# Man pages and completions are generated from the tools' own tables: they
# render cleanly, list every command and flag --help shows, and complete.
. "$(dirname "$0")/lib.sh"

DOCS=$PROJECT_ROOT/${TEST_BUILD:-build/plain}
export DOCS

test_expect_success 'every generated man page renders without warnings' '
	ls "$DOCS"/man/*.1 > pages && test -s pages &&
	for p in $(cat pages); do
		groff -ww -man -Tutf8 -z "$p" 2> warn || exit 1
		test_cmp /dev/null warn || exit 1
	done
'

# plain text of a man page (hyphenation off, so words stay whole)
render() { groff -man -Tascii -rHY=0 -P-cbou "$1" 2>/dev/null | sed 's/\xe2\x80\x90/-/g'; }
export -f render

test_expect_success 'actool(1) documents every command and every flag that help prints' '
	render "$DOCS/man/actool.1" > man.txt &&
	for c in $(actool help | sed -n "/^COMMANDS:/,/^\$/p" | awk "NR>1 && NF {print \$1}"); do
		grep -q "^   $c\$" man.txt || { echo "no section for $c"; exit 1; }
		for f in $(actool help $c | sed -n "s/^\t--\([a-z-]*\)=.*/\1/p"); do
			grep -q -- "--$f" man.txt || { echo "$c: --$f missing"; exit 1; }
		done
	done
'

test_expect_success 'docker2aci(1) documents every flag of -h' '
	render "$DOCS/man/docker2aci.1" > man.txt &&
	for f in $(docker2aci -h 2>&1 | sed -n "s/^  -\([a-z-]*\).*/\1/p"); do
		grep -q -- "--$f" man.txt || { echo "--$f missing"; exit 1; }
	done
'

test_expect_success 'bash completion completes commands and flags' '
	cat > t.sh <<-\EOF &&
	source "$DOCS/completion/bash/actool"
	COMP_WORDS=(actool patch-m); COMP_CWORD=1; _actool; echo "${COMPREPLY[*]}"
	COMP_WORDS=(actool build --o); COMP_CWORD=2; _actool; echo "${COMPREPLY[*]}"
	COMP_WORDS=(actool validate --ty); COMP_CWORD=2; _actool; echo "${COMPREPLY[*]}"
	EOF
	bash t.sh > out &&
	printf "patch-manifest\n--overwrite --owner-root\n--type=\n" | test_cmp - out
'

test_expect_success 'make install puts binaries, man pages and completions under DESTDIR' '
	make -s -C "$PROJECT_ROOT" install PREFIX=/usr DESTDIR="$TRASH/stage" ${TEST_BUILD:+SANITIZE=$(test "$TEST_BUILD" = build/san && echo address,undefined)} >/dev/null &&
	test -x stage/usr/bin/actool && test -f stage/usr/share/man/man1/actool.1 &&
	test -f stage/usr/share/bash-completion/completions/actool && test -f stage/usr/share/zsh/site-functions/_actool &&
	make -s -C "$PROJECT_ROOT" uninstall PREFIX=/usr DESTDIR="$TRASH/stage" >/dev/null &&
	test -z "$(find stage -type f)"
'

test_done
