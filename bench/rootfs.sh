#!/bin/bash
# Create (once) and cache the realistic benchmark image layout:
#
#   bench/cache/layout/manifest   ImageManifest "example.com/bench"
#   bench/cache/layout/rootfs/    debootstrap --variant=minbase bookworm
#                                 (about 260 MB, ~8.8k files, device nodes removed)
#
# Later calls return at once when the cache is complete. Needs root (debootstrap)
# and a reachable Debian mirror; fails with a clear message otherwise.
#
# Environment:
#   BENCH_CACHE    cache directory (default: bench/cache next to this script)
#   BENCH_MIRROR   Debian mirror (default: http://deb.debian.org/debian)
#   BENCH_SUITE    suite to bootstrap (default: bookworm)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${BENCH_CACHE:-$here/cache}
mirror=${BENCH_MIRROR:-http://deb.debian.org/debian}
suite=${BENCH_SUITE:-bookworm}
layout=$cache/layout

die() { echo "bench/rootfs.sh: $*" >&2; exit 1; }
say() { echo "bench/rootfs.sh: $*" >&2; }

[ -f "$cache/layout.complete" ] && [ -d "$layout/rootfs" ] && { echo "$layout"; exit 0; }

mkdir -p "$cache"
# One builder at a time; a second caller waits for the first to finish.
exec 9>"$cache/.lock"
if ! flock -n 9; then
	say "another run is creating the cache; waiting for it"
	flock 9
fi
[ -f "$cache/layout.complete" ] && [ -d "$layout/rootfs" ] && { echo "$layout"; exit 0; }

[ "$(id -u)" = 0 ] || die "debootstrap needs root; run 'sudo $0' once to create $layout"
if ! command -v debootstrap >/dev/null 2>&1; then
	say "debootstrap is not installed; trying: apt-get install -y debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2 ||
		die "debootstrap is missing and could not be installed (apt-get install debootstrap)"
fi

tmp=$cache/layout.tmp
cleanup() {
	# debootstrap mounts proc/sys in the target; never leave them behind.
	if [ -d "$tmp/rootfs" ]; then
		awk -v p="$tmp/rootfs/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null || true; done
	fi
}
trap cleanup EXIT
cleanup
rm -rf "$tmp" "$layout" "$cache/layout.complete"
mkdir -p "$tmp/rootfs"

say "debootstrap --variant=minbase $suite from $mirror (takes a few minutes; log: $cache/debootstrap.log)"
start=$(date +%s)
if ! debootstrap --variant=minbase --arch=amd64 "$suite" "$tmp/rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1; then
	tail -n 20 "$cache/debootstrap.log" >&2
	die "debootstrap of $suite from $mirror failed (mirror unreachable?); see $cache/debootstrap.log"
fi
cleanup

# Device nodes (and fifos/sockets) are not wanted in the benchmark tree.
find "$tmp/rootfs" -xdev \( -type b -o -type c -o -type p -o -type s \) -delete
# Drop the apt package cache debootstrap leaves behind so the tree is the installed system only.
rm -f "$tmp/rootfs"/var/cache/apt/archives/*.deb

cat >"$tmp/manifest" <<'JSON'
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}
JSON

mv "$tmp" "$layout"
files=$(find "$layout/rootfs" | wc -l)
size=$(du -sm "$layout/rootfs" | cut -f1)
# The marker lives outside the layout: extra files there make the layout invalid.
touch "$cache/layout.complete"
say "created $layout: $files entries, $size MB in $(( $(date +%s) - start ))s"
echo "$layout"
