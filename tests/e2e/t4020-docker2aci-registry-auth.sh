#!/bin/bash
# docker2aci docker:// over HTTPS (a CA made here): TLS verification,
# htpasswd Basic auth with credentials from flags, config.json, --authfile
# and a credential helper; Bearer token auth through a token server written
# for the tests (with and without credentials, "token" and "access_token").
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/helpers/registry-lib.sh"
registry_prereqs

registry_tls || exit 1
htpasswd -Bbn user secret >"$TRASH/htpasswd" 2>/dev/null || exit 1
mkimage full
start_registry basic tls htpasswd || exit 1
start_token_server user:secret || exit 1
start_registry tok tls token || exit 1
start_token_server - access_token || exit 1
start_registry anon tls token || exit 1
B=127.0.0.1:$basic_PORT T=127.0.0.1:$tok_PORT A=127.0.0.1:$anon_PORT
push img-full $B/test/full:latest --dest-creds user:secret &&
push img-full $T/test/full:latest --dest-creds user:secret &&
push img-full $A/test/full:latest || { echo "Bail out! pushing the test images failed"; exit 1; }
export B T A CA="$TRASH/tls/ca.pem" HOME="$TRASH/home"
mkdir -p "$HOME"
: >"$TRASH/token.log"

test_expect_success 'an unknown CA is refused; -insecure-skip-verify and SSL_CERT_FILE accept it' '
	mkdir catest && cd catest &&
	test_expect_code 1 docker2aci docker://$B/test/full 2>err &&
	test_grep "^Error: conversion error: " err &&
	echo secret | docker2aci -insecure-skip-verify --username user --password-stdin docker://$B/test/full >/dev/null &&
	actool validate test-full-latest.aci && rm test-full-latest.aci &&
	echo secret | SSL_CERT_FILE=$CA docker2aci --username user --password-stdin docker://$B/test/full >/dev/null &&
	actool validate test-full-latest.aci
'

test_expect_success '--cert-dir adds a CA (a directory or a file) to the system ones' '
	mkdir certdir && cd certdir && mkdir certs &&
	cp $CA certs/ca.crt && echo junk >certs/ignored.key &&
	echo secret | docker2aci --cert-dir certs --username user --password-stdin docker://$B/test/full >/dev/null &&
	actool validate test-full-latest.aci && rm test-full-latest.aci &&
	echo secret | docker2aci -cert-dir=$CA --username user --password-stdin docker://$B/test/full >/dev/null &&
	actool validate test-full-latest.aci &&
	echo secret | test_expect_code 1 docker2aci --cert-dir nowhere --username user --password-stdin \
		docker://$B/test/full 2>err &&
	test_grep "cert dir nowhere" err
'

test_expect_success 'Basic: no or wrong credentials are refused' '
	test_expect_code 1 env SSL_CERT_FILE=$CA docker2aci docker://$B/test/full 2>err &&
	test_grep "unauthorized" err &&
	echo wrong | test_expect_code 1 env SSL_CERT_FILE=$CA docker2aci --username user --password-stdin docker://$B/test/full 2>err &&
	test_grep "unauthorized" err
'

test_expect_success 'Basic: credentials from $HOME/.docker/config.json and --authfile' '
	mkdir cfg && cd cfg &&
	mkdir -p $HOME/.docker &&
	printf "{\"auths\":{\"https://%s\":{\"auth\":\"%s\"}}}" $B $(printf user:secret | base64) >$HOME/.docker/config.json &&
	SSL_CERT_FILE=$CA docker2aci docker://$B/test/full >/dev/null &&
	rm $HOME/.docker/config.json test-full-latest.aci &&
	printf "{\"auths\":{\"%s\":{\"username\":\"user\",\"password\":\"secret\"}}}" $B >auth.json &&
	SSL_CERT_FILE=$CA docker2aci --authfile auth.json docker://$B/test/full >/dev/null &&
	actool validate test-full-latest.aci
'

test_expect_success 'Basic: a credential helper (credHelpers)' '
	mkdir helper && cd helper && mkdir bin &&
	printf "#!/bin/sh\nread h\necho \"\$h\" >%s/helper-asked\necho \"{\\\\\"Username\\\\\":\\\\\"user\\\\\",\\\\\"Secret\\\\\":\\\\\"secret\\\\\"}\"\n" "$PWD" >bin/docker-credential-test &&
	chmod +x bin/docker-credential-test &&
	mkdir -p $HOME/.docker &&
	printf "{\"credHelpers\":{\"%s\":\"test\"}}" $B >$HOME/.docker/config.json &&
	PATH=$PWD/bin:$PATH SSL_CERT_FILE=$CA docker2aci docker://$B/test/full >/dev/null &&
	rm $HOME/.docker/config.json &&
	grep -x "$B" helper-asked && actool validate test-full-latest.aci
'

test_expect_success 'Bearer: token fetched with the credentials, scope of the repository' '
	mkdir bearer && cd bearer &&
	echo secret | SSL_CERT_FILE=$CA docker2aci --username user --password-stdin docker://$T/test/full >/dev/null &&
	actool validate test-full-latest.aci &&
	grep -x "scope=repository:test/full:pull auth=yes" $TRASH/token.log &&
	test_expect_code 1 env SSL_CERT_FILE=$CA docker2aci docker://$T/test/full 2>err &&
	test_grep "unable to retrieve auth token: 401 unauthorized" err
'

test_expect_success 'Bearer: anonymous, "access_token" answer' '
	mkdir anon && cd anon &&
	SSL_CERT_FILE=$CA docker2aci --jobs 1 docker://$A/test/full >/dev/null &&
	actool validate test-full-latest.aci &&
	grep -x "scope=repository:test/full:pull auth=no" $TRASH/token.log
'

test_done
