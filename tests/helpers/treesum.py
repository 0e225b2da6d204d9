#!/usr/bin/env python3
"""Prints a canonical description of a directory tree, one line per path:
path, type, mode, owner, size, content hash, link target, device numbers,
xattrs, and which paths share an inode.  Two trees are equal for our
purposes when their descriptions are equal.  Options: --no-owner, --no-mtime."""
import hashlib
import os
import stat
import sys


def describe(root, owner=True, mtime=True):
    lines = []
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            kind = stat.S_IFMT(st.st_mode)
            f = [repr(rel), oct(stat.S_IMODE(st.st_mode)), {stat.S_IFDIR: 'd', stat.S_IFREG: 'f', stat.S_IFLNK: 'l',
                 stat.S_IFIFO: 'p', stat.S_IFCHR: 'c', stat.S_IFBLK: 'b', stat.S_IFSOCK: 's'}[kind]]
            if owner:
                f.append('%d:%d' % (st.st_uid, st.st_gid))
            if mtime and kind != stat.S_IFLNK and kind != stat.S_IFDIR:
                f.append('mtime=%d' % int(st.st_mtime))
            if kind == stat.S_IFREG:
                with open(p, 'rb') as fh:
                    f.append(hashlib.sha256(fh.read()).hexdigest()[:16])
                if st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    first = inodes.setdefault(key, rel)
                    f.append('inode=' + repr(first))
            elif kind == stat.S_IFLNK:
                f.append('-> ' + repr(os.readlink(p)))
            elif kind in (stat.S_IFCHR, stat.S_IFBLK):
                f.append('%d,%d' % (os.major(st.st_rdev), os.minor(st.st_rdev)))
            try:
                names = sorted(os.listxattr(p, follow_symlinks=False))
            except OSError:
                names = []
            for x in names:
                if x.startswith('user.'):
                    f.append('%s=%r' % (x, os.getxattr(p, x, follow_symlinks=False)))
            lines.append(' '.join(f))
    return lines


if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    print('\n'.join(describe(args[0], owner='--no-owner' not in sys.argv, mtime='--no-mtime' not in sys.argv)))
