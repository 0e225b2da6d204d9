# acrun trust and signature verification: keys per prefix matched on whole
# path components, root keys, unsigned / untrusted / tampered images refused.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare -m -p -f -u -i true 2>/dev/null || ! command -v gpg >/dev/null ||
	! printf 'int main(void){return 0;}\n' | cc -static -x c -o /dev/null - 2>/dev/null; then
	echo "1..0 # SKIP needs root, namespaces, gpg and cc -static"
	exit 0
fi

export GNUPGHOME="$TRASH/gnupg"
export A="acrun --dir $TRASH/store --trust-dir $TRASH/trust"

# image DIR NAME: an image printing "hi", signed when a key is given.
image() {
	mkdir -p "$1/rootfs" && cp hi "$1/rootfs/hi" &&
	printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"%s","app":{"exec":["/hi"],"user":"0","group":"0"}}\n' "$2" > "$1/manifest" &&
	actool build --overwrite "$1" "$1.aci"
}
sign() {
	gpg --batch --yes -q --armor --detach-sign -u "$1" -o "$2.asc" "$2"
}

test_expect_success 'setup: throw-away keys and images' '
	mkdir -m 700 gnupg &&
	gpg --batch -q --passphrase "" --quick-gen-key "Signer <signer@example.com>" ed25519 sign never &&
	gpg --batch -q --passphrase "" --quick-gen-key "Other <other@example.com>" ed25519 sign never &&
	gpg --armor --export signer@example.com > signer.asc &&
	gpg --armor --export other@example.com > other.asc &&
	printf "#include <stdio.h>\nint main(void){puts(\"hi\");return 0;}\n" > hi.c && cc -static -O -o hi hi.c &&
	image foo example.com/foo/app && sign signer@example.com foo.aci &&
	image foobar example.com/foobar && sign signer@example.com foobar.aci &&
	image plain example.com/foo/plain
'

test_expect_success 'an unsigned image is refused by default, run with --insecure-options=image' '
	test_must_fail $A run plain.aci 2> err && test_grep "not signed" err && test_grep "insecure-options=image" err &&
	$A run --insecure-options=image plain.aci > out && echo hi | test_cmp - out
'

test_expect_success 'a signed image without trusted keys is refused' '
	test_must_fail $A run foo.aci 2> err && test_grep "no keys trusted for example.com/foo/app" err
'

test_expect_success 'trust --prefix stores the key under its fingerprint' '
	fp=$(gpg --with-colons --fingerprint signer@example.com | awk -F: "/^fpr/{print tolower(\$10); exit}") &&
	$A trust --prefix example.com/foo --skip-fingerprint-review signer.asc 2> err &&
	test -f trust/trustedkeys/prefix.d/example.com/foo/$fp &&
	$A trust list > list && test_grep "example.com/foo	$fp" list
'

test_expect_success 'signed and trusted for its prefix: accepted' '
	$A run foo.aci > out && echo hi | test_cmp - out
'

test_expect_success 'a key for example.com/foo does not cover example.com/foobar' '
	test_must_fail $A run foobar.aci 2> err && test_grep "no keys trusted for example.com/foobar" err
'

test_expect_success 'a signature by a key trusted elsewhere is refused' '
	image foo2 example.com/foo/two && sign other@example.com foo2.aci &&
	test_must_fail $A run foo2.aci 2> err && test_grep "not trusted" err
'

test_expect_success 'a tampered image is refused' '
	image foo3 example.com/foo/app && echo tampered > foo3/rootfs/extra &&
	actool build --overwrite foo3 foo3.aci && ! cmp -s foo.aci foo3.aci &&
	cp foo.aci.asc foo3.aci.asc &&
	test_must_fail $A run foo3.aci 2> err && test_grep "bad signature" err &&
	: > foo3.aci.asc && test_must_fail $A run foo3.aci 2> err && test_grep "no valid signatures" err
'

test_expect_success 'a binary signature works too' '
	image bin example.com/foo/bin &&
	gpg --batch --yes -q --detach-sign -u signer@example.com -o bin.aci.asc bin.aci &&
	$A run bin.aci > out && echo hi | test_cmp - out
'

test_expect_success 'a root key covers every name; trust rm removes keys' '
	fp=$(gpg --with-colons --fingerprint signer@example.com | awk -F: "/^fpr/{print tolower(\$10); exit}") &&
	$A trust --root --skip-fingerprint-review signer.asc 2> /dev/null &&
	$A run foobar.aci > out && echo hi | test_cmp - out &&
	$A trust rm $fp && $A trust list > list && ! grep -q $fp list &&
	test_must_fail $A run foo.aci 2> /dev/null &&
	test_must_fail $A trust rm $fp
'

test_expect_success 'the fingerprint review needs "yes"' '
	echo no | test_must_fail $A trust --prefix example.com/x other.asc 2> err &&
	test_grep "^GPG key fingerprint is: " err && test -z "$(ls trust/trustedkeys/prefix.d | grep -v example.com)" &&
	test ! -e trust/trustedkeys/prefix.d/example.com/x
'

test_expect_success 'cleanup: stop the gpg agent' '
	gpgconf --kill all 2>/dev/null; true
'

test_done
