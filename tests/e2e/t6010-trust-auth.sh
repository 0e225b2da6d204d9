# The trust store's two directories (system keys masked by empty local
# files, file names checked against the keys), acrun trust by discovery and
# by URL, and per-host credentials (rkt's auth.d) for discovery and
# downloads: against nginx on 127.0.0.1 that asks for basic auth or a
# bearer token, its access log showing what each host was sent.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/e2e/lib-nginx.sh"

for p in nginx openssl gpg htpasswd; do
	command -v $p >/dev/null || { echo "1..0 # SKIP $p is needed"; exit 0; }
done
# A short home: gpg-agent's socket path must fit in 108 bytes.
GNUPGHOME=$(mktemp -d /tmp/acgpg-XXXXXX)
export GNUPGHOME

# nginx as lib-nginx.sh starts it, plus: /private and below need basic
# auth (alice:wonder), /tok the bearer token "t0ken", /away/X answers 301
# to https://127.0.0.1:PORT/pub/X; the log shows port, host, request and the
# Authorization header of every request.
start_auth_nginx() {
	nginx_setup && htpasswd -bc nginx/htpasswd alice wonder 2>/dev/null || return 1
	local loc="
		location ~ ^/private(/|\$) { auth_basic private; auth_basic_user_file $TRASH/nginx/htpasswd;
			try_files \$uri \$uri/index.html =404; }
		location ~ ^/tok(/|\$) { if (\$http_authorization != \"Bearer t0ken\") { return 401; }
			try_files \$uri \$uri/index.html =404; }
		location /away/ { rewrite ^/away/(.*)\$ https://127.0.0.1:$HTTPS_PORT/pub/\$1 permanent; }
		location / { try_files \$uri \$uri/index.html =404; }"
	nginx_launch '$server_port $http_host "$request" $status auth="$http_authorization"' "$loc" "$loc"
}

start_auth_nginx || { echo "Bail out! nginx did not start"; exit 1; }
trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null; gpgconf --kill all >/dev/null 2>&1; rm -rf "$GNUPGHOME"' EXIT
export SSL_CERT_FILE=$TRASH/ca.pem AC_DISCOVERY_PORT=$HTTPS_PORT
export B=https://localhost:$HTTPS_PORT L=https://127.0.0.1:$HTTPS_PORT
# the user's auth.d: none until a test writes one
export XDG_CONFIG_HOME=$TRASH/config HOME=$TRASH
export T="acrun --trust-dir trust"

# fpr KEYID: the lowercase fingerprint
fpr() {
	gpg --with-colons --fingerprint "$1" | awk -F: '/^fpr:/ {print tolower($10); exit}'
}
# place DIR PREFIX|- KEYID: stores the public key as the trust store does
place() {
	local d
	if [ "$2" = - ]; then d=$1/trustedkeys/root.d; else d=$1/trustedkeys/prefix.d/$2; fi
	mkdir -p "$d" && gpg --armor --export "$3" > "$d/$(fpr "$3")"
}
# mask DIR PREFIX|- KEYID: an empty file in its place
mask() {
	local d
	if [ "$2" = - ]; then d=$1/trustedkeys/root.d; else d=$1/trustedkeys/prefix.d/$2; fi
	mkdir -p "$d" && : > "$d/$(fpr "$3")"
}
# log_since N: the access log lines after the first N
log_since() {
	tail -n +$(($1 + 1)) nginx/access.log
}
log_len() {
	wc -l < nginx/access.log
}
# auth FILE DOMAIN TYPE CREDENTIALS-JSON
auth() {
	mkdir -p "$(dirname "$1")" &&
	printf '{"rktKind":"auth","rktVersion":"v1","domains":["%s"],"type":"%s","credentials":%s}\n' "$2" "$3" "$4" > "$1"
}
export -f fpr place mask log_since log_len auth

test_expect_success 'setup: keys, a signed image, pages' '
	gpg --batch --passphrase "" --quick-gen-key "Signer <signer@example.com>" ed25519 sign 1d 2>/dev/null &&
	gpg --batch --passphrase "" --quick-gen-key "Other <other@example.com>" ed25519 sign 1d 2>/dev/null &&
	mkdir -p site/keys site/private/keys site/img site/private/img &&
	gpg --armor --export signer@example.com > site/keys/signer.asc &&
	gpg --armor --export other@example.com > site/keys/other.asc &&
	cp site/keys/signer.asc site/private/keys/ &&
	mkdir -p img/rootfs && echo hi > img/rootfs/hi &&
	printf "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"localhost/hello/app\",\"labels\":[{\"name\":\"os\",\"value\":\"linux\"},{\"name\":\"arch\",\"value\":\"$(uname -m | sed s/x86_64/amd64/)\"}]}\n" > img/manifest &&
	actool build img app.aci &&
	gpg --batch --yes -q --armor --detach-sign -u signer@example.com -o app.aci.asc app.aci &&
	mkdir -p site/hello && cat > site/hello/index.html <<-EOF
	<meta name="ac-discovery-pubkeys" content="localhost/hello $B/keys/signer.asc">
	EOF
'

# ---- two directories, masks, fingerprint check ----

test_expect_success 'a system key is trusted; an empty local file masks it' '
	place sys localhost/hello signer@example.com &&
	actool verify --system-trust-dir sys --trust-dir loc app.aci > out && fpr signer@example.com | test_cmp - out &&
	test_expect_code 1 actool verify --system-trust-dir "" --trust-dir loc app.aci 2> err &&
	test_grep "no keys trusted for localhost/hello/app" err &&
	mask loc localhost/hello signer@example.com &&
	test_expect_code 1 actool verify --system-trust-dir sys --trust-dir loc app.aci 2> err &&
	test_one_line err && test_grep "no keys trusted for localhost/hello/app" err
'

test_expect_success 'masks follow rkt order: local root masks system root; a local prefix mask masks a root key too' '
	rm -rf sys loc &&
	place sys - signer@example.com &&
	actool verify --system-trust-dir sys --trust-dir loc app.aci > /dev/null &&
	mask loc - signer@example.com &&
	test_expect_code 1 actool verify --system-trust-dir sys --trust-dir loc app.aci 2> /dev/null &&
	rm -rf loc && mask loc localhost signer@example.com &&
	test_expect_code 1 actool verify --system-trust-dir sys --trust-dir loc app.aci 2> /dev/null &&
	rm -rf loc && mask loc localhost/other signer@example.com &&
	actool verify --system-trust-dir sys --trust-dir loc app.aci > /dev/null &&
	rm -rf sys loc && place sys localhost signer@example.com && mask loc - signer@example.com &&
	actool verify --system-trust-dir sys --trust-dir loc app.aci > /dev/null
'

test_expect_success 'a key file not named by its fingerprint is refused: fingerprint mismatch' '
	rm -rf sys loc && mkdir -p loc/trustedkeys/prefix.d/localhost &&
	gpg --armor --export other@example.com > loc/trustedkeys/prefix.d/localhost/$(fpr signer@example.com) &&
	test_expect_code 1 actool verify --system-trust-dir "" --trust-dir loc app.aci 2> err &&
	test_one_line err && test_grep "fingerprint mismatch: .*holds key $(fpr other@example.com)" err &&
	rm -rf loc && mkdir -p sys/trustedkeys/root.d && place loc localhost signer@example.com &&
	gpg --armor --export other@example.com > sys/trustedkeys/root.d/$(fpr signer@example.com) &&
	test_expect_code 1 actool verify --system-trust-dir sys --trust-dir loc app.aci 2> err &&
	test_grep "fingerprint mismatch" err
'

test_expect_success 'trust list shows the keys in effect; trust rm masks a system key, trust re-adds it' '
	rm -rf sys trust && place sys localhost/hello signer@example.com && place sys - other@example.com &&
	acrun --trust-dir trust trust list --system-trust-dir sys > list &&
	printf "PREFIX\tFINGERPRINT\tUSER ID\n(root)\t%s\t\nlocalhost/hello\t%s\t\n" \
		$(fpr other@example.com) $(fpr signer@example.com) | test_cmp - list &&
	acrun --trust-dir trust trust rm --system-trust-dir sys $(fpr signer@example.com) &&
	test -f trust/trustedkeys/prefix.d/localhost/hello/$(fpr signer@example.com) &&
	test ! -s trust/trustedkeys/prefix.d/localhost/hello/$(fpr signer@example.com) &&
	test -s sys/trustedkeys/prefix.d/localhost/hello/$(fpr signer@example.com) &&
	acrun --trust-dir trust trust list --system-trust-dir sys > list && ! grep -q localhost list &&
	test_expect_code 1 acrun --trust-dir trust trust rm --system-trust-dir sys $(fpr signer@example.com) 2> err &&
	test_grep "no trusted key" err &&
	test_expect_code 1 actool verify --system-trust-dir sys --trust-dir trust app.aci 2> /dev/null &&
	acrun --trust-dir trust trust --system-trust-dir sys --prefix localhost/hello --skip-fingerprint-review site/keys/signer.asc 2> /dev/null &&
	actool verify --system-trust-dir sys --trust-dir trust app.aci > /dev/null
'

# ---- trust by discovery and by URL ----

test_expect_success 'trust --prefix alone discovers the key (walking up), shows it as rkt does, asks "yes"' '
	rm -rf trust && echo yes | $T trust --prefix localhost/hello/app > out 2> err &&
	f=$(fpr signer@example.com) && test -s trust/trustedkeys/prefix.d/localhost/hello/app/$f &&
	test_grep "^Prefix: \"localhost/hello/app\"$" err && test_grep "^Key: \"$B/keys/signer.asc\"$" err &&
	grouped=$(echo $f | tr a-f A-F | sed -E "s/(....)/\1 /g; s/ \$//; s/^(([^ ]+ ){4}[^ ]+) /\1  /") &&
	test_grep "^GPG key fingerprint is: $grouped$" err && test_grep "Signer <signer@example.com>" err &&
	test_grep "Are you sure you want to trust this key (yes/no)?" err &&
	actool verify --system-trust-dir "" --trust-dir trust app.aci > /dev/null
'

test_expect_success 'anything but "yes" stores nothing; no key page fails with the walk' '
	rm -rf trust && echo no | test_expect_code 1 $T trust --prefix localhost/hello 2> err &&
	test_grep "not trusting" err && test ! -e trust &&
	test_expect_code 1 $T trust --prefix localhost/nothing/here --skip-fingerprint-review 2> err && test_one_line err &&
	test_grep "no public keys discovered: .*/nothing/here?ac-discovery=1: expected a 200 OK got 404" err && test ! -e trust
'

test_expect_success 'every key the page lists is reviewed' '
	mkdir -p site/two && cat > site/two/index.html <<-EOF &&
	<meta name="ac-discovery-pubkeys" content="localhost/two $B/keys/signer.asc">
	<meta name="ac-discovery-pubkeys" content="localhost/two $L/keys/other.asc">
	EOF
	rm -rf trust && $T trust --prefix localhost/two --skip-fingerprint-review 2> err &&
	test -s trust/trustedkeys/prefix.d/localhost/two/$(fpr signer@example.com) &&
	test -s trust/trustedkeys/prefix.d/localhost/two/$(fpr other@example.com) &&
	test $(grep -c "without fingerprint review" err) = 2
'

test_expect_success 'trust by https URL; plain http only with --insecure-allow-http' '
	rm -rf trust && $T trust --prefix localhost/x --skip-fingerprint-review $L/keys/other.asc 2> /dev/null &&
	test -s trust/trustedkeys/prefix.d/localhost/x/$(fpr other@example.com) &&
	test_expect_code 1 $T trust --root --skip-fingerprint-review http://127.0.0.1:$HTTP_PORT/keys/signer.asc 2> err &&
	test_one_line err && test_grep "insecure-allow-http" err && test ! -e trust/trustedkeys/root.d &&
	$T trust --root --skip-fingerprint-review --insecure-allow-http http://127.0.0.1:$HTTP_PORT/keys/signer.asc 2> /dev/null &&
	test -s trust/trustedkeys/root.d/$(fpr signer@example.com) &&
	test_expect_code 2 $T trust --root --skip-fingerprint-review 2> /dev/null
'

test_expect_success 'discovery over plain http only with --insecure-allow-http' '
	rm -rf trust &&
	AC_DISCOVERY_PORT=$HTTP_PORT test_expect_code 1 $T trust --prefix localhost/hello --skip-fingerprint-review 2> err &&
	test ! -e trust &&
	AC_DISCOVERY_PORT=$HTTP_PORT $T trust --insecure-allow-http --prefix localhost/hello --skip-fingerprint-review 2> /dev/null &&
	test -s trust/trustedkeys/prefix.d/localhost/hello/$(fpr signer@example.com)
'

# ---- credentials ----

test_expect_success 'setup: pages behind basic auth and a bearer token' '
	mkdir -p site/private/pub site/tok && cat > site/private/index.html <<-EOF &&
	<meta name="ac-discovery" content="localhost/private $L/img/{name}-{version}.{ext}">
	<meta name="ac-discovery-pubkeys" content="localhost/private $B/private/keys/signer.asc">
	EOF
	cat > site/tok/index.html <<-EOF &&
	<meta name="ac-discovery" content="127.0.0.1/tok $L/tok/{name}.{ext}">
	<meta name="ac-discovery-pubkeys" content="127.0.0.1/tok $L/keys/other.asc">
	EOF
	mkdir -p site/pub/x && cat > site/pub/x/index.html <<-EOF
	<meta name="ac-discovery" content="localhost/away https://x/{name}.{ext}">
	<meta name="ac-discovery-pubkeys" content="localhost/away https://x/key">
	EOF
'

test_expect_success 'without credentials the private pages answer 401 and discovery fails' '
	test_expect_code 1 actool discover localhost/private/a 2> err &&
	test_grep "expected a 200 OK got 401" err
'

test_expect_success 'basic credentials: sent to the listed host over HTTPS at every step of the walk' '
	auth config/acrun/auth.d/a.json localhost basic "{\"user\":\"alice\",\"password\":\"wonder\"}" &&
	n=$(log_len) && actool discover localhost/private/a/b > out &&
	test_grep "^ACI: $L/img/localhost/private/a/b-latest.aci, ASC: " out &&
	test_grep "^PublicKeys: $B/private/keys/signer.asc$" out &&
	basic=$(printf alice:wonder | base64) &&
	log_since $n > log &&
	test_grep "^$HTTPS_PORT localhost:$HTTPS_PORT \"GET /private/a/b?ac-discovery=1 HTTP/1.1\" 404 auth=\"Basic $basic\"$" log &&
	test_grep "^$HTTPS_PORT localhost:$HTTPS_PORT \"GET /private/a?ac-discovery=1 HTTP/1.1\" 404 auth=\"Basic $basic\"$" log &&
	test_grep "^$HTTPS_PORT localhost:$HTTPS_PORT \"GET /private?ac-discovery=1 HTTP/1.1\" 200 auth=\"Basic $basic\"$" log
'

test_expect_success 'credentials go to no other host: not to 127.0.0.1, not after a redirect there' '
	n=$(log_len) && actool discover localhost/away/x > out &&
	test_grep "^ACI: https://x/localhost/away/x" out &&
	log_since $n > log &&
	test_grep "^$HTTPS_PORT localhost:$HTTPS_PORT \"GET /away/x?ac-discovery=1 HTTP/1.1\" 301 auth=\"Basic " log &&
	test_grep "^$HTTPS_PORT 127.0.0.1:$HTTPS_PORT \"GET /pub/x?ac-discovery=1 HTTP/1.1\" 200 auth=\"-\"$" log &&
	! grep "127.0.0.1:.*Basic" log
'

test_expect_success 'credentials are never sent over plain HTTP, even with --insecure' '
	n=$(log_len) &&
	AC_DISCOVERY_PORT=$HTTP_PORT test_expect_code 1 actool discover --insecure localhost/private/a 2> err &&
	log_since $n > log && test_grep "^$HTTP_PORT localhost:$HTTP_PORT \"GET /private/a?ac-discovery=1 HTTP/1.1\" 401 auth=\"-\"$" log &&
	! grep Basic log
'

test_expect_success 'oauth: a bearer token for its domain only' '
	n=$(log_len) && test_expect_code 1 actool discover 127.0.0.1/tok/app 2> err &&
	log_since $n > log && test_grep "\"GET /tok/app?ac-discovery=1 HTTP/1.1\" 401 auth=\"-\"" log &&
	auth config/acrun/auth.d/b.json 127.0.0.1 oauth "{\"token\":\"t0ken\"}" &&
	actool discover 127.0.0.1/tok/app > out && test_grep "^ACI: $L/tok/127.0.0.1/tok/app.aci" out &&
	n=$(log_len) && actool discover localhost/private/a > /dev/null &&
	log_since $n > log && ! grep Bearer log && grep -q "auth=\"Basic " log
'

test_expect_success 'a domain with a port matches that port only' '
	auth config/acrun/auth.d/b.json 127.0.0.1:1 oauth "{\"token\":\"t0ken\"}" &&
	test_expect_code 1 actool discover 127.0.0.1/tok/app 2> /dev/null &&
	auth config/acrun/auth.d/b.json 127.0.0.1:$HTTPS_PORT oauth "{\"token\":\"t0ken\"}" &&
	actool discover 127.0.0.1/tok/app > /dev/null &&
	rm config/acrun/auth.d/b.json
'

test_expect_success 'a broken auth file fails with its name; a domain twice in one dir too' '
	echo "{" > config/acrun/auth.d/c.json &&
	test_expect_code 1 actool discover localhost/private/a 2> err && test_one_line err &&
	test_grep "auth.d/c.json" err &&
	auth config/acrun/auth.d/c.json localhost basic "{\"user\":\"x\"}" &&
	test_expect_code 1 actool discover localhost/private/a 2> err && test_grep "c.json: password not specified" err &&
	auth config/acrun/auth.d/c.json localhost oauth "{\"token\":\"t\"}" &&
	test_expect_code 1 actool discover localhost/private/a 2> err && test_grep "already specified" err &&
	printf "{\"rktKind\":\"dockerAuth\",\"rktVersion\":\"v1\"}" > config/acrun/auth.d/c.json &&
	actool discover localhost/private/a > /dev/null && rm config/acrun/auth.d/c.json
'

test_expect_success 'fetch by name sends the credentials to the image host when it is listed' '
	mkdir -p site/img/localhost/private &&
	sed -i "s|localhost/hello/app|localhost/private/app|" img/manifest && actool build --overwrite img priv.aci &&
	cp priv.aci site/img/localhost/private/app-latest.aci &&
	n=$(log_len) &&
	acrun --dir store --trust-dir trust --insecure-options=image fetch localhost/private/app > id && grep -q ^sha512- id &&
	log_since $n > log &&
	test_grep "127.0.0.1:$HTTPS_PORT \"GET /img/localhost/private/app-latest.aci HTTP/1.1\" 200 auth=\"-\"" log &&
	mkdir -p site/private/img/localhost/private && mv site/img/localhost/private/app-latest.aci site/private/img/localhost/private/ &&
	sed -i "s|$L/img/|$B/private/img/|" site/private/index.html &&
	n=$(log_len) &&
	acrun --dir store2 --trust-dir trust --insecure-options=image fetch localhost/private/app > id && grep -q ^sha512- id &&
	log_since $n > log &&
	test_grep "localhost:$HTTPS_PORT \"GET /private/img/localhost/private/app-latest.aci HTTP/1.1\" 200 auth=\"Basic " log
'

test_expect_success 'trust --prefix discovers and downloads the key with the credentials of --trust-dir/auth.d' '
	mv config/acrun/auth.d/a.json a.json && rm -rf trust &&
	test_expect_code 1 $T trust --prefix localhost/private --skip-fingerprint-review 2> err && test_grep 401 err &&
	mkdir -p trust/auth.d && mv a.json trust/auth.d/ &&
	$T trust --prefix localhost/private --skip-fingerprint-review 2> err &&
	test -s trust/trustedkeys/prefix.d/localhost/private/$(fpr signer@example.com)
'

test_done
