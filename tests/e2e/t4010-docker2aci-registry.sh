#!/bin/bash
# docker2aci docker://: a local docker-registry (distribution 2.8) over plain
# HTTP with images pushed by skopeo: OCI and Docker schema2, schema1
# (signed), an OCI index with two platforms, pulls by digest, a multi-layer
# image with whiteouts and hard links, an uncompressed layer, -nosquash.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/helpers/registry-lib.sh"
registry_prereqs

start_registry plain || exit 1
R=127.0.0.1:$plain_PORT
for k in full multi plain index; do mkimage $k; done
push img-full $R/test/full:latest &&
push img-full $R/test/d2:latest --format v2s2 &&
push img-full $R/test/s1:latest --format v2s1 &&
push img-multi $R/test/multi:latest &&
push img-plain $R/test/plain:latest &&
push img-index $R/test/index:latest --all || { echo "Bail out! pushing the test images failed"; exit 1; }
export R plain_PORT

cat >expect-summary <<'EOF2'

Converted volumes:
	name: "volume-data", path: "/data", readOnly: false

Converted ports:
	name: "53-udp", protocol: "udp", port: 53, count: 1, socketActivated: false
	name: "80-tcp", protocol: "tcp", port: 80, count: 1, socketActivated: false

Generated ACI(s):
test-full-latest.aci
EOF2

test_expect_success 'OCI manifest: summary, manifest mapping, valid ACI' '
	mkdir oci && cd oci &&
	docker2aci -insecure-allow-http docker://$R/test/full >out 2>err &&
	test_cmp ../expect-summary out &&
	! test -s err &&
	actool validate test-full-latest.aci &&
	actool cat-manifest test-full-latest.aci >m &&
	grep -F "\"name\":\"127.0.0.1_$plain_PORT/test/full\"" m &&
	grep -F "\"exec\":[\"/bin/busybox\",\"echo\",\"hi\"],\"user\":\"1000\",\"group\":\"50\",\"workingDirectory\":\"/wd\"" m &&
	grep -F "{\"name\":\"version\",\"value\":\"latest\"}" m &&
	grep -F "{\"name\":\"appc.io/docker/registryurl\",\"value\":\"$R\"}" m &&
	grep -F "{\"name\":\"appc.io/docker/repository\",\"value\":\"test/full\"}" m &&
	grep -F "\"appc.io/docker/imageid\",\"value\":\"sha256:" m &&
	tar tzf test-full-latest.aci | grep -x rootfs/bin/busybox
'

test_expect_success 'plain HTTP only with -insecure-allow-http' '
	test_expect_code 1 docker2aci docker://$R/test/full >out 2>err &&
	test_grep "^Error: conversion error: .*doesn.t support API v2" err &&
	! ls *.aci 2>/dev/null
'

test_expect_success 'Docker schema2 gives the same manifest mapping' '
	mkdir d2 && cd d2 &&
	docker2aci -insecure-allow-http --quiet docker://$R/test/d2 >/dev/null &&
	actool cat-manifest test-d2-latest.aci >m &&
	grep -F "\"exec\":[\"/bin/busybox\",\"echo\",\"hi\"]" m
'

test_expect_success 'schema1 (signed) manifest' '
	mkdir s1 && cd s1 &&
	docker2aci -insecure-allow-http docker://$R/test/s1 >out &&
	actool validate test-s1-latest.aci &&
	actool cat-manifest test-s1-latest.aci >m &&
	grep -F "{\"name\":\"authors\",\"value\":\"someone\"}" m &&
	grep -F "\"appc.io/docker/manifesthash\",\"value\":\"sha256:" m &&
	grep -F "\"workingDirectory\":\"/wd\"" m &&
	tar tzf test-s1-latest.aci | grep -x rootfs/bin/busybox
'

test_expect_success 'OCI index: the chosen platform, or an error naming the ones there are' '
	mkdir idx && cd idx &&
	docker2aci -insecure-allow-http --platform linux/arm64 docker://$R/test/index >/dev/null &&
	actool cat-manifest test-index-latest.aci >m &&
	grep -F "\"exec\":[\"/arm64\"]" m && grep -F "{\"name\":\"arch\",\"value\":\"aarch64\"}" m &&
	docker2aci -insecure-allow-http --platform linux/amd64 docker://$R/test/index >/dev/null &&
	actool cat-manifest test-index-latest.aci >m &&
	grep -F "\"exec\":[\"/amd64\"]" m &&
	test_expect_code 1 docker2aci -insecure-allow-http --platform linux/s390x docker://$R/test/index 2>err &&
	test_grep "no image for linux/s390x in the manifest list (it has: linux/amd64, linux/arm64/v8)" err
'

test_expect_success 'OCI index: the host platform by default' '
	mkdir idxh && cd idxh &&
	case "$(uname -m)" in x86_64) want=amd64 ;; aarch64) want=arm64 ;; *) exit 0 ;; esac &&
	docker2aci -insecure-allow-http docker://$R/test/index >/dev/null &&
	actool cat-manifest test-index-latest.aci | grep -F "\"exec\":[\"/$want\"]"
'

test_expect_success 'pull by digest: no tag in names, digest checked' '
	mkdir dig && cd dig &&
	d=$(skopeo inspect --tls-verify=false docker://$R/test/full | python3 -c "import json,sys; print(json.load(sys.stdin)[\"Digest\"])") &&
	docker2aci -insecure-allow-http docker://$R/test/full@$d >out &&
	grep -x test-full.aci out &&
	actool cat-manifest test-full.aci >m && ! grep -F "\"version\"" m &&
	bad=sha256:$(echo x | sha256sum | cut -c1-64) &&
	test_expect_code 1 docker2aci -insecure-allow-http docker://$R/test/full@$bad 2>err &&
	test_grep "^Error: conversion error: " err
'

test_expect_success 'multi-layer image: whiteouts, opaque directory, hard links, replacements' '
	mkdir multi && cd multi &&
	docker2aci -insecure-allow-http docker://$R/test/multi >/dev/null &&
	actool validate test-multi-latest.aci &&
	tar tzf test-multi-latest.aci | grep "^rootfs/" | grep -v "^rootfs/dev/" | sed "s,/$,," | sort >tree &&
	printf "%s\n" rootfs rootfs/a rootfs/a/keep rootfs/d2f rootfs/f2d rootfs/f2d/inner \
		rootfs/hl-in-l2 rootfs/opq rootfs/opq/new rootfs/sym | sort >expect &&
	test_cmp expect tree
'

test_expect_success '-nosquash: one ACI per layer, named as the original' '
	mkdir ns && cd ns &&
	docker2aci -insecure-allow-http -nosquash docker://$R/test/multi >out &&
	test "$(grep -c "\.aci$" out)" = 3 &&
	for f in $(grep "\.aci$" out); do actool validate "$f" || exit 1; done &&
	grep -x "127.0.0.1:$plain_PORT/test/multi-sha256:[0-9a-f]*-latest-linux-[a-z0-9]*\.aci" out &&
	grep -c "127.0.0.1:$plain_PORT/test/multi-sha256-[0-9a-f]*-latest-linux-[a-z0-9]*\.aci" out | grep -x 2
'

test_expect_success 'uncompressed layer' '
	mkdir plain && cd plain &&
	docker2aci -insecure-allow-http -compression none docker://$R/test/plain >/dev/null &&
	tar tf test-plain-latest.aci | grep -x rootfs/plain
'

test_expect_success 'a missing tag or repository is an error' '
	test_expect_code 1 docker2aci -insecure-allow-http docker://$R/test/full:nope 2>err &&
	test_grep "^Error: conversion error: unexpected http code: 404" err &&
	test_expect_code 1 docker2aci -insecure-allow-http docker://$R/test/none 2>err &&
	test_grep "^Error: conversion error: " err &&
	test_expect_code 1 docker2aci -insecure-allow-http -image x docker://$R/test/full 2>err &&
	test_grep "flag --image works only with files" err
'

test_done
