#!/bin/sh
# A multi-step build on a base image given as a dependency (as root):
#   build.sh OUTDIR [BUSYBOX]
# 1. example.com/busybox: a base image with a shell, built by acbuild, its
#    applets installed by a "run" step.
# 2. The base goes into an acrun image store (ACRUN_DIR tells acbuild where).
# 3. example.com/greeter depends on the base: a "run" step uses the base's
#    shell to write /srv/greeting; only that file ends up in the greeter
#    image, the base's files stay in the base.
set -eu
out=$1 busybox=${2:-/bin/busybox}
mkdir -p "$out" && out=$(cd "$out" && pwd)
export ACRUN_DIR=$out/store
work=$(mktemp -d)
trap 'acbuild --work-path "$work" end >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
acb() { acbuild --work-path "$work" "$@"; }

acb begin
acb set-name example.com/busybox
acb label add version 1.36
acb copy "$busybox" /bin/busybox
acb run -- /bin/busybox --install -s /bin
acb write --overwrite "$out/busybox.aci" >/dev/null
acb end
base_id=$(acrun --dir "$ACRUN_DIR" --insecure-options=image fetch "$out/busybox.aci")

acb begin
acb set-name example.com/greeter
acb dependency add example.com/busybox --image-id "$base_id" --label version=1.36
acb run -- /bin/sh -c 'mkdir -p /srv && echo "hello from a build step on $(uname -s)" > /srv/greeting'
acb set-exec -- /bin/cat /srv/greeting
acb write --overwrite "$out/greeter.aci"
acb end
echo "greeter.aci holds:"
tar -tzf "$out/greeter.aci"
