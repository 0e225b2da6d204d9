#!/bin/sh
# The classic appc example: package a statically linked hello-world with acbuild.
#   build.sh HELLO_BINARY OUT.aci [ARCH]
# Every step is one acbuild command, as in a Dockerfile; the session lives in a
# private work directory so that several builds can run side by side.
set -eu
bin=$1 out=$2 arch=${3:-amd64}
work=$(mktemp -d)
trap 'acbuild --work-path "$work" end >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
acb() { acbuild --work-path "$work" "$@"; }

acb begin
acb set-name example.com/hello
acb label add version 0.0.1
acb label add os linux
acb label add arch "$arch"
acb copy "$bin" /hello
acb set-working-directory /
acb set-exec -- /hello
acb write --overwrite "$out"
acb end
