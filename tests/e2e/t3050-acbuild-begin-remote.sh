# acbuild begin NAME: appc discovery and download from nginx on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/e2e/lib-nginx.sh"

need_nginx
export AC_DISCOVERY_PORT=$HTTPS_PORT

test_expect_success 'setup: publish localhost/app version 1.0 with a discovery page' '
	mkdir -p img/rootfs site/images site/app && echo payload > img/rootfs/data &&
	cat > img/manifest <<-EOF &&
	{"acKind":"ImageManifest","acVersion":"0.8.11","name":"localhost/app",
	 "labels":[{"name":"version","value":"1.0"},{"name":"os","value":"linux"}]}
	EOF
	actool build img site/images/localhost-app-1.0.aci &&
	cp site/images/localhost-app-1.0.aci site/images/localhost-other-1.0.aci &&
	cat > site/app/index.html <<-EOF &&
	<meta name="ac-discovery" content="localhost https://localhost:$HTTPS_PORT/images/localhost-{version}.{ext}">
	EOF
	sed -i "s|localhost-{version}|{name}-{version}|; s|{name}|localhost-app|" site/app/index.html &&
	mkdir -p site/other && sed "s|localhost-app|localhost-other|" site/app/index.html > site/other/index.html
'

test_expect_success 'begin NAME:VERSION fetches, checks and starts from the image' '
	acbuild begin localhost/app:1.0 &&
	acbuild cat-manifest > m && test_grep "\"name\":\"localhost/app\"" m &&
	acbuild write got.aci > /dev/null && tar -xzOf got.aci rootfs/data > data &&
	echo payload | test_cmp - data && ls .acbuild | sort > list && printf "base\ncurrentaci\nlock\n" | test_cmp - list &&
	acbuild end
'

test_expect_success 'a version that is not published fails cleanly, without a context' '
	test_expect_code 1 acbuild begin localhost/app:2.0 2> err && test_one_line err &&
	test_grep "404" err && test ! -e .acbuild
'

test_expect_success 'a requested label the image lacks, and a name mismatch, are refused' '
	test_expect_code 1 acbuild begin "localhost/app:1.0,channel=beta" 2> err && test_one_line err &&
	test_grep "requested label .channel. not provided by the image manifest" err && test ! -e .acbuild &&
	test_expect_code 1 acbuild begin localhost/other:1.0 2> err && test_one_line err &&
	test_grep ".localhost/other. expected but .localhost/app. found" err && test ! -e .acbuild
'

test_expect_success 'without the CA the download fails: HTTPS is verified' '
	test_expect_code 1 env -u SSL_CERT_FILE acbuild begin localhost/app:1.0 2> err && test_one_line err &&
	test_grep "certificate" err &&
	test ! -e .acbuild
'

test_done
