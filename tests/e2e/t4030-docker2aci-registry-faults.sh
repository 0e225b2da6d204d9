#!/bin/bash
# docker2aci docker:// through a fault-injecting proxy: a blob cut midway
# (resumed with Range), 500 and 429 + Retry-After (retried), wrong bytes
# (refused, naming the blob, nothing left behind), a blob redirected to
# another port (followed, without Authorization).
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/helpers/registry-lib.sh"
registry_prereqs

mkimage big
start_registry plain || exit 1
push img-big 127.0.0.1:$plain_PORT/test/big:latest || { echo "Bail out! pushing the test image failed"; exit 1; }
for m in cut 500 429 wrong redirect longer; do
	start_proxy "$plain_PORT" $m || exit 1
	eval "P_$m=$PROXY_PORT R_$m=$REDIR_PORT"
done
export P_cut P_500 P_429 P_wrong P_redirect R_redirect P_longer

pull() {
	docker2aci -insecure-allow-http "docker://127.0.0.1:$1/test/big" >out 2>err &&
	actool validate test-big-latest.aci &&
	tar tzf test-big-latest.aci | grep -x rootfs/big
}

test_expect_success 'a blob cut midway is resumed with Range' '
	mkdir cut && cd cut && pull $P_cut &&
	grep "GET /v2/test/big/blobs/sha256:.* range=bytes=[1-9][0-9]*- " $TRASH/proxy-cut.log
'

test_expect_success '500 is retried' '
	mkdir e500 && cd e500 && pull $P_500 &&
	test "$(grep -c "GET /v2/test/big/blobs/" $TRASH/proxy-500.log)" -ge 3
'

test_expect_success '429 waits for Retry-After' '
	mkdir e429 && cd e429 &&
	start=$(date +%s.%N) && pull $P_429 && end=$(date +%s.%N) &&
	python3 -c "import sys; sys.exit(0 if $end - $start >= 1 else 1)"
'

test_expect_success 'wrong bytes: refused, naming the blob, nothing left behind' '
	mkdir wrong wrong/tmp && cd wrong &&
	test_expect_code 1 env TMPDIR=$PWD/tmp docker2aci -insecure-allow-http docker://127.0.0.1:$P_wrong/test/big 2>err &&
	test_grep "^Error: conversion error: blob sha256:[0-9a-f]*: digest mismatch" err &&
	test -z "$(ls tmp)" && ! ls *.aci 2>/dev/null
'

test_expect_success 'a blob longer than announced: refused, naming the blob, nothing left behind' '
	mkdir longer longer/tmp && cd longer &&
	test_expect_code 1 env TMPDIR=$PWD/tmp docker2aci -insecure-allow-http docker://127.0.0.1:$P_longer/test/big 2>err &&
	test_one_line err && test_grep "blob sha256:[0-9a-f]*" err &&
	test -z "$(ls tmp)" && ! ls *.aci 2>/dev/null
'

test_expect_success 'a blob redirected to another port, without Authorization' '
	mkdir redir && cd redir && pull $P_redirect &&
	grep "^$R_redirect GET /v2/test/big/blobs/sha256:.* auth=no$" $TRASH/proxy-redirect.log
'

test_expect_success 'quiet on stderr when not a terminal' '
	mkdir quiet && cd quiet && pull $P_cut && ! test -s err
'

test_done
