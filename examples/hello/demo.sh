#!/bin/bash
# make demo: build the example image example.com/hello with the project's own tools and check it.
#
#   1. install what is missing (make deps, when run as root)
#   2. build the tools (make)
#   3. compile hello.c statically (cc -static -Os)
#   4. lay out  manifest + rootfs/hello  in examples/hello/out/layout/
#   5. bin/actool build -> examples/hello/out/hello.aci
#   6. the same image step by step with acbuild (build.sh), validated
#   7. bin/actool validate, bin/actool cat-manifest --pretty-print, bin/actool image-id
#
# Everything it writes goes to examples/hello/out/ (OUT=... to change it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${OUT:-$here/out}
cd "$top"

step() { printf '\n==> %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# --- 1. dependencies -------------------------------------------------------------------------
# The same packages as `make deps` (Makefile DEB_BUILD): a C compiler, make, pkg-config, the
# libraries, and a static libc for hello.
missing=()
for t in cc make pkg-config ar; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if command -v pkg-config >/dev/null 2>&1; then
	for p in libarchive zlib liblzma jansson libcurl gpgme libcrypto libdeflate; do
		pkg-config --exists "$p" || missing+=("$p")
	done
fi
if command -v cc >/dev/null 2>&1; then
	case $(cc -print-file-name=libc.a) in /*) ;; *) missing+=("libc.a") ;; esac
fi
if [ "${#missing[@]}" -gt 0 ]; then
	step "missing: ${missing[*]}"
	if [ "$(id -u)" = 0 ]; then
		if ! command -v make >/dev/null 2>&1; then
			run apt-get update
			DEBIAN_FRONTEND=noninteractive run apt-get install -y --no-install-recommends make
		fi
		run make deps
	else
		echo "demo: run 'sudo make deps' once (or 'make deps' as root), then 'make demo' again" >&2
		exit 1
	fi
fi

# --- 2. the tools ----------------------------------------------------------------------------
step "build the tools"
run make
actool=$top/bin/actool
[ -x "$actool" ] || { echo "demo: $actool was not built" >&2; exit 1; }

# --- 3. the application ----------------------------------------------------------------------
step "compile hello.c statically"
rm -rf "$out"
mkdir -p "$out/layout/rootfs"
run cc -static -Os -s -o "$out/layout/rootfs/hello" "$here/hello.c"
run "$out/layout/rootfs/hello"

# --- 4. the image layout ---------------------------------------------------------------------
# appc names for the machine's architecture (spec: os "linux" with arch amd64, i386, aarch64, ...).
case $(uname -m) in
x86_64) arch=amd64 ;;
i?86) arch=i386 ;;
armv7l) arch=armv7l ;;
*) arch=$(uname -m) ;;
esac
step "lay out manifest + rootfs/hello"
sed "s/@ARCH@/$arch/" "$here/manifest.in" >"$out/layout/manifest"
run find "$out/layout" -mindepth 1

# --- 5. build and check the ACI --------------------------------------------------------------
step "build the ACI"
run "$actool" build --overwrite --owner-root "$out/layout" "$out/hello.aci"
ls -l "$out/hello.aci"

step "build the same image step by step with acbuild (examples/hello/build.sh)"
run env PATH="$top/bin:$PATH" SOURCE_DATE_EPOCH=0 "$here/build.sh" "$out/layout/rootfs/hello" "$out/hello-acbuild.aci" "$arch"
run "$actool" validate "$out/hello-acbuild.aci"
run "$actool" cat-manifest "$out/hello-acbuild.aci"

step "validate it"
run "$actool" validate "$out/hello.aci"
echo "valid app container image"

step "its manifest"
run "$actool" cat-manifest --pretty-print "$out/hello.aci"

step "its image ID"
run "$actool" image-id "$out/hello.aci"

step "run it with acrun"
if [ "$(id -u)" = 0 ] && [ -x "$top/bin/acrun" ]; then
	# A store of its own under out/; the demo image is unsigned.
	run "$top/bin/acrun" --dir "$out/store" run --insecure-options=image "$out/hello.aci" -- from acrun
else
	echo "(acrun needs root: sudo bin/acrun run --insecure-options=image $out/hello.aci)"
fi

step "done: $out/hello.aci"
