#!/bin/bash
# acbuild begin docker://REF and acrun docker://REF: pulled from a local
# docker-registry and converted by the docker2aci library.
. "$(dirname "$0")/lib.sh"
. "$TEST_DIRECTORY/helpers/registry-lib.sh"
registry_prereqs

start_registry plain || exit 1
R=127.0.0.1:$plain_PORT
mkimage full && push img-full $R/test/full:latest || { echo "Bail out! pushing the test image failed"; exit 1; }
export R

test_expect_success 'begin docker://REF starts from the converted image' '
	acbuild begin --insecure docker://$R/test/full:latest &&
	acbuild cat-manifest > m &&
	test_grep ".name.:.127.0.0.1_[0-9]*/test/full." m &&
	test_grep ".mountPoints.:.{.name.:.volume-data.,.path.:./data." m &&
	acbuild set-name example.com/from-docker &&
	acbuild write out.aci > id && actool validate out.aci && tar -tzf out.aci | grep -q "^rootfs/." &&
	actool cat-manifest out.aci | grep -q ".name.:.example.com/from-docker." &&
	acbuild end
'

test_expect_success 'without --insecure plain HTTP is refused, and nothing is left' '
	test_expect_code 1 acbuild begin docker://$R/test/full:latest 2> err && test_one_line err &&
	test ! -e .acbuild && test -z "$(ls -A | grep "^\\.acbuild")"
'

test_expect_success ROOT 'acrun runs docker://REF with --insecure-options=image only' '
	test_expect_code 125 acrun --dir store run docker://$R/test/full:latest 2> err && test_one_line err &&
	test_grep "insecure-options=image" err &&
	acrun --dir store --insecure-options=image,http fetch docker://$R/test/full:latest > id &&
	grep -q "^sha512-" id && acrun --dir store image list | grep -q "127.0.0.1_[0-9]*/test/full"
'

test_done
