#!/bin/bash
# docker2aci from a local registry against gzip -6 on the cached debootstrap layout
# (bench/rootfs.sh), the rootfs split into three gzip layers (the python below):
#
#   (a) docker2aci docker://127.0.0.1:PORT/big (download, decompression, squash, output)
#       vs  gzip -6 of the squashed tar (the .aci decompressed), measured in the same run:
#       time ratio docker2aci / gzip -6 <= 0.25
#   (b) peak RSS of docker2aci <= 64 MiB
#   (c) for information: the output is byte-identical on every run, and validates
#
# Times are medians of $BENCH_RUNS runs (default 5), gzip and docker2aci alternately.
# Needs docker-registry, skopeo and python3 (the registry runs on 127.0.0.1 only).
# Never part of the test suite; run it with `make bench` or bench/docker2aci.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

D2A=${DOCKER2ACI:-$BENCH_TOP/build/plain/bin/docker2aci}
ACTOOL=${ACTOOL:-$BENCH_TOP/build/plain/bin/actool}
[ -x "$D2A" ] || bench_die "$D2A not found; run make first"
for p in docker-registry skopeo python3 gzip; do
	command -v "$p" >/dev/null 2>&1 ||
		bench_die "$p is missing (apt-get install docker-registry skopeo python3 gzip)"
done
bench_need_time
layout=$("$BENCH_DIR/rootfs.sh")
[ -d "$layout/rootfs" ] || bench_die "no layout at $layout"

# The OCI layout is made once (it takes a few seconds) and kept in the cache.
oci=$BENCH_CACHE/docker2aci-oci
if [ ! -f "$oci.complete" ]; then
	echo "  making the 3-layer OCI layout in $oci..."
	rm -rf "$oci"
	python3 - "$layout/rootfs" "$oci" <<'PYEOF' || bench_die "cannot make $oci"
"""mkimage ROOTFS OUT: an OCI image layout of ROOTFS in
three gzip layers (gzip -6 -n, one member each, as Docker's own), split by
size in sorted path order; each layer carries the parent directories it
needs.  The top layer also removes a file of the first (a whiteout), so
the squash has real work to do."""
import hashlib, json, os, subprocess, sys, tarfile

root, out = sys.argv[1], sys.argv[2]
paths = []
for d, dirs, files in os.walk(root):
    dirs.sort()
    rel = os.path.relpath(d, root)
    if rel != '.':
        paths.append(rel)
    for f in sorted(files):
        paths.append(os.path.normpath(os.path.join(rel, f)))
paths.sort()
size = lambda p: os.lstat(os.path.join(root, p)).st_size
total = sum(size(p) for p in paths if os.path.isfile(os.path.join(root, p)))
groups, cur, acc = [[], [], []], 0, 0
for p in paths:
    st = os.lstat(os.path.join(root, p))
    if cur < 2 and acc > total * (cur + 1) / 3:
        cur += 1
    groups[cur].append(p)
    if not os.path.isdir(os.path.join(root, p)) or os.path.islink(os.path.join(root, p)):
        acc += st.st_size

os.makedirs(os.path.join(out, 'blobs', 'sha256'), exist_ok=True)


def blob(data_path=None, data=None):
    h = hashlib.sha256()
    if data is None:
        with open(data_path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
    else:
        h.update(data)
    dst = os.path.join(out, 'blobs', 'sha256', h.hexdigest())
    if data is None:
        os.replace(data_path, dst)
    else:
        with open(dst, 'wb') as f:
            f.write(data)
    return 'sha256:' + h.hexdigest(), os.path.getsize(dst)


layers, diff_ids = [], []
victim = next(p for p in groups[0] if os.path.isfile(os.path.join(root, p)) and not os.path.islink(os.path.join(root, p)))
for i, g in enumerate(groups):
    tpath = os.path.join(out, 'layer%d.tar' % i)
    with tarfile.open(tpath, 'w', format=tarfile.PAX_FORMAT) as t:
        have = set()
        for p in g:
            parent = os.path.dirname(p)
            need = []
            while parent and parent not in have:
                need.append(parent)
                parent = os.path.dirname(parent)
            for d in reversed(need):
                have.add(d)
                t.add(os.path.join(root, d), d, recursive=False)
            have.add(p)
            t.add(os.path.join(root, p), p, recursive=False)
        if i == 2:
            ti = tarfile.TarInfo(os.path.join(os.path.dirname(victim), '.wh.' + os.path.basename(victim)))
            t.addfile(ti)
    h = hashlib.sha256()
    with open(tpath, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    diff_ids.append('sha256:' + h.hexdigest())
    subprocess.run(['gzip', '-6', '-n', '-f', tpath], check=True)
    d, s = blob(tpath + '.gz')
    layers.append({'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': d, 'size': s})

cfg = json.dumps({'architecture': 'amd64', 'os': 'linux',
                  'config': {'Cmd': ['/bin/bash'], 'Env': ['PATH=/usr/bin:/bin'], 'WorkingDir': '/'},
                  'rootfs': {'type': 'layers', 'diff_ids': diff_ids}}).encode()
cd, cs = blob(data=cfg)
man = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                  'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd, 'size': cs},
                  'layers': layers}).encode()
md, ms = blob(data=man)
with open(os.path.join(out, 'index.json'), 'w') as f:
    json.dump({'schemaVersion': 2, 'manifests': [{'mediaType': 'application/vnd.oci.image.manifest.v1+json',
               'digest': md, 'size': ms, 'annotations': {'org.opencontainers.image.ref.name': 'latest'}}]}, f)
with open(os.path.join(out, 'oci-layout'), 'w') as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
PYEOF
	touch "$oci.complete"
fi

work=$BENCH_CACHE/work-docker2aci
rm -rf "$work"
mkdir -p "$work"
# The test suite's registry helpers: servers on 127.0.0.1, killed on exit.
TEST_DIRECTORY=$BENCH_TOP/tests TRASH=$work
. "$BENCH_TOP/tests/helpers/registry-lib.sh"
trap 'registry_stop_all; rm -rf "$work"' EXIT
start_registry big
push "$oci" "127.0.0.1:$big_PORT/big" || bench_die "skopeo copy to the registry failed"

q() { printf '%q' "$1"; }
W=$(q "$work") D=$(q "$D2A")
ref="docker://127.0.0.1:$big_PORT/big"
conv="$D --insecure-allow-http --quiet --output-dir $W/out $ref"
mkdir -p "$work/out"
"$D2A" --insecure-allow-http --quiet --output-dir "$work/out" "$ref" >/dev/null ||
	bench_die "docker2aci $ref failed"
aci=$(ls "$work"/out/*.aci)
[ "$(echo "$aci" | wc -l)" = 1 ] || bench_die "expected one ACI in $work/out"
gzip -dc "$aci" > "$work/squashed.tar"
sum1=$(sha256sum < "$aci")
layers=$(du -cb "$oci"/blobs/sha256/* | tail -n 1 | cut -f1)
echo "bench/docker2aci: $ref (3 layers, $layers bytes of blobs), squashed tar $(stat -c %s "$work/squashed.tar") bytes, $BENCH_RUNS runs per median"
echo "  docker2aci: $D2A"
bench_warm "$work/squashed.tar" "$oci"

pair=$(bench_median_time_pair "$BENCH_RUNS" \
	"gzip -6 -c $W/squashed.tar > $W/x.gz" "rm -f $W/out/*.aci && $conv > /dev/null")
read -r t_gzip t_d2a <<<"$pair"
sum2=$(sha256sum < "$aci")
rm -f "$work"/out/*.aci
rss=$(bench_peak_rss "$D2A" --insecure-allow-http --quiet --output-dir "$work/out" "$ref")
valid=FAIL
[ -x "$ACTOOL" ] && "$ACTOOL" validate "$aci" && valid=PASS
same=FAIL
[ "$sum1" = "$sum2" ] && [ "$sum1" = "$(sha256sum < "$aci")" ] && same=PASS

r=$(bench_ratio "$t_d2a" "$t_gzip")
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo
printf '  %-44s %14s  %-14s %s\n' "measure" "value" "target" "status"
bench_result "gzip -6 of the squashed tar (s)" "$t_gzip" "" INFO
bench_result "docker2aci docker://.../big (s)" "$t_d2a" "" INFO
bench_result "time ratio docker2aci / gzip -6" "$r" "<= 0.25" "$(bench_le "$r" 0.25)"
bench_result "size gzip -6 (bytes)" "$(stat -c %s "$work/x.gz")" "" INFO
bench_result "size docker2aci .aci (bytes)" "$(stat -c %s "$aci")" "" INFO
bench_result "memory: docker2aci peak RSS (MiB)" "$(mib "$rss")" "<= 64" "$(bench_le "$rss" 65536)"
bench_result "output identical on every run" "$same" "identical" "$same"
bench_result "actool validate of the output" "$valid" "valid" "$valid"
