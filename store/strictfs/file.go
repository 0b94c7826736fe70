package strictfs

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"syscall"
	"time"
	"unsafe"
)

// directAlign is the alignment a direct file demands of offsets, lengths and memory.
const directAlign = 4096

// file is an open file of a handle. Writes append at the offset; the store writes files
// once, front to back.
type file struct {
	h      *FS
	n      *node
	name   string
	off    int64
	write  bool
	direct bool
	closed bool
}

var errClosed = errors.New("file already closed")

// use is begin (or mutate) for a call on an open file.
func (f *file) use(op string, mutating bool) error {
	begin := f.h.begin
	if mutating {
		begin = f.h.mutate
	}
	if err := begin(); err != nil {
		return pathErr(op, f.name, err)
	}
	if f.closed {
		f.h.end()
		return pathErr(op, f.name, errClosed)
	}
	return nil
}

func (f *file) Name() string { return f.name }

func (f *file) Write(p []byte) (int, error) {
	if err := f.use("write", true); err != nil {
		return 0, err
	}
	defer f.h.end()
	if !f.write {
		return 0, pathErr("write", f.name, syscall.EBADF)
	}
	if f.direct && !aligned(p, f.off) {
		return 0, pathErr("write", f.name, syscall.EINVAL)
	}
	end := f.off + int64(len(p))
	if end > int64(len(f.n.data)) {
		f.n.data = append(f.n.data, make([]byte, end-int64(len(f.n.data)))...)
	}
	copy(f.n.data[f.off:], p)
	f.off = end
	return len(p), nil
}

// aligned tells whether a direct write of p at off meets O_DIRECT's rules.
func aligned(p []byte, off int64) bool {
	if len(p) == 0 {
		return off%directAlign == 0
	}
	return off%directAlign == 0 && len(p)%directAlign == 0 &&
		uintptrOf(p)%directAlign == 0
}

func (f *file) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.off)
	f.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if err := f.use("read", false); err != nil {
		return 0, err
	}
	defer f.h.end()
	if f.n.dir {
		return 0, pathErr("read", f.name, syscall.EISDIR)
	}
	if off < 0 {
		return 0, pathErr("read", f.name, syscall.EINVAL)
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *file) Stat() (fs.FileInfo, error) {
	if err := f.use("stat", false); err != nil {
		return nil, err
	}
	defer f.h.end()
	return info(path.Base(f.name), f.n), nil
}

// Sync makes the file's data as it is now durable (not its directory entry: that takes a
// SyncDir of its directory).
func (f *file) Sync() error {
	if err := f.use("sync", true); err != nil {
		return err
	}
	defer f.h.end()
	f.n.syncLocked()
	return nil
}

func (f *file) Truncate(size int64) error {
	if err := f.use("truncate", true); err != nil {
		return err
	}
	defer f.h.end()
	if !f.write || size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	if size <= int64(len(f.n.data)) {
		f.n.data = f.n.data[:size:size]
	} else {
		f.n.data = append(f.n.data, make([]byte, size-int64(len(f.n.data)))...)
	}
	return nil
}

func (f *file) Close() error {
	if err := f.use("close", false); err != nil {
		if errors.Is(err, ErrPowerLost) {
			return nil // the process that opened it is gone; nothing to close
		}
		return err
	}
	defer f.h.end()
	f.closed = true
	return nil
}

// fileInfo describes a node.
type fileInfo struct {
	name string
	size int64
	dir  bool
}

func info(name string, n *node) fileInfo {
	return fileInfo{name: name, size: int64(len(n.data)), dir: n.dir}
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.dir }
func (i fileInfo) Sys() any           { return nil }

func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

// syncLocked makes n's present state durable: a file's data, a directory's entries.
func (n *node) syncLocked() {
	if !n.dir {
		n.synced = clone(n.data)
		return
	}
	n.durable = make(map[string]*node, len(n.entries))
	for base, c := range n.entries {
		n.durable[base] = c
	}
}

func uintptrOf(p []byte) uintptr { return uintptr(unsafe.Pointer(&p[0])) }
