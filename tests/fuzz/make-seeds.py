#!/usr/bin/env python3
"""Writes the generated part of the seed corpora (tests/fuzz/corpus/<target>/gen-*).

Hand-made seeds are the other files there.  Run from anywhere; the output
is deterministic (fixed mtimes), so re-running it changes nothing.
"""
import bz2, gzip, hashlib, io, json, lzma, os, sys, tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "gen-" + name), "wb") as f:
        f.write(data)


def gz(b):
    return gzip.compress(b, mtime=0)


def tar(entries, fmt=tarfile.USTAR_FORMAT):
    """entries: (name, kind, arg) with kind file/dir/sym/hard/fifo/chr."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for name, kind, arg in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1500000000
            data = None
            if kind == "file":
                data = arg if isinstance(arg, bytes) else arg.encode()
                ti.size = len(data)
                ti.mode = 0o644
            elif kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            elif kind == "chr":
                ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


MANIFEST = json.dumps({"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/fuzz",
                       "labels": [{"name": "version", "value": "1.0"}, {"name": "os", "value": "linux"},
                                  {"name": "arch", "value": "amd64"}],
                       "app": {"exec": ["/bin/sh"], "user": "0", "group": "0"}})


def aci_seeds():
    base = [("manifest", "file", MANIFEST), ("rootfs", "dir", None), ("rootfs/etc", "dir", None),
            ("rootfs/etc/hello", "file", "hello\n"), ("rootfs/etc/link", "sym", "hello"),
            ("rootfs/etc/hard", "hard", "rootfs/etc/hello"), ("rootfs/fifo", "fifo", None),
            ("rootfs/null", "chr", None)]
    plain = tar(base)
    put("aci", "valid.aci", plain)
    put("aci", "valid-gzip.aci", gz(plain))
    put("aci", "valid-bzip2.aci", bz2.compress(plain))
    put("aci", "valid-xz.aci", lzma.compress(plain))
    put("aci", "valid-pax.aci", tar(base, tarfile.PAX_FORMAT))
    put("aci", "valid-gnu.aci", tar(base + [("rootfs/" + "d" * 120 + "/" + "f" * 120, "file", "x")],
                                    tarfile.GNU_FORMAT))
    hostile = {
        "dotdot": [("manifest", "file", MANIFEST), ("rootfs/../../outside/x", "file", "x")],
        "abs": [("manifest", "file", MANIFEST), ("/tmp/x", "file", "x")],
        "symlink-out": [("manifest", "file", MANIFEST), ("rootfs", "dir", None),
                        ("rootfs/x", "sym", "../../../../outside"), ("rootfs/x/pwned", "file", "x")],
        "symlink-root": [("manifest", "file", MANIFEST), ("rootfs", "dir", None),
                         ("rootfs/x", "sym", "/"), ("rootfs/x/etc/pwned", "file", "x")],
        "symlink-dot": [("manifest", "file", MANIFEST), ("rootfs/.", "sym", "../../../outside"),
                        ("rootfs/y", "file", "y")],
        "hard-out": [("manifest", "file", MANIFEST), ("rootfs", "dir", None),
                     ("rootfs/h", "hard", "rootfs/../../../secret")],
        "hard-abs": [("manifest", "file", MANIFEST), ("rootfs", "dir", None), ("rootfs/h", "hard", "/etc/passwd")],
        "dup-manifest": [("manifest", "file", MANIFEST), ("./manifest", "file", MANIFEST), ("rootfs", "dir", None)],
        "rootfsx": [("manifest", "file", MANIFEST), ("rootfsX/evil", "file", "x")],
        "rootfs-file": [("manifest", "file", MANIFEST), ("rootfs", "file", "x")],
        "replace-dir": [("manifest", "file", MANIFEST), ("rootfs/a/b", "file", "x"), ("rootfs/a", "sym", "../../..")],
        "chain": [("manifest", "file", MANIFEST), ("rootfs/a", "sym", "b"), ("rootfs/b", "sym", "../../c"),
                  ("rootfs/c", "sym", "a"), ("rootfs/a/x", "file", "x")],
    }
    for name, ents in hostile.items():
        put("aci", "hostile-" + name + ".aci", tar(ents))


def decompress_seeds():
    data = b"hello world\n" * 100 + bytes(range(256))
    put("decompress", "plain", b"\x00" + data)
    put("decompress", "gzip", b"\x00" + gz(data))
    put("decompress", "gzip-multi", b"\x18" + gz(data) + gz(b"second member"))
    put("decompress", "gzip-trunc", b"\x00" + gz(data)[:-9])
    put("decompress", "gzip-trailing", b"\x00" + gz(data) + b"garbage")
    put("decompress", "bzip2", b"\x25" + bz2.compress(data))
    put("decompress", "xz", b"\x36" + lzma.compress(data))
    put("decompress", "xz-multi", b"\x00" + lzma.compress(data) + lzma.compress(b"two"))
    put("decompress", "gzip-bomb", b"\x08" + gz(b"\x00" * (8 << 20)))
    put("decompress", "zstd-magic", b"\x00" + b"\x28\xb5\x2f\xfd" + b"\x00" * 16)


def docker_images():
    """(name, files) where files maps path -> bytes or ('sym', target)."""
    layer1 = tar([("etc", "dir", None), ("etc/hello", "file", "hello\n"), ("etc/old", "file", "old\n"),
                  ("bin", "dir", None), ("bin/sh", "file", "#!\n"), ("bin/link", "hard", "bin/sh")])
    layer2 = tar([("etc/.wh.old", "file", ""), ("etc/new", "file", "new\n"), ("bin/.wh..wh..opq", "file", ""),
                  ("bin/sh2", "file", "x")])
    cfg = {"architecture": "amd64", "os": "linux", "created": "2017-01-02T03:04:05.123Z", "author": "me",
           "config": {"Env": ["PATH=/bin", "NOEQ"], "Entrypoint": ["/bin/sh"], "Cmd": ["-c", "echo"],
                      "WorkingDir": "/etc", "User": "1000:1000", "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
                      "Volumes": {"/data": {}}, "Labels": {"a": "b"}},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer1).hexdigest(),
                                                     "sha256:" + hashlib.sha256(layer2).hexdigest()]},
           "history": [{"created": "2017-01-02T03:04:05Z"}]}
    cfgb = json.dumps(cfg).encode()
    cfgd = hashlib.sha256(cfgb).hexdigest()
    l1d, l2d = hashlib.sha256(layer1).hexdigest(), hashlib.sha256(layer2).hexdigest()
    images = []
    # docker save >= 1.10
    images.append(("save110", {
        "manifest.json": json.dumps([{"Config": cfgd + ".json", "RepoTags": ["fuzz/image:latest"],
                                      "Layers": [l1d + "/layer.tar", l2d + "/layer.tar"]}]).encode(),
        cfgd + ".json": cfgb, l1d + "/layer.tar": layer1, l2d + "/layer.tar": layer2,
        "repositories": json.dumps({"fuzz/image": {"latest": l2d}}).encode()}))
    # legacy docker save: <id>/json with parent chain
    id1, id2 = "a" * 64, "b" * 64
    v1a = {"id": id1, "created": "2016-01-01T00:00:00Z", "os": "linux", "architecture": "amd64",
           "config": {"Cmd": ["/bin/sh"], "Env": ["A=1"]}}
    v1b = dict(v1a, id=id2, parent=id1, config={"Entrypoint": ["/bin/sh"], "Volumes": {"/v": {}},
                                                "ExposedPorts": {"8080/tcp": {}}, "User": "nobody"})
    images.append(("legacy", {
        "repositories": json.dumps({"fuzz/image": {"latest": id2}}).encode(),
        id1 + "/json": json.dumps(v1a).encode(), id1 + "/layer.tar": layer1, id1 + "/VERSION": b"1.0",
        id2 + "/json": json.dumps(v1b).encode(), id2 + "/layer.tar": layer2}))
    # legacy with a parent cycle and a traversal id
    images.append(("legacy-cycle", {
        "repositories": json.dumps({"fuzz/image": {"latest": id1}}).encode(),
        id1 + "/json": json.dumps(dict(v1a, parent=id2)).encode(), id1 + "/layer.tar": layer1,
        id2 + "/json": json.dumps(dict(v1b, parent=id1)).encode(), id2 + "/layer.tar": layer2}))
    images.append(("legacy-traversal", {
        "repositories": json.dumps({"fuzz/image": {"latest": "../../../outside"}}).encode()}))
    # OCI layout with an index and a nested index
    mf = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cfgd,
                     "size": len(cfgb)},
          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + hashlib.sha256(gz(layer1)).hexdigest(), "size": len(gz(layer1))},
                     {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + l2d, "size": len(layer2)}]}
    mfb = json.dumps(mf).encode()
    mfd = hashlib.sha256(mfb).hexdigest()
    inner = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + mfd,
                            "size": len(mfb), "platform": {"os": "linux", "architecture": "amd64"}},
                           {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "c" * 64,
                            "size": 1, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}]}
    innerb = json.dumps(inner).encode()
    innerd = hashlib.sha256(innerb).hexdigest()
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                                                 "digest": "sha256:" + innerd, "size": len(innerb),
                                                 "annotations": {"org.opencontainers.image.ref.name": "latest",
                                                                 "io.containerd.image.name": "docker.io/fuzz/image:latest"}}]}
    images.append(("oci", {
        "oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": json.dumps(index).encode(),
        "blobs/sha256/" + innerd: innerb, "blobs/sha256/" + mfd: mfb, "blobs/sha256/" + cfgd: cfgb,
        "blobs/sha256/" + hashlib.sha256(gz(layer1)).hexdigest(): gz(layer1), "blobs/sha256/" + l2d: layer2}))
    # skopeo docker-archive: layer.tar symlinks to the layer blobs
    images.append(("skopeo", {
        "manifest.json": json.dumps([{"Config": cfgd + ".json", "RepoTags": ["fuzz/image:latest"],
                                      "Layers": [l1d + ".tar", l2d + "/layer.tar"]}]).encode(),
        cfgd + ".json": cfgb, l1d + ".tar": layer1, l2d + "/layer.tar": ("sym", "../" + l1d + ".tar")}))
    images.append(("digest-traversal", {
        "manifest.json": json.dumps([{"Config": "../../secret", "RepoTags": ["fuzz/image:latest"],
                                      "Layers": ["../../../secret"]}]).encode()}))
    images.append(("symlink-secret", {
        "manifest.json": json.dumps([{"Config": cfgd + ".json", "RepoTags": ["fuzz/image:latest"],
                                      "Layers": ["l/layer.tar"]}]).encode(),
        cfgd + ".json": cfgb, "l/layer.tar": ("sym", "../../../../../../secret")}))
    return images, cfg, v1b, layer1, layer2


def docker_seeds():
    images, cfg, v1b, layer1, layer2 = docker_images()
    for name, files in images:
        # as a directory (docker-dir format)
        out = b""
        for path, data in files.items():
            if isinstance(data, tuple):
                out += b"==> " + path.encode() + b" -> " + data[1].encode() + b"\n"
            else:
                out += b"==> " + path.encode() + b"\n" + data + b"\n"
        put("docker-dir", name, out)
        # as a tar (docker-save)
        ents = []
        for path, data in files.items():
            if isinstance(data, tuple):
                ents.append((path, "sym", data[1]))
            else:
                ents.append((path, "file", data))
        put("docker-save", name + ".tar", tar(ents))
    put("docker-save", "save110.tar.gz", gz(open(os.path.join(CORPUS, "docker-save", "gen-save110.tar"), "rb").read()))
    put("docker-config", "config.json", json.dumps(cfg))
    put("docker-config", "v1.json", json.dumps(v1b))
    sep = b"\n--8<-- layer\n"
    put("docker-layer", "two-layers", layer1 + sep + layer2 + b"\x01")
    put("docker-layer", "gzip", gz(layer1) + sep + bz2.compress(layer2) + b"\x02")
    put("docker-layer", "hostile", tar([("../x", "file", "x")]) + b"\x00")
    put("docker-layer", "dot", tar([(".", "dir", None), ("./a", "file", "a"), ("a/../b", "file", "b")]) + b"\x03")
    put("docker-layer", "replace", tar([("a/b", "file", "x"), ("c", "hard", "a/b")]) + sep +
        tar([("a", "file", "now a file"), (".wh.c", "file", ""), ("d", "hard", "c")]) + sep +
        tar([("a", "dir", None), ("a/.wh..wh..opq", "file", ""), ("a/.wh.b", "file", ""), ("s", "sym", "/etc"),
             ("s/x", "file", "x")]) + b"\x00")


def main():
    aci_seeds()
    decompress_seeds()
    docker_seeds()


if __name__ == "__main__":
    main()
