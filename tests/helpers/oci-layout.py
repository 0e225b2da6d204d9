#!/usr/bin/env python3
"""oci-layout.py ROOTFS DIR: writes an OCI image layout in DIR (tagged
"latest", linux/amd64) whose one uncompressed layer is the tree ROOTFS, as
tarfile archives it.  Used by the fault tests (t7020, t7030) to give
docker2aci a big local image."""
import hashlib
import io
import json
import os
import sys
import tarfile

rootfs, out = sys.argv[1], sys.argv[2]
os.makedirs(out + "/blobs/sha256", exist_ok=True)


def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(out + "/blobs/sha256/" + d, "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    t.add(rootfs, arcname=".")
ld, ls = blob(buf.getbuffer())
cd, cs = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode())
md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]}).encode())
with open(out + "/oci-layout", "w") as f:
    f.write(json.dumps({"imageLayoutVersion": "1.0.0"}))
with open(out + "/index.json", "w") as f:
    f.write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType":
        "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
