#!/bin/sh
# A static web server image: busybox httpd serving a mounted directory.
#   build.sh OUT.aci [BUSYBOX] [ARCH]
# The content is not in the image: it comes from the "www" mount point, which
# the runner fills with a volume (acrun run --volume www,kind=host,source=DIR).
# The port is 8080 unless the environment says otherwise (--set-env HTTPD_PORT=N).
set -eu
out=$1 busybox=${2:-/bin/busybox} arch=${3:-amd64}
work=$(mktemp -d)
trap 'acbuild --work-path "$work" end >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
acb() { acbuild --work-path "$work" "$@"; }

acb begin
acb set-name example.com/webserver
acb label add version 1.0
acb label add os linux
acb label add arch "$arch"
acb copy "$busybox" /bin/busybox
acb environment add HTTPD_PORT 8080
acb port add http tcp 8080
acb mount add www /srv/www --read-only
acb set-user 65534
acb set-group 65534
acb set-working-directory /srv/www
acb set-exec -- /bin/busybox sh -c 'exec /bin/busybox httpd -f -v -p "$HTTPD_PORT" -h /srv/www'
acb annotation add authors "appc toolkit examples"
acb write --overwrite "$out"
acb end
