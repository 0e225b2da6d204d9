# The example scripts under examples/ build valid images, and those run.
. "$(dirname "$0")/lib.sh"

export EX=$PROJECT_ROOT/examples

test_expect_success 'examples/hello/build.sh builds a valid image' '
	cc -static -Os -o hello "$EX/hello/hello.c" &&
	SOURCE_DATE_EPOCH=0 "$EX/hello/build.sh" ./hello hello.aci > id &&
	actool validate hello.aci &&
	actool cat-manifest hello.aci | grep -q "\"exec\":\\[\"/hello\"\\]" &&
	SOURCE_DATE_EPOCH=0 "$EX/hello/build.sh" ./hello hello2.aci > id2 &&
	cmp hello.aci hello2.aci
'

test_expect_success ROOT 'the hello image runs with acrun' '
	acrun --dir store run --insecure-options=image hello.aci > out &&
	test_grep "^Hello" out
'

test_expect_success 'examples/webserver/build.sh: port and mount point in the manifest' '
	test -x /bin/busybox || { echo "busybox-static missing"; exit 1; } &&
	"$EX/webserver/build.sh" web.aci > id && actool validate web.aci &&
	actool cat-manifest web.aci > m &&
	test_grep "\"ports\":\\[{\"name\":\"http\",\"protocol\":\"tcp\",\"port\":8080,\"count\":1,\"socketActivated\":false}\\]" m &&
	test_grep "\"mountPoints\":\\[{\"name\":\"www\",\"path\":\"/srv/www\",\"readOnly\":true}\\]" m
'

test_expect_success ROOT 'the web server serves the volume given at run time' '
	mkdir site && echo "hello from a volume" > site/index.html && chmod -R a+rX site &&
	port=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])") &&
	{ acrun --dir store run --insecure-options=image --set-env HTTPD_PORT=$port \
		--volume www,kind=host,source=$PWD/site,readOnly=true web.aci > log 2>&1 & pid=$!; } &&
	ok=0 && for i in $(seq 1 100); do
		python3 -c "import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:$port/\", timeout=2).read().decode())" > got 2>/dev/null && { ok=1; break; }
		sleep 0.1
	done &&
	kill -TERM $pid; wait $pid; test $ok = 1 && test_grep "hello from a volume" got
'

test_expect_success 'examples/convert: docker2aci maps the volume and the port' '
	"$EX/convert/convert.sh" cv > out 2>&1 &&
	test_grep "name: \"volume-var-www\", path: \"/var/www\", readOnly: false" out &&
	test_grep "name: \"80-tcp\", protocol: \"tcp\", port: 80, count: 1, socketActivated: false" out &&
	test_grep "\"name\": \"example/httpd\"" out
'

test_expect_success ROOT 'examples/dependency: a run step on a base image; only its result is in the image' '
	test -x /bin/busybox || { echo "busybox-static missing"; exit 1; } &&
	"$EX/dependency/build.sh" dep > out 2>&1 &&
	tar -tzf dep/greeter.aci > list 2> tarerr && printf "manifest\nrootfs/\nrootfs/srv/\nrootfs/srv/greeting\n" | test_cmp - list &&
	test_cmp /dev/null tarerr &&
	actool validate dep/greeter.aci &&
	acrun --dir dep/store --insecure-options=image run dep/greeter.aci > greeting &&
	test_grep "^hello from a build step on Linux$" greeting
'

test_expect_success GPG 'examples/ci: reproducible build, validation, signature' '
	export GNUPGHOME=$(mktemp -d /tmp/acgpg-XXXXXX) &&
	gpg --batch --passphrase "" --quick-gen-key "CI <ci@example.com>" ed25519 sign 1d 2>/dev/null &&
	SOURCE_DATE_EPOCH=1700000000 "$EX/ci/build-and-check.sh" ./hello ci ci@example.com > out; rc=$?
	gpgconf --kill all; rm -rf "$GNUPGHOME"
	test $rc = 0 && test_grep "^identical: sha512-" out && test -s ci/hello.aci.asc && actool validate ci/hello.aci
'

test_done
