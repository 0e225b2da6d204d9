#!/bin/sh
# Build, sign and lay out an image for appc discovery: a static site that any
# HTTPS server can serve.
#   publish.sh NAME VERSION BASE_URL KEY SITE_DIR BINARY
# NAME      the image name, e.g. example.com/hello (its first component is the
#           web server's host name: discovery asks https://example.com/hello)
# BASE_URL  where SITE_DIR will be served, e.g. https://example.com
# KEY       the gpg key that signs (its public part is published too)
# BINARY    a static program, packaged as /app
set -eu
name=$1 version=$2 base=$3 key=$4 site=$5 binary=$6
arch=$(uname -m); [ "$arch" = x86_64 ] && arch=amd64
path=${name#*/}                         # example.com/hello -> hello
[ "$path" = "$name" ] && path=""
images=$site/images/$(dirname "$name")
mkdir -p "$images" "$site/$path"
aci=$site/images/$name-$version-linux-$arch.aci

# 1. build and sign (acbuild write --sign writes $aci.asc)
work=$(mktemp -d)
trap 'acbuild --work-path "$work" end >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
acb() { acbuild --work-path "$work" "$@"; }
acb begin
acb set-name "$name"
acb label add version "$version"
acb label add os linux
acb label add arch "$arch"
acb copy "$binary" /app
acb set-exec -- /app
acb write --overwrite --sign-key "$key" "$aci"
acb end

# 2. the public key, and the page discovery reads
gpg --batch --yes --armor --export "$key" > "$site/pubkeys.gpg"
cat > "$site/$path/index.html" <<HTML
<!DOCTYPE html>
<html><head>
<meta name="ac-discovery" content="$name $base/images/{name}-{version}-{os}-{arch}.{ext}">
<meta name="ac-discovery-pubkeys" content="$name $base/pubkeys.gpg">
</head><body>$name</body></html>
HTML
echo "published $name:$version in $site"
