#!/usr/bin/env python3
"""Writes one hostile ACI per class of threats.md section 2 into DIR.
    hostile-aci.py DIR
Every image has a valid manifest, so that only the hostile part can make a
tool refuse it.  Names: DIR/<class>.aci; a list of them on stdout."""
import gzip, io, os, sys, tarfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
MANIFEST = b'{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/hostile"}'


def entry(name, kind="f", data=b"", link="", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.mtime = 1600000000
    if kind == "f":
        ti.size = len(data)
    elif kind == "d":
        ti.type, mode = tarfile.DIRTYPE, 0o755
    elif kind == "l":
        ti.type, ti.linkname = tarfile.SYMTYPE, link
    elif kind == "h":
        ti.type, ti.linkname = tarfile.LNKTYPE, link
    elif kind == "c":
        ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 8, 0
    ti.mode = mode
    return ti, (io.BytesIO(data) if kind == "f" else None)


def write(name, entries, compress=True, raw_tail=b""):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.addfile(*entry("manifest", data=MANIFEST))
        t.addfile(*entry("rootfs", "d"))
        for e in entries:
            t.addfile(*e)
    data = bio.getvalue() + raw_tail
    with open(os.path.join(out, name + ".aci"), "wb") as f:
        f.write(gzip.compress(data, mtime=0) if compress else data)
    print(name)


def hardlink_with_data():
    # a ustar hard link whose header claims data (CVE-2016-5418 class)
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as t:
        t.addfile(*entry("manifest", data=MANIFEST))
        t.addfile(*entry("rootfs", "d"))
        t.addfile(*entry("rootfs/target", data=b"x"))
    raw = bytearray(bio.getvalue())
    end = len(raw) - 1024  # before the two zero blocks
    hdr = bytearray(512)
    def put(off, val):
        hdr[off:off + len(val)] = val
    put(0, b"rootfs/evil")
    put(100, b"0000644\0")
    put(108, b"0000000\0")
    put(116, b"0000000\0")
    put(124, b"%011o\0" % 512)
    put(136, b"%011o\0" % 1600000000)
    put(156, b"1")
    put(157, b"/etc/passwd")
    put(257, b"ustar\x0000")
    put(148, b"        ")
    put(148, b"%06o\0 " % sum(hdr))
    body = bytes(hdr) + b"overwrite!".ljust(512, b"\0")
    data = bytes(raw[:end]) + body + bytes(1024)
    with open(os.path.join(out, "hardlink-with-data.aci"), "wb") as f:
        f.write(gzip.compress(data, mtime=0))
    print("hardlink-with-data")


write("dotdot", [entry("rootfs/../../escaped-dotdot", data=b"x")])
write("absolute", [entry("/tmp/escaped-absolute-" + str(os.getpid()), data=b"x")])
write("symlink-then-write", [entry("rootfs/l", "l", link="/tmp"), entry("rootfs/l/escaped-symlink", data=b"x")])
write("symlink-dotdot-then-write", [entry("rootfs/up", "l", link="../../../../../../../../tmp"),
                                    entry("rootfs/up/escaped-up", data=b"x")])
write("symlink-named-dot", [entry("rootfs/.", "l", link="/tmp")])
write("symlink-loop", [entry("rootfs/a", "l", link="b"), entry("rootfs/b", "l", link="a"),
                       entry("rootfs/a/x", data=b"x")])
write("hardlink-out", [entry("rootfs/h", "h", link="../../etc/passwd")])
write("hardlink-absolute", [entry("rootfs/h", "h", link="/etc/passwd")])
write("hardlink-before-target", [entry("rootfs/h", "h", link="rootfs/later"), entry("rootfs/later", data=b"x")])
write("rootfs-sibling", [entry("rootfsX/evil", data=b"x")])
write("duplicate-manifest", [entry("./manifest", data=MANIFEST)])
write("device", [entry("rootfs/sda", "c")])
write("long-pax", [entry("rootfs/" + "n" * 20000, data=b"x")])
write("trailing-garbage", [entry("rootfs/f", data=b"x")], raw_tail=b"\x01garbage")
hardlink_with_data()
# gzip bomb: 1 GiB of zeros in one file, about 1 MiB compressed, streamed
class Zeros(io.RawIOBase):
    def __init__(self, n):
        self.n = n
    def readable(self):
        return True
    def readinto(self, b):
        k = min(len(b), self.n)
        b[:k] = bytes(k)
        self.n -= k
        return k


with gzip.GzipFile(os.path.join(out, "bomb.aci"), "wb", compresslevel=1, mtime=0) as gz:
    with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as t:
        t.addfile(*entry("manifest", data=MANIFEST))
        t.addfile(*entry("rootfs", "d"))
        ti = tarfile.TarInfo("rootfs/zeros")
        ti.size, ti.mtime = 1 << 30, 1600000000
        t.addfile(ti, io.BufferedReader(Zeros(ti.size), 1 << 20))
print("bomb")

# the same kind of bomb in xz and bzip2 (256 MiB of zeros in a few KiB)
import bz2, lzma
for name, opener in (("bomb-xz", lambda f: lzma.LZMAFile(f, "wb", preset=0)),
                     ("bomb-bz2", lambda f: bz2.BZ2File(f, "wb", compresslevel=1))):
    with open(os.path.join(out, name + ".aci"), "wb") as raw, opener(raw) as z:
        with tarfile.open(fileobj=z, mode="w|", format=tarfile.PAX_FORMAT) as t:
            t.addfile(*entry("manifest", data=MANIFEST))
            t.addfile(*entry("rootfs", "d"))
            ti = tarfile.TarInfo("rootfs/zeros")
            ti.size, ti.mtime = 256 << 20, 1600000000
            t.addfile(ti, io.BufferedReader(Zeros(ti.size), 1 << 20))
    print(name)
