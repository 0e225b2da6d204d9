#!/usr/bin/env python3
"""Writes OCI image layouts for the registry tests.

registry-mkimage.py DIR KIND
  full      one gzip layer, a config with every field
  multi     three layers: whiteouts, opaque dir, hard links, replacements
  plain     one uncompressed layer
  index     an OCI index with linux/amd64 and linux/arm64 (different Cmd)
  big       one layer of a few MB of random data (for cuts and resumes)
"""
import gzip, hashlib, io, json, os, sys, tarfile


def tarbytes(entries):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode='w', format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e[1])
            ti.mtime = 1000
            ti.uid = ti.gid = 0
            data = None
            if e[0] == 'f':
                data = e[2] if isinstance(e[2], bytes) else e[2].encode()
                ti.size = len(data)
                ti.mode = 0o644
            elif e[0] == 'd':
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
            elif e[0] == 'l':
                ti.type = tarfile.SYMTYPE
                ti.linkname = e[2]
                ti.mode = 0o777
            elif e[0] == 'h':
                ti.type = tarfile.LNKTYPE
                ti.linkname = e[2]
                ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return bio.getvalue()


def sha(b):
    return hashlib.sha256(b).hexdigest()


class Layout:
    def __init__(self, d):
        self.d = d
        os.makedirs(os.path.join(d, 'blobs', 'sha256'), exist_ok=True)
        with open(os.path.join(d, 'oci-layout'), 'w') as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data, mt):
        with open(os.path.join(self.d, 'blobs', 'sha256', sha(data)), 'wb') as f:
            f.write(data)
        return {"mediaType": mt, "digest": "sha256:" + sha(data), "size": len(data)}

    def image(self, tars, cfg, compress=True, arch="amd64"):
        layers = []
        for t in tars:
            if compress:
                layers.append(self.blob(gzip.compress(t, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"))
            else:
                layers.append(self.blob(t, "application/vnd.oci.image.layer.v1.tar"))
        conf = json.dumps({"architecture": arch, "os": "linux", "created": "2016-01-02T03:04:05Z",
                           "author": "someone", "config": cfg,
                           "history": [{"created": "2016-01-02T03:04:05Z", "created_by": "layer %d" % i}
                                       for i in range(len(tars))],
                           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(t) for t in tars]}}).encode()
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": self.blob(conf, "application/vnd.oci.image.config.v1+json"),
                          "layers": layers}).encode()
        return self.blob(man, "application/vnd.oci.image.manifest.v1+json")

    def index(self, descs, tag="latest"):
        for d in descs:
            d.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = tag
        with open(os.path.join(self.d, 'index.json'), 'w') as f:
            json.dump({"schemaVersion": 2, "manifests": descs}, f)


CONFIG = {
    "Entrypoint": ["/bin/busybox"], "Cmd": ["echo", "hi"],
    "Env": ["PATH=/usr/bin:/bin", "NOEQ", "A=1"], "WorkingDir": "/wd", "User": "1000:50",
    "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
    "Volumes": {"/data": {}},
    "Labels": {"maintainer": "me"},
}


def main():
    d, kind = sys.argv[1], sys.argv[2]
    lo = Layout(d)
    if kind == 'full':
        t = tarbytes([('d', 'bin'), ('f', 'bin/busybox', 'BB'), ('d', 'wd'), ('f', 'etc/hostname', 'h')])
        lo.index([lo.image([t], CONFIG)])
    elif kind == 'plain':
        t = tarbytes([('f', 'plain', 'uncompressed layer')])
        lo.index([lo.image([t], {"Cmd": ["/plain"]}, compress=False)])
    elif kind == 'multi':
        L1 = [('d', 'a'), ('f', 'a/keep', 'keep'), ('f', 'a/gone', 'gone'), ('d', 'opq'), ('f', 'opq/old', 'old'),
              ('f', 'f2d', 'file'), ('d', 'd2f'), ('f', 'd2f/x', 'x'), ('f', 'target', 'T'), ('f', 'hl-src', 'H1')]
        L2 = [('f', 'a/.wh.gone', ''), ('d', 'opq'), ('f', 'opq/.wh..wh..opq', ''), ('f', 'opq/new', 'new'),
              ('d', 'f2d'), ('f', 'f2d/inner', 'inner'), ('f', 'd2f', 'nowfile'), ('h', 'hl-in-l2', 'hl-src')]
        L3 = [('f', '.wh.target', ''), ('f', '.wh.hl-src', ''), ('l', 'sym', '/a/keep')]
        lo.index([lo.image([tarbytes(L1), tarbytes(L2), tarbytes(L3)], {"Cmd": ["/bin/sh"]})])
    elif kind == 'index':
        a = lo.image([tarbytes([('f', 'arch', 'amd64')])], {"Cmd": ["/amd64"]}, arch="amd64")
        a["platform"] = {"os": "linux", "architecture": "amd64"}
        b = lo.image([tarbytes([('f', 'arch', 'arm64')])], {"Cmd": ["/arm64"]}, arch="arm64")
        b["platform"] = {"os": "linux", "architecture": "arm64", "variant": "v8"}
        idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                          "manifests": [a, b]}).encode()
        lo.index([lo.blob(idx, "application/vnd.oci.image.index.v1+json")])
    elif kind == 'big':
        data = os.urandom(3 << 20)
        t = tarbytes([('f', 'big', data), ('f', 'small', 'small')])
        lo.index([lo.image([t], {"Cmd": ["/big"]})])
    else:
        sys.exit("unknown kind " + kind)


main()
