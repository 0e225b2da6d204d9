#!/bin/sh
# What a CI job does with the toolkit: build an image twice from the same
# inputs and check that the bytes are identical, validate it, sign it and
# verify the signature, then print the image ID to publish.
#   build-and-check.sh BINARY OUTDIR [GPG_KEY]
# SOURCE_DATE_EPOCH (default: the last commit's time, else 0) makes the
# builds reproducible whatever the files' modification times.
set -eu
binary=$1 out=$2 key=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
: "${SOURCE_DATE_EPOCH:=$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH

echo "== build twice (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
"$here/../hello/build.sh" "$binary" "$out/a.aci" >/dev/null
touch "$binary"                          # a newer mtime must not matter
"$here/../hello/build.sh" "$binary" "$out/b.aci" >/dev/null
if ! cmp -s "$out/a.aci" "$out/b.aci"; then
	echo "not reproducible: $out/a.aci and $out/b.aci differ" >&2
	exit 1
fi
echo "identical: $(actool image-id "$out/a.aci")"

echo "== validate"
actool validate "$out/a.aci"
actool validate --json "$out/a.aci"

if [ -n "$key" ]; then
	echo "== sign and verify"
	actool sign --key "$key" "$out/a.aci"
	gpg --batch --yes --armor --export "$key" > "$out/key.asc"
	actool verify --keyring "$out/key.asc" "$out/a.aci"
fi
mv "$out/a.aci" "$out/hello.aci"
[ -e "$out/a.aci.asc" ] && mv "$out/a.aci.asc" "$out/hello.aci.asc"
rm -f "$out/b.aci"
echo "== ready to publish: $out/hello.aci"
