#!/bin/bash
# docker2aci with local inputs: every docker save generation, skopeo's
# docker-archive, OCI layouts; the manifest mapping, the squash semantics
# (whiteouts, opaque dirs, hard links, replacements), -nosquash, hostile
# inputs, determinism.  The archives are written by the python helper below.
. "$(dirname "$0")/lib.sh"

cat >mk.py <<'PYEOF'
import tarfile, json, hashlib, io, os, sys, gzip, time

def tarbytes(entries, fmt=tarfile.PAX_FORMAT):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w', format=fmt) as t:
        for e in entries:
            ti = tarfile.TarInfo(e[1]); ti.mtime = e[-1] if False else 1000
            ty = e[0]
            data = None
            if ty == 'f':
                data = e[2].encode(); ti.size = len(data); ti.mode = 0o644
            elif ty == 'd':
                ti.type = tarfile.DIRTYPE; ti.mode = 0o755
            elif ty == 'l':
                ti.type = tarfile.SYMTYPE; ti.linkname = e[2]; ti.mode = 0o777
            elif ty == 'h':
                ti.type = tarfile.LNKTYPE; ti.linkname = e[2]; ti.mode = 0o644
            ti.uid = ti.gid = 0
            if len(e) > 3 and isinstance(e[3], dict):
                for k, v in e[3].items(): setattr(ti, k, v)
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return bio.getvalue()

def sha(b): return hashlib.sha256(b).hexdigest()

CONFIG = {
    "Entrypoint": ["/bin/busybox"], "Cmd": ["echo", "hi"],
    "Env": ["PATH=/usr/bin:/bin", "NOEQ", "A=1", "A=2"], "WorkingDir": "/wd", "User": "1000:50",
    "ExposedPorts": {"80/tcp": {}, "53/udp": {}, "443/tcp": {}},
    "Volumes": {"/data": {}, "/var/lib/my_data": {}, "/A.B": {}, "/a-b": {}},
    "Labels": {"maintainer": "me", "com.example.x": "y"},
}

def layers_full():
    L1 = [('d','a'),('f','a/keep','keep'),('f','a/gone','gone'),('d','opq'),('f','opq/old','old'),
          ('d','opq/sub'),('f','opq/sub/deep','deep'),('f','f2d','file'),('d','d2f'),('f','d2f/x','x'),
          ('f','target','T'),('f','hl-src','H1'),('f','recreate','old'),('f','./dp','dp'),('d','wd'),
          ('d','etc'),('f','etc/passwd','root:x:0:0',{'uid':0}),('f','zz','ZZ'),
          ('f','owned','o',{'uid':1000,'gid':50,'mode':0o4755})]
    L2 = [('d','.'),('d','./'),('f','a/.wh.gone',''),('d','opq'),('f','opq/.wh..wh..opq',''),('f','opq/new','new'),
          ('d','f2d'),('f','f2d/inner','inner'),('f','d2f','nowfile'),('h','hl-in-l2','hl-src'),
          ('f','.wh.recreate',''),('f','recreate','new'),('f','recreate2','x'),('f','.wh.recreate2',''),
          ('h','lnk-to-target','target'),('h','aa','zz')]
    L3 = [('f','.wh.target',''),('f','.wh.hl-src',''),('l','sym','/a/keep'),('f','h1','HH'),('h','h2','h1'),
          ('f','/abs','abs')]
    return [tarbytes(L1), tarbytes(L2), tarbytes(L3)]

def v1json(lid, parent, cfg, created="2016-01-02T03:04:05.123Z"):
    j = {"id": lid, "created": created, "os": "linux", "architecture": "amd64", "author": "someone"}
    if parent: j["parent"] = parent
    if cfg is not None: j["config"] = cfg
    return j

def write_tar(out, files):
    with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name); ti.mtime = 1000
            if isinstance(data, tuple) and data[0] == 'symlink':
                ti.type = tarfile.SYMTYPE; ti.linkname = data[1]; t.addfile(ti); continue
            if data is None:
                ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti); continue
            ti.size = len(data); ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))

def legacy(out, layers, repo="busybox", tag="latest", cfg=CONFIG, ids=None, extra_repos=None, with_manifest=False,
           diff_ids=None):
    files = []; parent = None; idl = []
    for i, l in enumerate(layers):
        lid = ids[i] if ids else sha(b'layer%d' % i + l)
        top = i == len(layers) - 1
        files += [(lid, None), (lid + "/VERSION", b"1.0"),
                  (lid + "/json", json.dumps(v1json(lid, parent, cfg if top else None)).encode()),
                  (lid + "/layer.tar", l)]
        parent = lid; idl.append(lid)
    repos = {repo: {tag: parent}}
    if extra_repos: repos.update(extra_repos)
    files.append(("repositories", json.dumps(repos).encode()))
    if with_manifest:
        conf = json.dumps({"architecture": "amd64", "os": "linux", "config": cfg,
                           "rootfs": {"type": "layers", "diff_ids": diff_ids or ["sha256:" + sha(l) for l in layers]}}).encode()
        files.append((sha(conf) + ".json", conf))
        files.append(("manifest.json", json.dumps([{"Config": sha(conf) + ".json", "RepoTags": [repo + ":" + tag],
                      "Layers": [x + "/layer.tar" for x in idl]}]).encode()))
    write_tar(out, files)

def v22config(layers, cfg=CONFIG, created="2016-01-02T03:04:05Z"):
    return json.dumps({"architecture": "amd64", "os": "linux", "created": created, "author": "someone",
                       "config": cfg, "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(l) for l in layers]}}).encode()

def docker25(out, layers, repotag="busybox:latest", cfg=CONFIG):
    conf = v22config(layers, cfg)
    files = [("blobs", None), ("blobs/sha256", None), ("blobs/sha256/" + sha(conf), conf)]
    for l in layers: files.append(("blobs/sha256/" + sha(l), l))
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(conf), "size": len(conf)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + sha(l), "size": len(l)} for l in layers]}).encode()
    files.append(("blobs/sha256/" + sha(man), man))
    files.append(("index.json", json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:" + sha(man), "size": len(man), "annotations": {"io.containerd.image.name": "docker.io/library/" + repotag, "org.opencontainers.image.ref.name": repotag.split(':')[1]}}]}).encode()))
    files.append(("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'))
    files.append(("manifest.json", json.dumps([{"Config": "blobs/sha256/" + sha(conf), "RepoTags": [repotag],
        "Layers": ["blobs/sha256/" + sha(l) for l in layers]}]).encode()))
    files.append(("repositories", json.dumps({repotag.split(':')[0]: {repotag.split(':')[1]: sha(layers[-1])}}).encode()))
    write_tar(out, files)

def skopeo(out, layers, repotag="busybox:latest", cfg=CONFIG):
    conf = v22config(layers, cfg)
    files = [(sha(conf) + ".json", conf)]
    names = []
    for i, l in enumerate(layers):
        lid = sha(b'x%d' % i)
        files += [(sha(l) + ".tar", l), (lid, None), (lid + "/layer.tar", ('symlink', "../" + sha(l) + ".tar"))]
        names.append(lid + "/layer.tar")
    files.append(("manifest.json", json.dumps([{"Config": sha(conf) + ".json", "RepoTags": [repotag], "Layers": names}]).encode()))
    write_tar(out, files)

def oci(out, layers, tags=("latest",), cfg=CONFIG, as_dir=False, gz=True):
    blobs = {}
    conf = v22config(layers, cfg)
    blobs[sha(conf)] = conf
    descs = []
    for l in layers:
        b = gzip.compress(l, mtime=0) if gz else l
        blobs[sha(b)] = b
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + sha(b), "size": len(b)})
    man = json.dumps({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(conf), "size": len(conf)}, "layers": descs}).encode()
    blobs[sha(man)] = man
    idx = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(man), "size": len(man),
            "annotations": {"org.opencontainers.image.ref.name": t}} for t in tags]}
    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", json.dumps(idx).encode()), ("blobs", None), ("blobs/sha256", None)]
    files += [("blobs/sha256/" + k, v) for k, v in sorted(blobs.items())]
    if as_dir:
        os.makedirs(out + "/blobs/sha256", exist_ok=True)
        for n, d in files:
            if d is not None: open(os.path.join(out, n), 'wb').write(d)
    else:
        write_tar(out, files)

def oci_pre1(out, layers, tags=("latest",), cfg=CONFIG):
    # the layout before OCI 1.0: refs/<tag> descriptors, no index.json
    oci(out, layers, tags, cfg, as_dir=True)
    idx = json.load(open(out + "/index.json")); os.unlink(out + "/index.json")
    os.makedirs(out + "/refs")
    for d in idx["manifests"]:
        tag = d.pop("annotations")["org.opencontainers.image.ref.name"]
        open(out + "/refs/" + tag, "w").write(json.dumps(d))

def lsaci(path):
    out = []
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.name == 'manifest': continue
            s = "%s %s %o %d:%d" % ({b'0':'f',b'5':'d',b'2':'l',b'1':'h',b'3':'c',b'4':'b',b'6':'p'}[m.type], m.name, m.mode, m.uid, m.gid)
            if m.issym(): s += " -> " + m.linkname
            elif m.islnk(): s += " => " + m.linkname
            elif m.isfile(): s += " " + t.extractfile(m).read().decode(errors='replace')
            out.append(s)
    print("\n".join(out))

def manifest(path):
    with tarfile.open(path) as t:
        sys.stdout.write(t.extractfile('manifest').read().decode())

if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'lsaci': lsaci(sys.argv[2])
    elif cmd == 'manifest': manifest(sys.argv[2])
    else:
        eval(cmd)
PYEOF
mk() { python3 "$TRASH/mk.py" "$@"; }
export -f mk

# The final tree of the whiteout/hard-link/replacement layers (layers_full).
cat >expect-tree <<'TREE'
d rootfs 755 0:0
d rootfs/a 755 0:0
f rootfs/a/keep 644 0:0 keep
f rootfs/aa 644 0:0 ZZ
f rootfs/abs 644 0:0 abs
f rootfs/d2f 644 0:0 nowfile
d rootfs/dev 755 0:0
l rootfs/dev/fd 777 0:0 -> /proc/self/fd
l rootfs/dev/stderr 777 0:0 -> /dev/console
l rootfs/dev/stdin 777 0:0 -> /proc/self/fd/0
l rootfs/dev/stdout 777 0:0 -> /dev/console
f rootfs/dp 644 0:0 dp
d rootfs/etc 755 0:0
f rootfs/etc/passwd 644 0:0 root:x:0:0
d rootfs/f2d 755 0:0
f rootfs/f2d/inner 644 0:0 inner
f rootfs/h1 644 0:0 HH
h rootfs/h2 644 0:0 => rootfs/h1
f rootfs/hl-in-l2 644 0:0 H1
f rootfs/lnk-to-target 644 0:0 T
d rootfs/opq 755 0:0
f rootfs/opq/new 644 0:0 new
f rootfs/owned 4755 1000:50 o
f rootfs/recreate 644 0:0 new
f rootfs/recreate2 644 0:0 x
l rootfs/sym 777 0:0 -> /a/keep
d rootfs/wd 755 0:0
h rootfs/zz 644 0:0 => rootfs/aa
TREE

cat >expect-summary <<'SUM'

Converted volumes:
	name: "volume-a-b", path: "/A.B", readOnly: false
	name: "volume-a-b-1", path: "/a-b", readOnly: false
	name: "volume-data", path: "/data", readOnly: false
	name: "volume-var-lib-my-data", path: "/var/lib/my_data", readOnly: false

Converted ports:
	name: "443-tcp", protocol: "tcp", port: 443, count: 1, socketActivated: false
	name: "53-udp", protocol: "udp", port: 53, count: 1, socketActivated: false
	name: "80-tcp", protocol: "tcp", port: 80, count: 1, socketActivated: false

Generated ACI(s):
library-busybox-latest.aci
SUM

test_expect_success 'legacy docker save: summary, tree, manifest mapping' '
	mkdir legacy && cd legacy &&
	mk "legacy(\"in.tar\", layers_full())" &&
	docker2aci in.tar >out 2>err &&
	test_cmp ../expect-summary out &&
	grep "^Extracting  [0-9a-f]*/layer.tar$" err &&
	actool validate library-busybox-latest.aci &&
	mk lsaci library-busybox-latest.aci >tree &&
	test_cmp ../expect-tree tree &&
	mk manifest library-busybox-latest.aci >m &&
	grep -F "\"name\":\"library/busybox\",\"labels\":[{\"name\":\"arch\",\"value\":\"amd64\"},{\"name\":\"os\",\"value\":\"linux\"},{\"name\":\"version\",\"value\":\"latest\"}]" m &&
	grep -F "\"exec\":[\"/bin/busybox\",\"echo\",\"hi\"],\"user\":\"1000\",\"group\":\"50\",\"workingDirectory\":\"/wd\",\"environment\":[{\"name\":\"PATH\",\"value\":\"/usr/bin:/bin\"},{\"name\":\"A\",\"value\":\"2\"}]" m &&
	grep -F "\"userLabels\":{\"com.example.x\":\"y\",\"maintainer\":\"me\"}" m &&
	grep -F "{\"name\":\"authors\",\"value\":\"someone\"},{\"name\":\"created\",\"value\":\"2016-01-02T03:04:05Z\"},{\"name\":\"appc.io/docker/repository\",\"value\":\"library/busybox\"},{\"name\":\"appc.io/docker/imageid\"" m &&
	grep -F "{\"name\":\"appc.io/docker/cmd\",\"value\":\"[\\\"echo\\\",\\\"hi\\\"]\"},{\"name\":\"appc.io/docker/tag\",\"value\":\"latest\"}]" m &&
	! grep -F dependencies m && ! grep -F pathWhitelist m && ! grep -F "\"layer\"" m
'

test_expect_success 'conversion is deterministic' '
	mkdir det && cd det &&
	mk "legacy(\"in.tar\", layers_full())" &&
	mkdir a b && docker2aci --output-dir a in.tar >/dev/null 2>&1 &&
	docker2aci -output-dir=b in.tar >/dev/null 2>&1 &&
	cmp a/library-busybox-latest.aci b/library-busybox-latest.aci
'

test_expect_success 'Docker 1.10-24 save (legacy entries and manifest.json)' '
	mkdir d110 && cd d110 &&
	mk "legacy(\"in.tar\", layers_full(), with_manifest=True)" &&
	docker2aci -compression none in.tar >out 2>/dev/null &&
	test_cmp ../expect-summary out &&
	mk lsaci library-busybox-latest.aci >tree && test_cmp ../expect-tree tree
'

test_expect_success 'Docker 1.10-24 save: legacy layers checked against the diff_ids of manifest.json' '
	mkdir d110bad && cd d110bad &&
	mk "legacy(\"in.tar\", layers_full(), with_manifest=True, diff_ids=[\"sha256:\" + \"0\" * 64] * 3)" &&
	test_must_fail docker2aci in.tar >out 2>err &&
	grep -F "layer.tar: diff ID mismatch: expected sha256:0000" err && ! ls *.aci 2>/dev/null &&
	mk "legacy(\"short.tar\", layers_full(), with_manifest=True, diff_ids=[\"sha256:\" + \"0\" * 64])" &&
	test_must_fail docker2aci short.tar 2>err && grep -F "lists 1 layers (diff_ids), the manifest 3" err
'

test_expect_success 'pre-1.0 OCI layout (refs/), as a directory and a tar' '
	mkdir pre1 && cd pre1 &&
	mk "oci_pre1(\"old\", layers_full(), tags=(\"latest\", \"v2\"))" &&
	docker2aci old >out 2>/dev/null &&
	tail -1 out >last && echo old-latest.aci >exp && test_cmp exp last && rm old-latest.aci &&
	docker2aci -image old:v2 old >out 2>/dev/null &&
	tail -1 out >last && echo library-old-v2.aci >exp && test_cmp exp last &&
	mk lsaci library-old-v2.aci >tree && test_cmp ../expect-tree tree &&
	actool validate library-old-v2.aci &&
	tar -C old -cf old.tar . && docker2aci -image old:latest old.tar >/dev/null 2>&1 &&
	mk lsaci library-old-latest.aci >tree && test_cmp ../expect-tree tree
'

test_expect_success '-json: the summary as one JSON object' '
	mkdir json && cd json &&
	mk "legacy(\"in.tar\", layers_full())" &&
	docker2aci -json in.tar >out 2>/dev/null &&
	python3 -c "
import json, sys
j = json.load(open(\"out\"))
assert list(j) == [\"acis\", \"name\", \"volumes\", \"ports\"], list(j)
assert j[\"acis\"] == [\"library-busybox-latest.aci\"], j[\"acis\"]
assert j[\"name\"] == \"library/busybox\"
assert j[\"volumes\"][0] == {\"name\": \"volume-a-b\", \"path\": \"/A.B\", \"readOnly\": False}, j[\"volumes\"]
assert len(j[\"volumes\"]) == 4
assert j[\"ports\"][2] == {\"name\": \"80-tcp\", \"protocol\": \"tcp\", \"port\": 80, \"count\": 1,
                          \"socketActivated\": False}, j[\"ports\"]
" &&
	docker2aci --json -nosquash in.tar >out 2>/dev/null &&
	python3 -c "
import json
j = json.load(open(\"out\"))
assert len(j[\"acis\"]) == 3 and j[\"acis\"][0].endswith(\"-2.aci\"), j
" &&
	mk "legacy(\"bare.tar\", [tarbytes([(\"f\",\"y\",\"y\")])], cfg={})" &&
	docker2aci -json bare.tar >out 2>/dev/null &&
	python3 -c "
import json
j = json.load(open(\"out\"))
assert j[\"volumes\"] == [] and j[\"ports\"] == [], j
"
'

for fmt in docker25 skopeo; do
test_expect_success "$fmt archive" "
	mkdir $fmt && cd $fmt &&
	mk '$fmt(\"in.tar\", layers_full())' &&
	docker2aci in.tar >out 2>/dev/null &&
	test_cmp ../expect-summary out &&
	actool validate library-busybox-latest.aci &&
	mk lsaci library-busybox-latest.aci >tree && test_cmp ../expect-tree tree &&
	mk manifest library-busybox-latest.aci >m &&
	grep -F '\"name\":\"library/busybox\"' m &&
	grep -F '{\"name\":\"author\",\"value\":\"someone\"},{\"name\":\"created\",\"value\":\"2016-01-02T03:04:05Z\"}' m &&
	! grep -F userLabels m
"
done

test_expect_success 'OCI layout tar and directory, tag chosen with -image' '
	mkdir oci && cd oci &&
	mk "oci(\"img.tar\", layers_full(), tags=(\"latest\", \"v2\"))" &&
	docker2aci img.tar >out 2>/dev/null &&
	tail -1 out >last && echo img-latest.aci >exp && test_cmp exp last &&
	mk lsaci img-latest.aci >tree && test_cmp ../expect-tree tree &&
	docker2aci -image img:v2 img.tar >out 2>/dev/null &&
	tail -1 out >last && echo library-img-v2.aci >exp && test_cmp exp last &&
	mk "oci(\"dir.oci\", layers_full(), as_dir=True)" &&
	docker2aci dir.oci >out 2>/dev/null &&
	mk lsaci dir-latest.aci >tree && test_cmp ../expect-tree tree
'

test_expect_success '-nosquash: one ACI per layer, dependencies, pathWhitelist' '
	mkdir ns && cd ns &&
	mk "legacy(\"in.tar\", layers_full())" &&
	docker2aci -nosquash in.tar >out 2>/dev/null &&
	tail -4 out >acis &&
	printf "%s\n" "Generated ACI(s):" library-busybox-latest-linux-amd64-2.aci \
		library-busybox-latest-linux-amd64-1.aci library-busybox-latest-linux-amd64-0.aci >exp &&
	test_cmp exp acis &&
	for f in library-busybox-latest-linux-amd64-*.aci; do actool validate $f || return 1; done &&
	mk manifest library-busybox-latest-linux-amd64-0.aci >m0 &&
	grep -F "\"dependencies\":[{\"imageName\":\"library/busybox-" m0 &&
	grep -F "\"pathWhitelist\":[\"/a\",\"/a/keep\",\"/aa\",\"/abs\"," m0 &&
	! grep -F "\"/target\"" m0 && ! grep -F "\"/opq/old\"" m0 &&
	mk lsaci library-busybox-latest-linux-amd64-0.aci >t0 &&
	grep -F "f rootfs/abs 644 0:0 abs" t0 && ! grep -F "rootfs/a/keep" t0 &&
	mk "oci(\"o.tar\", layers_full())" &&
	docker2aci -nosquash o.tar >out 2>/dev/null &&
	test $(grep -c "^o-[0-9a-f]*-latest-linux-amd64.aci$" out) = 3
'

test_expect_success 'several images, -image selection, original messages' '
	mkdir sel && cd sel &&
	mk "legacy(\"m.tar\", [tarbytes([(\"f\",\"y\",\"y\")])], extra_repos={\"example.com/other\": {\"v1\": \"abc\", \"v2\": \"abd\"}})" &&
	test_must_fail docker2aci m.tar 2>err &&
	printf "%s\n" "Error: conversion error: several images found, use option --image with one of:" "" library/busybox other >exp &&
	test_cmp exp err &&
	test_must_fail docker2aci -image nothere m.tar 2>err &&
	grep -F "Error: conversion error: app \"library/nothere\" not found" err &&
	test_must_fail docker2aci -image example.com/other:v3 m.tar 2>err &&
	grep -F "Error: conversion error: tag \"v3\" not found" err &&
	docker2aci -image busybox m.tar >out 2>/dev/null &&
	tail -1 out >last && echo library-busybox-latest.aci >exp && test_cmp exp last &&
	mk manifest library-busybox-latest.aci >m &&
	grep -F "\"name\":\"registry-1.docker.io/library/busybox\"" m
'

test_expect_success 'hostile: layer ID traversal, parent loop, escaping entries' '
	mkdir bad && cd bad &&
	mk "legacy(\"cyc.tar\", [tarbytes([(\"f\",\"y\",\"y\")]), tarbytes([(\"f\",\"z\",\"z\")])], ids=[\"aa\",\"aa\"])" &&
	test_must_fail docker2aci cyc.tar 2>err &&
	grep -F "Error: conversion error: dependency loop detected at image \"aa\"" err &&
	python3 -c "
import tarfile, io, json
with tarfile.open(\"trav.tar\", \"w\") as t:
    d = json.dumps({\"busybox\": {\"latest\": \"../../../x\"}}).encode()
    ti = tarfile.TarInfo(\"repositories\"); ti.size = len(d); t.addfile(ti, io.BytesIO(d))
" &&
	test_must_fail docker2aci trav.tar 2>err &&
	grep -F "invalid layer ID \"../../../x\"" err &&
	mk "legacy(\"dd.tar\", [tarbytes([(\"f\",\"../../evil\",\"y\")])])" &&
	test_must_fail docker2aci dd.tar 2>err &&
	grep -F "leads outside the root" err &&
	mk "legacy(\"hl.tar\", [tarbytes([(\"h\",\"x\",\"../../etc/passwd\")])])" &&
	test_must_fail docker2aci hl.tar 2>err &&
	! test -e ../evil && ! test -e ../../evil && ! ls *.aci 2>/dev/null
'

test_expect_success 'hostile: corrupt layer, digest mismatch, "." entry' '
	mkdir bad2 && cd bad2 &&
	mk "legacy(\"junk.tar\", [b\"\\x1f\\x8b\\x08\\x00garbage\"])" &&
	test_must_fail docker2aci junk.tar 2>err && grep -F "Error: conversion error:" err &&
	python3 -c "
import sys, os, gzip; sys.path.insert(0, \"$TRASH\"); import mk
mk.oci(\"o\", [mk.tarbytes([(\"f\",\"y\",\"y\")])], as_dir=True)
b = [f for f in os.listdir(\"o/blobs/sha256\") if open(\"o/blobs/sha256/\" + f, \"rb\").read(2) == b\"\\x1f\\x8b\"][0]
open(\"o/blobs/sha256/\" + b, \"wb\").write(gzip.compress(mk.tarbytes([(\"f\",\"y\",\"EVIL\")])))
" &&
	test_must_fail docker2aci o 2>err && grep -F "digest mismatch" err && ! ls *.aci 2>/dev/null &&
	mk "legacy(\"dot.tar\", [tarbytes([(\"d\",\".\"),(\"d\",\"./\"),(\"f\",\"./x\",\"y\")])])" &&
	docker2aci dot.tar >/dev/null 2>&1 &&
	mk lsaci library-busybox-latest.aci >tree && grep -F "f rootfs/x 644 0:0 y" tree
'

test_expect_success 'manifest fixes: ".." volume, relative working directory, port range' '
	mkdir fix && cd fix &&
	mk "legacy(\"v.tar\", [tarbytes([(\"f\",\"y\",\"y\")])], cfg={\"Volumes\": {\"/../../etc\": {}}})" &&
	test_must_fail docker2aci v.tar 2>err && grep -F "invalid volume path \"/../../etc\"" err &&
	mk "legacy(\"w.tar\", [tarbytes([(\"f\",\"y\",\"y\")])], cfg={\"WorkingDir\": \"rel\"})" &&
	test_must_fail docker2aci w.tar 2>err && grep -F "invalid working directory \"rel\"" err &&
	mk "legacy(\"p.tar\", [tarbytes([(\"f\",\"y\",\"y\")])], cfg={\"ExposedPorts\": {\"8000-8010/tcp\": {}}})" &&
	test_must_fail docker2aci p.tar 2>err && grep -F "error parsing port \"8000-8010\"" err
'

test_expect_success 'command line: version, usage, docker://, compression' '
	docker2aci -version >out && printf "docker2aci version v0.17.2\nappc version 0.8.10\n" >exp && test_cmp exp out &&
	test_expect_code 2 docker2aci 2>err && grep -F "Usage of" err &&
	grep -F "their URLs are not followed" err && grep -F -- "-cert-dir string" err &&
	test_expect_code 2 docker2aci -bogus x 2>err && grep -F "flag provided but not defined: -bogus" err &&
	test_expect_code 1 docker2aci docker://busybox 2>err && grep -F "Error: conversion error:" err &&
	test_expect_code 1 docker2aci -image x docker://busybox 2>err && grep -F "Error: flag --image works only with files." err &&
	test_expect_code 1 docker2aci -compression bzip9 x 2>err && grep -F "Error: unknown compression method: bzip9" err &&
	mk "legacy(\"in.tar\", [tarbytes([(\"f\",\"y\",\"y\")])])" &&
	docker2aci -compression xz in.tar >/dev/null 2>&1 && xz -t library-busybox-latest.aci &&
	actool validate library-busybox-latest.aci
'

test_expect_success ZSTD 'a zstd layer (OCI tar+zstd) is converted, a corrupt one is an error' '
	mkdir -p zl/root/etc && echo hello > zl/root/etc/greeting && tar -C zl/root -cf zl/layer.tar . &&
	zstd -q -f zl/layer.tar -o zl/layer.tar.zst &&
	(cd zl && python3 - <<-\PY
	import hashlib, json, os, sys
	def layout(name, z):
	    os.makedirs(name + "/blobs/sha256", exist_ok=True)
	    def blob(data):
	        d = hashlib.sha256(data).hexdigest()
	        open(name + "/blobs/sha256/" + d, "wb").write(data)
	        return "sha256:" + d, len(data)
	    raw = open("layer.tar", "rb").read()
	    ld, ls = blob(z)
	    cd, cs = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
	        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode())
	    md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
	        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
	        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": ld, "size": ls}]}).encode())
	    open(name + "/oci-layout", "w").write(json.dumps({"imageLayoutVersion": "1.0.0"}))
	    open(name + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType":
	        "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
	        "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
	z = open("layer.tar.zst", "rb").read()
	layout("good", z)
	layout("bad", z[:len(z) // 2] + bytes(16) + z[len(z) // 2 + 16:])
	PY
	) &&
	(cd zl && docker2aci good > out) && actool validate zl/good-latest.aci &&
	actool extract zl/good-latest.aci zl/x && echo hello | test_cmp - zl/x/rootfs/etc/greeting &&
	(cd zl && test_expect_code 1 docker2aci bad 2> err) && test_grep "zstd\|digest\|sha256" zl/err &&
	test ! -e zl/bad-latest.aci
'

test_expect_success 'a registry that accepts and never answers: -timeout bounds the wait' '
	python3 -c "
import socket, sys, threading, time
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
def accept():
    while True:
        held.append(s.accept()[0])
threading.Thread(target=accept, daemon=True).start()
time.sleep(90)
" > silent.port & spid=$!
	for i in $(seq 1 50); do test -s silent.port && break; sleep 0.1; done &&
	start=$(date +%s) &&
	test_expect_code 1 timeout 60 docker2aci -insecure-allow-http -timeout 1 docker://127.0.0.1:$(cat silent.port)/a/b 2> err; rc=$?
	end=$(date +%s); kill $spid 2>/dev/null
	test $rc = 0 && test_one_line err && test $((end - start)) -lt 45
'

test_done
