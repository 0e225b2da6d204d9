# actool discover against nginx on 127.0.0.1 (HTTPS with a CA made here).
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/e2e/lib-nginx.sh"

need_nginx
ARCH=$(case $(uname -m) in x86_64) echo amd64;; *) uname -m;; esac)
export ARCH

# page DIR PREFIX TEMPLATE [KEYS]: a discovery page served for DIR
page() {
	mkdir -p "site/$1" &&
	cat > "site/$1/index.html" <<HTML
<!DOCTYPE html>
<html><head>
<META name="ac-discovery" content="$2 $3">
${4:+<meta content='$2 $4' name='ac-discovery-pubkeys' />}
</head><body>hello</body></html>
HTML
}
export -f page

test_expect_success 'walks up from a/b/c to the page that answers; prints ACI, ASC and keys' '
	page foo localhost/foo "https://localhost:$HTTPS_PORT/img/{name}-{version}-{os}-{arch}.{ext}" "https://localhost:$HTTPS_PORT/pubkeys.gpg" &&
	actool discover --port=$HTTPS_PORT localhost/foo/bar/baz > out &&
	cat > expect <<-EOF &&
	discover endpoints walk: prefix: localhost/foo/bar/baz error: GET https://localhost:$HTTPS_PORT/foo/bar/baz?ac-discovery=1: expected a 200 OK got 404
	discover endpoints walk: prefix: localhost/foo/bar error: GET https://localhost:$HTTPS_PORT/foo/bar?ac-discovery=1: expected a 200 OK got 404
	discover public keys walk: prefix: localhost/foo/bar/baz error: GET https://localhost:$HTTPS_PORT/foo/bar/baz?ac-discovery=1: expected a 200 OK got 404
	discover public keys walk: prefix: localhost/foo/bar error: GET https://localhost:$HTTPS_PORT/foo/bar?ac-discovery=1: expected a 200 OK got 404
	ACI: https://localhost:$HTTPS_PORT/img/localhost/foo/bar/baz-latest-linux-$ARCH.aci, ASC: https://localhost:$HTTPS_PORT/img/localhost/foo/bar/baz-latest-linux-$ARCH.aci.asc
	PublicKeys: https://localhost:$HTTPS_PORT/pubkeys.gpg
	EOF
	test_cmp expect out
'

test_expect_success 'version and labels fill the template; a template with an unknown variable is skipped' '
	mkdir -p site/lab && cat > site/lab/index.html <<-EOF &&
	<meta name="ac-discovery" content="localhost/lab https://x/{name}/{nosuch}.{ext}">
	<meta name="ac-discovery" content="localhost/lab https://x/{name}:{version}:{channel}.{ext}">
	<meta name="ac-discovery-pubkeys" content="localhost/lab https://x/keys">
	EOF
	actool discover --port=$HTTPS_PORT localhost/lab:1.0,channel=beta > out &&
	test_grep "^ACI: https://x/localhost/lab:1.0:beta.aci, ASC: https://x/localhost/lab:1.0:beta.aci.asc$" out &&
	test $(grep -c "^ACI:" out) = 1
'

test_expect_success '--json has the original shape' '
	actool discover --json --port=$HTTPS_PORT localhost/lab:1.0,channel=beta > out &&
	cat > expect <<-EOF &&
	{
	    "ACIEndpoints": [
	        {
	            "ACI": "https://x/localhost/lab:1.0:beta.aci",
	            "ASC": "https://x/localhost/lab:1.0:beta.aci.asc"
	        }
	    ],
	    "PublicKeys": [
	        "https://x/keys"
	    ]
	}
	EOF
	test_cmp expect out
'

test_expect_success 'a prefix covers names on path-component boundaries only' '
	page pre localhost/pre "https://x/{name}.{ext}" "https://x/k" &&
	actool discover --port=$HTTPS_PORT localhost/pre/app > out &&
	test_grep "^ACI: https://x/localhost/pre/app.aci" out &&
	mkdir -p site/prefix && cp site/pre/index.html site/prefix/index.html &&
	test_expect_code 1 actool discover --port=$HTTPS_PORT localhost/prefix 2> err &&
	test_grep "^error fetching endpoints for localhost/prefix: discovery failed$" err
'

test_expect_success 'HTTPS only: an unknown CA fails; --insecure skips verification' '
	test_expect_code 1 env -u SSL_CERT_FILE actool discover --port=$HTTPS_PORT localhost/foo 2> err &&
	test_grep "discovery failed" err &&
	test_grep "certificate" err &&
	env -u SSL_CERT_FILE actool discover --insecure --port=$HTTPS_PORT localhost/foo > out &&
	test_grep "^ACI: " out
'

test_expect_success 'plain HTTP only with --insecure' '
	test_expect_code 1 actool discover --port=$HTTP_PORT localhost/foo 2> err &&
	actool discover --insecure --port=$HTTP_PORT localhost/foo > out &&
	test_grep "^ACI: https://localhost:$HTTPS_PORT/img/localhost/foo-latest" out
'

test_expect_success 'redirects are followed' '
	page target localhost/redirect "https://x/{name}.{ext}" "https://x/k" &&
	actool discover --port=$HTTPS_PORT localhost/redirect/target > out &&
	test_grep "^ACI: https://x/localhost/redirect/target.aci" out &&
	test_grep "GET /redirect/target?ac-discovery=1 HTTP/1.1\" 301" nginx/access.log
'

test_expect_success 'malformed app strings and usage errors' '
	test_expect_code 1 actool discover "a:b:c" 2> err &&
	echo "a:b:c: malformed app string - colon may appear at most once" | test_cmp - err &&
	test_expect_code 1 actool discover "a,x=1:2" 2> err &&
	echo "a,x=1:2: malformed app string - colon may appear only right after the app name" | test_cmp - err &&
	test_expect_code 1 actool discover "a,label" 2> err && test_one_line err &&
	test_expect_code 1 actool discover "Bad/Name" 2> err && test_grep "ACIdentifier" err &&
	test_expect_code 2 actool discover 2> err && test_one_line err
'

test_expect_success 'a 50 MB page and a page of 10,000 meta tags stay within limits' '
	mkdir -p site/huge/app && head -c 50000000 /dev/zero | tr "\0" "a" > site/huge/app/index.html &&
	page huge localhost/huge "https://x/{name}.{ext}" "https://x/k" &&
	actool discover --port=$HTTPS_PORT localhost/huge/app > out &&
	test_grep "prefix: localhost/huge/app error: .*larger than" out &&
	test_grep "^ACI: https://x/localhost/huge/app.aci" out &&
	mkdir -p site/many && python3 -c "
print(\"<meta name=\\\"ac-discovery-pubkeys\\\" content=\\\"localhost/many https://x/k\\\">\")
for i in range(10000):
    print(\"<meta name=\\\"ac-discovery\\\" content=\\\"localhost/many https://x/%d/{name}.{ext}\\\">\" % i)
" > site/many/index.html &&
	actool discover --port=$HTTPS_PORT localhost/many > out &&
	test $(grep -c "^ACI:" out) -le 1000
'

test_done
