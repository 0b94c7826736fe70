package store

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"syscall"
)

// FS is the filesystem a Disk store goes through: every byte a Disk writes, every fsync,
// rename and directory listing passes here. OSFS is the real one; store/strictfs is an
// in-memory one that, at a simulated power cut, drops everything not yet fsynced, so tests can
// check that an acknowledged block survives power loss and not only a killed process.
//
// Names are slash-separated paths as filepath.Join makes them. Errors are the os package's
// (*fs.PathError wrapping fs.ErrNotExist, fs.ErrExist, syscall.ENOSPC...), so the store
// classifies them the same way whatever the implementation.
type FS interface {
	// MkdirAll creates a directory and any missing parents (mode 0755).
	MkdirAll(name string) error
	// Mkdir creates one directory; an existing one fails with fs.ErrExist.
	Mkdir(name string) error
	// Create creates a new file for writing; an existing one fails with fs.ErrExist.
	Create(name string) (File, error)
	// CreateDirect is Create with O_DIRECT: writes must be whole multiples of 4096 bytes at
	// aligned offsets from aligned memory. A filesystem without direct I/O fails with an
	// error that wraps syscall.EINVAL or syscall.EOPNOTSUPP.
	CreateDirect(name string) (File, error)
	// Open opens a file for reading.
	Open(name string) (File, error)
	Stat(name string) (fs.FileInfo, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	Remove(name string) error
	RemoveAll(name string) error
	// Rename atomically replaces newname with oldname; durable once the directories of both
	// are synced.
	Rename(oldname, newname string) error
	// SyncDir makes the creation, renaming and removal of the entries of a directory durable.
	SyncDir(name string) error
	// Lock takes an exclusive lock on the file name (created if needed) that a crash of the
	// holder releases; a second holder fails at once. Close releases it.
	Lock(name string) (io.Closer, error)
	// Free returns the bytes an unprivileged writer may still use on the filesystem of name.
	Free(name string) (int64, error)
}

// File is an open file of an FS. *os.File is one.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	Name() string
	Stat() (fs.FileInfo, error)
	// Sync makes the file's data durable.
	Sync() error
	Truncate(size int64) error
}

// OSFS is the operating system's filesystem, the one a Disk uses unless DiskOptions.FS says
// otherwise.
type OSFS struct{}

var _ FS = OSFS{}

func (OSFS) MkdirAll(name string) error { return os.MkdirAll(name, 0o755) }
func (OSFS) Mkdir(name string) error    { return os.Mkdir(name, 0o755) }

func (OSFS) Create(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

func (OSFS) CreateDirect(name string) (File, error) {
	f, err := openDirect(name)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil File
	}
	return f, nil
}

func (OSFS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (OSFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
func (OSFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (OSFS) Remove(name string) error                   { return os.Remove(name) }
func (OSFS) RemoveAll(name string) error                { return os.RemoveAll(name) }
func (OSFS) Rename(oldname, newname string) error       { return os.Rename(oldname, newname) }

func (OSFS) SyncDir(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Lock takes a non-blocking flock; the kernel drops it when the process dies, so a crash never
// leaves the store locked.
func (OSFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("store directory %s is in use by another process (%v); stop it first", filepath.Dir(name), err)
	}
	return f, nil
}

func (OSFS) Free(name string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(name, &st); err != nil {
		return 0, err
	}
	avail := uint64(st.Bavail) * uint64(st.Bsize)
	if avail > math.MaxInt64 {
		avail = math.MaxInt64
	}
	return int64(avail), nil
}
