#!/bin/sh
# Converts a Docker image to an ACI and shows how its volume and port map.
#   convert.sh OUTDIR [BUSYBOX]
# The image is made here (make-oci.py writes an OCI layout; skopeo, when
# installed, turns it into the "docker save" format). With Docker at hand,
# "docker save IMAGE > image.tar" gives the same kind of input.
set -eu
out=$1 busybox=${2:-/bin/busybox}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out" && out=$(cd "$out" && pwd)
rm -rf "$out/oci"
python3 "$here/make-oci.py" "$out/oci" "$busybox"
if command -v skopeo >/dev/null 2>&1; then
	rm -f "$out/httpd.tar"
	skopeo --insecure-policy copy -q "oci:$out/oci:1.0" "docker-archive:$out/httpd.tar:example/httpd:1.0"
	input=$out/httpd.tar
else
	input=$out/oci
fi
cd "$out"
docker2aci "$input"
actool validate ./*.aci
actool cat-manifest --pretty-print ./*.aci
