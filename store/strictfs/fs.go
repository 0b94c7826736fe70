package strictfs

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"syscall"

	"github.com/meridian-fed/meridian/store"
)

// FS is one process's handle on a Mem; it implements store.FS until the next Crash.
type FS struct {
	m     *Mem
	epoch int
}

var _ store.FS = (*FS)(nil)

// begin locks the disk for one call and checks that the handle still has power.
func (h *FS) begin() error {
	h.m.mu.Lock()
	if h.epoch != h.m.epoch {
		h.m.mu.Unlock()
		return ErrPowerLost
	}
	return nil
}

// mutate is begin for a call that changes the disk; it is where an armed power cut strikes.
func (h *FS) mutate() error {
	if err := h.begin(); err != nil {
		return err
	}
	m := h.m
	m.ops++
	if m.crashAt > 0 && m.ops >= m.crashAt {
		m.crashLocked()
		m.mu.Unlock()
		return ErrPowerLost
	}
	return nil
}

func (h *FS) end() { h.m.mu.Unlock() }

// MkdirAll implements store.FS.
func (h *FS) MkdirAll(name string) error {
	parts, err := split("mkdir", name)
	if err != nil {
		return err
	}
	p := "/"
	for _, part := range parts {
		p = path.Join(p, part)
		if err := h.Mkdir(p); err != nil && !isExistingDir(h, p, err) {
			return err
		}
	}
	return nil
}

func isExistingDir(h *FS, name string, err error) bool {
	if !errors.Is(err, fs.ErrExist) {
		return false
	}
	fi, serr := h.Stat(name)
	return serr == nil && fi.IsDir()
}

// Mkdir implements store.FS.
func (h *FS) Mkdir(name string) error {
	if err := h.mutate(); err != nil {
		return err
	}
	defer h.end()
	dir, base, err := h.m.parentLocked("mkdir", name)
	if err != nil {
		return err
	}
	if _, ok := dir.entries[base]; ok {
		return pathErr("mkdir", name, fs.ErrExist)
	}
	dir.entries[base] = newDir()
	return nil
}

// Create implements store.FS.
func (h *FS) Create(name string) (store.File, error) { return h.create(name, false) }

// CreateDirect implements store.FS: writes to the file must be aligned as O_DIRECT demands,
// so the store's direct path is exercised too.
func (h *FS) CreateDirect(name string) (store.File, error) { return h.create(name, true) }

func (h *FS) create(name string, direct bool) (store.File, error) {
	if err := h.mutate(); err != nil {
		return nil, err
	}
	defer h.end()
	dir, base, err := h.m.parentLocked("open", name)
	if err != nil {
		return nil, err
	}
	if _, ok := dir.entries[base]; ok {
		return nil, pathErr("open", name, fs.ErrExist)
	}
	n := &node{}
	dir.entries[base] = n
	return &file{h: h, n: n, name: name, write: true, direct: direct}, nil
}

// Open implements store.FS.
func (h *FS) Open(name string) (store.File, error) {
	if err := h.begin(); err != nil {
		return nil, err
	}
	defer h.end()
	n, err := h.m.lookupLocked("open", name)
	if err != nil {
		return nil, err
	}
	return &file{h: h, n: n, name: name}, nil
}

// Stat implements store.FS.
func (h *FS) Stat(name string) (fs.FileInfo, error) {
	if err := h.begin(); err != nil {
		return nil, err
	}
	defer h.end()
	n, err := h.m.lookupLocked("stat", name)
	if err != nil {
		return nil, err
	}
	return info(path.Base(name), n), nil
}

// ReadDir implements store.FS.
func (h *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := h.begin(); err != nil {
		return nil, err
	}
	defer h.end()
	n, err := h.m.lookupLocked("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, pathErr("readdir", name, syscall.ENOTDIR)
	}
	out := make([]fs.DirEntry, 0, len(n.entries))
	for base, c := range n.entries {
		out = append(out, fs.FileInfoToDirEntry(info(base, c)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Remove implements store.FS.
func (h *FS) Remove(name string) error { return h.remove(name, false) }

// RemoveAll implements store.FS.
func (h *FS) RemoveAll(name string) error { return h.remove(name, true) }

func (h *FS) remove(name string, all bool) error {
	if err := h.mutate(); err != nil {
		return err
	}
	defer h.end()
	dir, base, err := h.m.parentLocked("remove", name)
	if err != nil {
		if all && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	n, ok := dir.entries[base]
	switch {
	case !ok && all:
		return nil
	case !ok:
		return pathErr("remove", name, fs.ErrNotExist)
	case n.dir && len(n.entries) > 0 && !all:
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	delete(dir.entries, base)
	return nil
}

// Rename implements store.FS.
func (h *FS) Rename(oldname, newname string) error {
	if err := h.mutate(); err != nil {
		return err
	}
	defer h.end()
	from, fbase, err := h.m.parentLocked("rename", oldname)
	if err != nil {
		return err
	}
	to, tbase, err := h.m.parentLocked("rename", newname)
	if err != nil {
		return err
	}
	n, ok := from.entries[fbase]
	if !ok {
		return pathErr("rename", oldname, fs.ErrNotExist)
	}
	if old, ok := to.entries[tbase]; ok && old.dir {
		return pathErr("rename", newname, syscall.EISDIR)
	}
	delete(from.entries, fbase)
	to.entries[tbase] = n
	return nil
}

// SyncDir implements store.FS: the directory's entries as they are now become durable.
func (h *FS) SyncDir(name string) error {
	if err := h.mutate(); err != nil {
		return err
	}
	defer h.end()
	n, err := h.m.lookupLocked("sync", name)
	if err != nil {
		return err
	}
	if !n.dir {
		return pathErr("sync", name, syscall.ENOTDIR)
	}
	n.syncLocked()
	return nil
}

// Lock implements store.FS. The lock file itself is not made durable, as with flock.
func (h *FS) Lock(name string) (io.Closer, error) {
	if err := h.begin(); err != nil {
		return nil, err
	}
	defer h.end()
	dir, base, err := h.m.parentLocked("lock", name)
	if err != nil {
		return nil, err
	}
	if h.m.locks[name] {
		return nil, pathErr("lock", name, syscall.EWOULDBLOCK)
	}
	if _, ok := dir.entries[base]; !ok {
		dir.entries[base] = &node{}
	}
	h.m.locks[name] = true
	return &lock{h: h, name: name}, nil
}

// Free implements store.FS.
func (h *FS) Free(string) (int64, error) {
	if err := h.begin(); err != nil {
		return 0, err
	}
	defer h.end()
	return h.m.free, nil
}

type lock struct {
	h    *FS
	name string
	done bool
}

// Close releases the lock; after a crash there is nothing left to release.
func (l *lock) Close() error {
	if err := l.h.begin(); err != nil {
		return nil
	}
	defer l.h.end()
	if !l.done {
		l.done = true
		delete(l.h.m.locks, l.name)
	}
	return nil
}
