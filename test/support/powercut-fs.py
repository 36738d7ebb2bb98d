#!/usr/bin/env python3
"""A FUSE filesystem that behaves like a disk whose cache is lost in a power cut.

Usage: powercut-fs.py BACKING_DIR MOUNT_POINT

Every file lives in BACKING_DIR. Data written through MOUNT_POINT stays in this process's memory (the "page
cache") until the file is fsync'd or fdatasync'd: only then is it written to BACKING_DIR. Killing this process
(SIGKILL) is the power cut: whatever was written and not synced is gone, and BACKING_DIR holds exactly what a disk
would hold after it. Metadata (create, unlink, rename, mkdir, truncate) reaches BACKING_DIR at once, as a
journaling filesystem's metadata would after its journal commit; SQLite and the agent sync a file's data before
they rely on a rename or a truncation.

Disk faults: writing `fsync-eio`, `write-eio`, `read-eio` or `none` to MOUNT_POINT/.fault makes every later
fsync/fdatasync, data write or data read fail with EIO (`read-eio-from N`: reads reaching byte N or beyond) (as a failing disk reports it), until `none` is written. The control file
never reaches BACKING_DIR and takes effect before the write to it returns.

Used by test/agent/power-cut.test.ts and test/agent/disk-errors.test.ts (python3-fusepy and fuse3 from Debian).
"""
import errno
import os
import sys
import threading

from fusepy import FUSE, FuseOSError, Operations

PAGE = 4096
CONTROL = '/.fault'
FAULTS = ('none', 'fsync-eio', 'write-eio', 'read-eio')


class PowerCutFS(Operations):
    def __init__(self, root):
        self.root = root
        self.mutex = threading.Lock()
        # Per backing path: {page number: bytes of PAGE or less (the file's tail)}, and the size seen through us.
        self.dirty = {}
        self.size = {}
        self.fault = 'none'
        self.read_eio_from = 0

    def _full(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def _size(self, full):
        if full in self.size:
            return self.size[full]
        return os.path.getsize(full)

    # Metadata: straight to the backing directory.
    def getattr(self, path, fh=None):
        if path == CONTROL:
            return {'st_mode': 0o100600, 'st_nlink': 1, 'st_size': 0, 'st_uid': 0, 'st_gid': 0, 'st_atime': 0, 'st_mtime': 0, 'st_ctime': 0}
        full = self._full(path)
        st = os.lstat(full)
        attrs = {k: getattr(st, k) for k in ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink', 'st_size', 'st_uid')}
        with self.mutex:
            if full in self.size:
                attrs['st_size'] = self.size[full]
        return attrs

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._full(path))

    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self._full(path), uid, gid)

    def mkdir(self, path, mode):
        os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        os.rmdir(self._full(path))

    def statfs(self, path):
        st = os.statvfs(self._full(path))
        return {k: getattr(st, k) for k in ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

    def utimens(self, path, times=None):
        os.utime(self._full(path), times)

    def unlink(self, path):
        full = self._full(path)
        with self.mutex:
            self.dirty.pop(full, None)
            self.size.pop(full, None)
        os.unlink(full)

    def rename(self, old, new):
        fo, fn = self._full(old), self._full(new)
        with self.mutex:
            self.dirty.pop(fn, None)
            self.size.pop(fn, None)
            if fo in self.dirty:
                self.dirty[fn] = self.dirty.pop(fo)
            if fo in self.size:
                self.size[fn] = self.size.pop(fo)
        os.rename(fo, fn)

    # raw_fi: `fi` is the kernel's fuse_file_info. direct_io sends every read and write of the file here instead of
    # through the kernel's page cache, so a read fault reaches whoever reads (only SQLite's own cache is in between).
    def create(self, path, mode, fi):
        fi.direct_io = 1
        if path == CONTROL:
            return 0
        fd = os.open(self._full(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.close(fd)
        return 0

    def open(self, path, fi):
        fi.direct_io = 1
        if path == CONTROL:
            return 0
        full = self._full(path)
        if fi.flags & os.O_TRUNC:
            self.truncate(path, 0)
        if not os.path.exists(full):
            raise FuseOSError(errno.ENOENT)
        return 0

    def truncate(self, path, length, fh=None):
        if path == CONTROL:
            return
        full = self._full(path)
        with self.mutex:
            pages = self.dirty.get(full, {})
            for n in [n for n in pages if n * PAGE >= length]:
                del pages[n]
            last = length // PAGE
            if last in pages:
                pages[last] = pages[last][: length - last * PAGE]
            os.truncate(full, min(length, os.path.getsize(full)))
            if pages:
                self.size[full] = length
            else:
                self.size.pop(full, None)
                os.truncate(full, length)

    # Data: through the volatile page cache.
    def _page(self, full, n):
        pages = self.dirty.get(full)
        if pages is not None and n in pages:
            return pages[n]
        with open(full, 'rb') as f:
            f.seek(n * PAGE)
            return f.read(PAGE)

    def read(self, path, size, offset, fh):
        if self.fault == 'read-eio' or (self.fault == 'read-eio-from' and offset + size > self.read_eio_from):
            raise FuseOSError(errno.EIO)
        full = self._full(path)
        with self.mutex:
            end = min(offset + size, self._size(full))
            out = bytearray()
            pos = offset
            while pos < end:
                n = pos // PAGE
                page = self._page(full, n)
                lo = pos - n * PAGE
                hi = min(PAGE, end - n * PAGE)
                chunk = page[lo:hi]
                if len(chunk) < hi - lo:
                    chunk = chunk + bytes(hi - lo - len(chunk))
                out += chunk
                pos = n * PAGE + hi
            return bytes(out)

    def write(self, path, data, offset, fh):
        if path == CONTROL:
            fault = bytes(data).decode().strip()
            if fault.startswith('read-eio-from '):
                # Reads reaching at or beyond this byte offset fail; the file's first bytes (its header) still read.
                self.read_eio_from = int(fault.split(' ', 1)[1])
                self.fault = 'read-eio-from'
            elif fault in FAULTS:
                self.fault = fault
            else:
                raise FuseOSError(errno.EINVAL)
            return len(data)
        if self.fault == 'write-eio':
            raise FuseOSError(errno.EIO)
        full = self._full(path)
        with self.mutex:
            pages = self.dirty.setdefault(full, {})
            size = self._size(full)
            pos = offset
            i = 0
            while i < len(data):
                n = pos // PAGE
                lo = pos - n * PAGE
                take = min(PAGE - lo, len(data) - i)
                page = bytearray(self._page(full, n))
                if len(page) < lo:
                    page += bytes(lo - len(page))
                page[lo : lo + take] = data[i : i + take]
                pages[n] = bytes(page)
                pos += take
                i += take
            self.size[full] = max(size, offset + len(data))
            return len(data)

    def _sync(self, full):
        with self.mutex:
            pages = self.dirty.pop(full, None)
            size = self.size.pop(full, None)
            if pages is None and size is None:
                return
            fd = os.open(full, os.O_WRONLY)
            try:
                for n, page in sorted((pages or {}).items()):
                    os.pwrite(fd, page, n * PAGE)
                if size is not None:
                    os.ftruncate(fd, size)
                os.fsync(fd)
            finally:
                os.close(fd)

    def fsync(self, path, datasync, fh):
        if path == CONTROL:
            return 0
        if self.fault == 'fsync-eio':
            raise FuseOSError(errno.EIO)
        self._sync(self._full(path))
        return 0

    def fsyncdir(self, path, datasync, fh):
        return 0

    def lock(self, path, fh, cmd, lock):
        # POSIX locks always granted: one agent process uses the files (SQLite's own locking is what it tests).
        return 0

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return 0


if __name__ == '__main__':
    backing, mount = sys.argv[1], sys.argv[2]
    # Single-threaded: operations apply in the order the kernel sends them.
    FUSE(PowerCutFS(backing), mount, foreground=True, nothreads=True, raw_fi=True)
