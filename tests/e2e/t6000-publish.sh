# The whole pipeline: build and sign with acbuild, publish a static site,
# discover, trust, fetch with signature check, run; against nginx on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/e2e/lib-nginx.sh"

for p in nginx openssl gpg cc; do
	command -v $p >/dev/null || { echo "1..0 # SKIP $p is needed"; exit 0; }
done
GNUPGHOME=$(mktemp -d /tmp/acgpg-XXXXXX)
export GNUPGHOME
start_nginx || { echo "Bail out! nginx did not start"; exit 1; }
trap 'kill $NGINX_PID 2>/dev/null; gpgconf --kill all >/dev/null 2>&1; rm -rf "$GNUPGHOME"' EXIT
export SSL_CERT_FILE=$TRASH/ca.pem AC_DISCOVERY_PORT=$HTTPS_PORT
export BASE=https://localhost:$HTTPS_PORT

test_expect_success 'publish.sh builds, signs and lays out the site' '
	gpg --batch --passphrase "" --quick-gen-key "Releases <rel@example.com>" ed25519 sign 1d 2>/dev/null &&
	gpg --batch --passphrase "" --quick-gen-key "Mallory <mal@example.com>" ed25519 sign 1d 2>/dev/null &&
	cc -static -Os -o hello "$PROJECT_ROOT/examples/hello/hello.c" &&
	"$PROJECT_ROOT/examples/publish/publish.sh" localhost/hello 1.0 "$BASE" rel@example.com site ./hello > out &&
	ls site/images/localhost/hello-1.0-linux-*.aci site/images/localhost/hello-1.0-linux-*.aci.asc site/pubkeys.gpg site/hello/index.html &&
	actool validate site/images/localhost/hello-1.0-linux-*.aci
'

test_expect_success 'actool discover finds the image, its signature and the key' '
	actool discover localhost/hello:1.0 > out &&
	test_grep "^ACI: $BASE/images/localhost/hello-1.0-linux-.*\\.aci, ASC: .*\\.aci\\.asc$" out &&
	test_grep "^PublicKeys: $BASE/pubkeys.gpg$" out
'

test_expect_success ROOT 'acrun refuses the image until its signer is trusted, then fetches and runs it' '
	test_expect_code 1 acrun --dir store --trust-dir trust fetch localhost/hello:1.0 2> err &&
	test_grep "acrun trust --prefix localhost/hello" err &&
	acrun --dir store --trust-dir trust trust --skip-fingerprint-review --prefix localhost/hello site/pubkeys.gpg &&
	acrun --dir store --trust-dir trust fetch localhost/hello:1.0 > id && grep -q "^sha512-" id &&
	acrun --dir store --trust-dir trust run localhost/hello:1.0 > out && test_grep "^Hello" out &&
	actool verify --trust-dir trust site/images/localhost/hello-1.0-linux-*.aci > fpr && test -s fpr
'

test_expect_success ROOT 'a key trusted for a sibling prefix does not cover the image; a swapped signature is refused' '
	gpg --batch --yes --armor --export mal@example.com > mal.pub &&
	acrun --dir store2 --trust-dir trust2 trust --skip-fingerprint-review --prefix localhost/hell mal.pub &&
	test_expect_code 1 acrun --dir store2 --trust-dir trust2 fetch localhost/hello:1.0 2> err && test_one_line err &&
	acrun --dir store2 --trust-dir trust2 trust --skip-fingerprint-review --prefix localhost/hello mal.pub &&
	aci=$(ls site/images/localhost/hello-1.0-linux-*.aci) &&
	cp "$aci.asc" good.asc && gpg --batch --yes -u mal@example.com --armor --detach-sign -o "$aci.asc" "$aci" &&
	acrun --dir store3 --trust-dir trust trust --skip-fingerprint-review --prefix localhost/hello site/pubkeys.gpg 2>/dev/null;
	test_expect_code 1 acrun --dir store3 --trust-dir trust fetch localhost/hello:1.0 2> err && test_one_line err &&
	cp good.asc "$aci.asc"
'

test_expect_success 'fetch by name refuses a name or label that does not match' '
	mkdir -p site/other && sed "s|localhost/hello |localhost/other |g" site/hello/index.html > site/other/index.html &&
	sed -i "s|{name}|localhost/hello|" site/other/index.html &&
	test_expect_code 1 acrun --dir store4 --trust-dir trust --insecure-options=image fetch localhost/other:1.0 2> err &&
	test_grep ".localhost/other. expected but .localhost/hello. found" err &&
	test_expect_code 1 acrun --dir store4 --trust-dir trust --insecure-options=image fetch "localhost/hello:1.0,channel=beta" 2> err &&
	test_grep "requested label" err
'

test_done
