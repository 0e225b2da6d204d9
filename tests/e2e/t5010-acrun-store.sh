# acrun fetch / image list|rm|gc|render|cat-manifest|export / list / gc:
# the store by image ID, and its consistency after a killed import.
. "$(dirname "$0")/lib.sh"

skip_all_unless "needs root, namespaces and cc -static" ROOT NAMESPACES STATIC_CC

export A="acrun --dir $TRASH/store --insecure-options=image"

test_expect_success 'setup: two images' '
	printf "#include <stdio.h>\nint main(int c,char**v){puts(c>1?v[1]:\"hi\");return 0;}\n" > hi.c &&
	cc -static -O -o hi hi.c &&
	for n in one two; do
		mkdir -p $n/rootfs && cp hi $n/rootfs/hi &&
		printf "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/%s\",\"labels\":[{\"name\":\"version\",\"value\":\"1.0\"}],\"app\":{\"exec\":[\"/hi\"],\"user\":\"0\",\"group\":\"0\"}}\n" $n > $n/manifest &&
		actool build $n $n.aci || exit 1
	done
'

test_expect_success 'fetch prints the image ID; fetching again gives the same' '
	$A fetch one.aci > id1 && actool image-id one.aci | test_cmp - id1 &&
	$A fetch one.aci > again && test_cmp id1 again &&
	$A fetch two.aci > id2
'

test_expect_success 'image list shows both; --format json parses' '
	$A image list > list && test_grep "example.com/one	1.0" list && test_grep "example.com/two" list &&
	$A image list --format json > list.json &&
	python3 -c "import json,sys; d=json.load(open(\"list.json\")); assert len(d)==2, d"
'

test_expect_success 'cat-manifest, export and render by ID prefix' '
	prefix=$(cut -c1-20 id1) &&
	$A image cat-manifest $prefix > m && test_grep "example.com/one" m &&
	$A image export $prefix exported.aci && cmp exported.aci one.aci &&
	$A image render $prefix rendered && cmp rendered/rootfs/hi hi &&
	test_must_fail $A image cat-manifest sha512-00000000 2> err && test_grep "no image" err
'

test_expect_success 'run by image ID' '
	$A run $(cat id2) -- by-id > out && echo by-id | test_cmp - out
'

test_expect_success 'list shows finished pods; gc removes them' '
	$A list > pods && test_grep "example.com/two	.*exited(0)" pods &&
	$A gc 2> err && test_grep "removed 1 pod" err &&
	test -z "$(ls store/pods)"
'

test_expect_success 'image gc drops rendered trees; the next run renders again' '
	$A image gc 2> err && test_grep "removed 2 rendered" err &&
	test ! -e "store/images/$(cat id1)/rendered" &&
	$A run $(cat id1) > out && echo hi | test_cmp - out &&
	test -d "store/images/$(cat id1)/rendered/rootfs"
'

test_expect_success 'image rm removes one image and keeps the other' '
	$A image rm $(cat id1) > out && test_cmp id1 out &&
	$A image list > list && ! grep -q example.com/one list && test_grep example.com/two list &&
	test_must_fail $A image rm $(cat id1)
'

test_expect_success 'a fetch killed midway leaves the store consistent' '
	mkdir -p big/rootfs && head -c 60000000 /dev/urandom > big/rootfs/blob && cp hi big/rootfs/hi &&
	sed s/one/big/ one/manifest > big/manifest && actool build big big.aci || exit 1
	set -m
	$A fetch big.aci > /dev/null & pid=$!
	for i in $(seq 1 200); do ls store/tmp | grep -q . && break; sleep 0.02; done
	kill -KILL $pid; wait $pid
	$A image list > list && ! grep -q example.com/big list &&
	$A gc && test -z "$(ls store/tmp)" &&
	$A fetch big.aci > idb && $A run $(cat idb) > out && echo hi | test_cmp - out
'

test_done
