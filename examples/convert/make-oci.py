#!/usr/bin/env python3
"""Writes a small OCI image layout: busybox httpd with a port, a volume,
environment and labels, as "docker build" would produce it.
    make-oci.py DIR [BUSYBOX]"""
import gzip, hashlib, io, json, os, sys, tarfile

out, busybox = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "/bin/busybox")


def blob(data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for d in ("bin", "var", "var/www", "etc"):
        ti = tarfile.TarInfo(d)
        ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1600000000
        t.addfile(ti)
    with open(busybox, "rb") as f:
        data = f.read()
    ti = tarfile.TarInfo("bin/busybox")
    ti.size, ti.mode, ti.mtime = len(data), 0o755, 1600000000
    t.addfile(ti, io.BytesIO(data))
    page = b"<h1>converted from an OCI image</h1>\n"
    ti = tarfile.TarInfo("var/www/index.html")
    ti.size, ti.mode, ti.mtime = len(page), 0o644, 1600000000
    t.addfile(ti, io.BytesIO(page))
diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
layer, layer_size = blob(gzip.compress(raw.getvalue(), mtime=0))

config = {
    "architecture": "amd64", "os": "linux",
    "created": "2020-09-13T12:26:40Z",
    "config": {
        "Entrypoint": ["/bin/busybox", "httpd", "-f"],
        "Cmd": ["-p", "80", "-h", "/var/www"],
        "Env": ["PATH=/bin", "GREETING=hello"],
        "WorkingDir": "/var/www",
        "ExposedPorts": {"80/tcp": {}},
        "Volumes": {"/var/www": {}},
        "Labels": {"org.opencontainers.image.title": "httpd example"},
    },
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    "history": [{"created": "2020-09-13T12:26:40Z", "created_by": "make-oci.py"}],
}
cfg, cfg_size = blob(json.dumps(config, sort_keys=True).encode())
manifest = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": cfg_size},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layer_size}],
}
man, man_size = blob(json.dumps(manifest, sort_keys=True).encode())
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man, "size": man_size,
        "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]}, f)
