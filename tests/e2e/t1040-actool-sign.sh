# actool sign: detached armored signatures with throw-away gpg keys.
. "$(dirname "$0")/lib.sh"

if ! command -v gpg >/dev/null || ! command -v gpg-agent >/dev/null; then
	echo "1..0 # SKIP gpg and gpg-agent are needed"
	exit 0
fi
# A short home: gpg-agent's socket path must fit in 108 bytes.
GNUPGHOME=$(mktemp -d /tmp/acgpg-XXXXXX)
export GNUPGHOME
trap 'gpgconf --kill all >/dev/null 2>&1; rm -rf "$GNUPGHOME"' EXIT
echo allow-loopback-pinentry > "$GNUPGHOME/gpg-agent.conf"

test_expect_success 'setup: keys without and with a passphrase, an image' '
	gpg --batch --passphrase "" --quick-gen-key "Plain <plain@example.com>" ed25519 sign 1d 2>/dev/null &&
	gpg --batch --pinentry-mode loopback --passphrase s3cret --quick-gen-key "Locked <locked@example.com>" ed25519 sign 1d 2>/dev/null &&
	echo s3cret > pass && echo wrong > badpass &&
	mkdir -p img/rootfs && echo hi > img/rootfs/hi && write_manifest img/manifest && actool build img app.aci
'

test_expect_success 'sign writes APP.aci.asc, an armored signature gpg verifies' '
	actool sign --key plain@example.com app.aci &&
	head -1 app.aci.asc | grep -q "^-----BEGIN PGP SIGNATURE-----$" &&
	gpg --verify app.aci.asc app.aci 2> out && test_grep "Good signature from \"Plain" out
'

test_expect_success '--passphrase-file signs with a protected key non-interactively; --output names the file' '
	actool sign --key locked@example.com --passphrase-file pass --output sig.asc app.aci &&
	gpg --verify sig.asc app.aci 2> out && test_grep "Good signature from \"Locked" out
'

test_expect_success 'a wrong passphrase, an unknown key and a missing file fail with one line and no file' '
	gpgconf --reload gpg-agent && # forget the passphrase cached by the test before
	test_expect_code 1 actool sign --key locked@example.com --passphrase-file badpass --output bad.asc app.aci 2> err &&
	test_one_line err && test_grep "passphrase" err && test ! -e bad.asc &&
	test_expect_code 1 actool sign --key nobody@example.com --output bad.asc app.aci 2> err &&
	test_one_line err && test_grep "nobody@example.com" err && test ! -e bad.asc &&
	test_expect_code 1 actool sign nosuch.aci 2> err && test_one_line err && test ! -e nosuch.aci.asc
'

test_expect_success 'a tampered image no longer verifies' '
	cp app.aci t.aci && cp app.aci.asc t.aci.asc && printf x >> t.aci &&
	test_must_fail gpg --verify t.aci.asc t.aci 2>/dev/null
'

test_expect_success 'acbuild write --sign and --sign-key write ACI.asc next to the image' '
	acbuild begin && acbuild set-name example.com/signed &&
	acbuild write --sign s.aci > id && test -s s.aci.asc &&
	gpg --verify s.aci.asc s.aci 2> out && test_grep "Good signature" out &&
	acbuild write --overwrite --sign-key plain@example.com s2.aci > id2 &&
	gpg --verify s2.aci.asc s2.aci 2> out && test_grep "Good signature from \"Plain" out &&
	test_expect_code 1 acbuild write --sign-key nobody@example.com s3.aci 2> err &&
	test_grep "nobody@example.com" err && test ! -e s3.aci.asc && test ! -e s3.aci &&
	acbuild end
'

# trust DIR PREFIX KEYID: stores the public key as the trust store does
trust() {
	local fpr
	fpr=$(gpg --with-colons --fingerprint "$3" | awk -F: '/^fpr:/ {print tolower($10); exit}') &&
	mkdir -p "$1/trustedkeys/prefix.d/$2" &&
	gpg --armor --export "$3" > "$1/trustedkeys/prefix.d/$2/$fpr"
}

test_expect_success 'verify: --keyring and the trust store by the image name; prints the fingerprint' '
	gpg --armor --export plain@example.com > plain.pub &&
	fpr=$(gpg --with-colons --fingerprint plain@example.com | awk -F: "/^fpr:/ {print tolower(\$10); exit}") &&
	actool verify --keyring plain.pub app.aci > out && echo "$fpr" | test_cmp - out &&
	trust store example.com plain@example.com &&
	actool verify --trust-dir store app.aci > out && echo "$fpr" | test_cmp - out &&
	actool verify --trust-dir store app.aci app.aci.asc > out && echo "$fpr" | test_cmp - out
'

test_expect_success 'verify refuses: another signer, a sibling prefix, tampering, an empty or missing signature' '
	actool sign --key locked@example.com --passphrase-file pass --output other.asc app.aci &&
	test_expect_code 1 actool verify --trust-dir store app.aci other.asc 2> err && test_one_line err &&
	test_grep "not trusted for example.com/test.*acrun trust --prefix" err &&
	trust sib example.com/tes plain@example.com &&
	test_expect_code 1 actool verify --trust-dir sib app.aci 2> err && test_one_line err &&
	cp app.aci t2.aci && printf x >> t2.aci && cp app.aci.asc t2.aci.asc &&
	test_expect_code 1 actool verify --keyring plain.pub t2.aci 2> err && test_one_line err &&
	: > empty.asc && test_expect_code 1 actool verify --keyring plain.pub app.aci empty.asc 2> err &&
	test_grep "no valid signatures" err &&
	test_expect_code 1 actool verify --keyring plain.pub app.aci nosuch.asc 2> err && test_one_line err
'

test_expect_success 'verify accepts a binary signature; refuses one by an expired key' '
	gpg --batch --yes -u plain@example.com --detach-sign -o bin.sig app.aci &&
	actool verify --keyring plain.pub app.aci bin.sig > out && test -s out &&
	gpg --batch --passphrase "" --faked-system-time 20200101T000000 \
		--quick-gen-key "Old <old@example.com>" ed25519 sign 1d 2>/dev/null &&
	gpg --batch --yes --faked-system-time 20200101T010000 -u old@example.com --armor --detach-sign -o old.asc app.aci 2>/dev/null &&
	gpg --armor --export old@example.com > old.pub &&
	test_expect_code 1 actool verify --keyring old.pub app.aci old.asc 2> err && test_one_line err &&
	test_grep "[Ee]xpired" err
'

test_expect_success 'verify refuses a signature by a revoked key' '
	gpg --batch --passphrase "" --quick-gen-key "Gone <gone@example.com>" ed25519 sign 1d 2>/dev/null &&
	actool sign --key gone@example.com --output gone.asc app.aci &&
	gpg --armor --export gone@example.com > gone.pub &&
	actool verify --keyring gone.pub app.aci gone.asc > out && test -s out &&
	fpr=$(gpg --with-colons --fingerprint gone@example.com | awk -F: "/^fpr:/ {print \$10; exit}") &&
	# gpg writes a revocation certificate for every new key; its armor
	# line is commented out with ":" so that it is not imported by mistake
	sed "s/^:-----BEGIN/-----BEGIN/" "$GNUPGHOME/openpgp-revocs.d/$fpr.rev" > rev.asc &&
	gpg --batch --import rev.asc 2>/dev/null &&
	gpg --armor --export gone@example.com > gone-revoked.pub &&
	test_expect_code 1 actool verify --keyring gone-revoked.pub app.aci gone.asc 2> err && test_one_line err &&
	test_grep "[Rr]evoked" err
'

test_done
