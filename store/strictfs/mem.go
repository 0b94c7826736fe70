// Package strictfs is an in-memory store.FS that remembers, for every file and directory, what
// was fsynced, and at a simulated power cut (Crash) drops everything else: file data written
// since the file's last Sync, and entries created, renamed or removed since their directory's
// last SyncDir (the approach of Pebble's strict MemFS). Tests run a Disk store over it to check
// that every block acknowledged before the cut is there after it, intact.
package strictfs

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"sync"
	"syscall"
)

// ErrPowerLost is what every call through a handle made before the last Crash returns: the
// process that held it is gone.
var ErrPowerLost = errors.New("strictfs: power lost; reopen with a new handle from Mem.FS")

// Mem is the simulated disk. Its zero value is not usable; call New.
type Mem struct {
	mu      sync.Mutex
	root    *node           // guarded by mu; always durable
	epoch   int             // guarded by mu; handles of an older epoch fail with ErrPowerLost
	locks   map[string]bool // guarded by mu; held Lock files, dropped by Crash
	free    int64           // guarded by mu; what Free reports
	ops     int             // guarded by mu; mutating calls so far
	crashAt int             // guarded by mu; the mutating call that cuts power (0: none)
}

// node is a file or a directory. A directory's entries are what a listing sees now, durable
// what survives a crash; a file's data likewise against synced.
type node struct {
	dir              bool
	entries, durable map[string]*node
	data, synced     []byte
}

func newDir() *node {
	return &node{dir: true, entries: make(map[string]*node), durable: make(map[string]*node)}
}

// New returns an empty disk with a durable root directory and 1 TiB free.
func New() *Mem {
	return &Mem{root: newDir(), locks: make(map[string]bool), free: 1 << 40}
}

// FS returns a handle on the disk for one "process": it works until the next Crash.
func (m *Mem) FS() *FS {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &FS{m: m, epoch: m.epoch}
}

// Crash cuts the power: every directory forgets the entries not yet synced, every file the
// data not yet synced, locks are released and every handle made before fails from now on.
func (m *Mem) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.crashLocked()
}

func (m *Mem) crashLocked() {
	m.epoch++
	m.crashAt = 0
	m.locks = make(map[string]bool)
	revert(m.root, make(map[*node]bool))
}

// revert rolls n and everything durably below it back to its synced state.
func revert(n *node, seen map[*node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	if !n.dir {
		n.data = clone(n.synced)
		return
	}
	n.entries = make(map[string]*node, len(n.durable))
	for name, c := range n.durable {
		n.entries[name] = c
		revert(c, seen)
	}
}

// CrashAfter arms a power cut: the n-th mutating call from now (create, write, sync, rename,
// remove, mkdir, truncate, directory sync) crashes the disk instead of taking effect. n <= 0
// disarms it.
func (m *Mem) CrashAfter(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.crashAt = 0
	if n > 0 {
		m.crashAt = m.ops + n
	}
}

// Ops returns the number of mutating calls made so far.
func (m *Mem) Ops() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ops
}

// SetFree sets the free space Free reports.
func (m *Mem) SetFree(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.free = n
}

// ReadFile returns the current contents of a file, as a test inspects a disk.
func (m *Mem) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked("read", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, pathErr("read", name, syscall.EISDIR)
	}
	return clone(n.data), nil
}

// Damage replaces the contents of an existing file, durably, as a bad disk would.
func (m *Mem) Damage(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookupLocked("write", name)
	if err != nil {
		return err
	}
	if n.dir {
		return pathErr("write", name, syscall.EISDIR)
	}
	n.data, n.synced = clone(data), clone(data)
	return nil
}

// lookupLocked finds the node at name.
func (m *Mem) lookupLocked(op, name string) (*node, error) {
	parts, err := split(op, name)
	if err != nil {
		return nil, err
	}
	n := m.root
	for _, p := range parts {
		if !n.dir {
			return nil, pathErr(op, name, syscall.ENOTDIR)
		}
		c, ok := n.entries[p]
		if !ok {
			return nil, pathErr(op, name, fs.ErrNotExist)
		}
		n = c
	}
	return n, nil
}

// parentLocked finds the directory that holds name and name's last element.
func (m *Mem) parentLocked(op, name string) (*node, string, error) {
	parts, err := split(op, name)
	if err != nil {
		return nil, "", err
	}
	if len(parts) == 0 {
		return nil, "", pathErr(op, name, syscall.EINVAL)
	}
	dir, err := m.lookupLocked(op, "/"+strings.Join(parts[:len(parts)-1], "/"))
	if err != nil {
		return nil, "", err
	}
	if !dir.dir {
		return nil, "", pathErr(op, name, syscall.ENOTDIR)
	}
	return dir, parts[len(parts)-1], nil
}

func split(op, name string) ([]string, error) {
	if !path.IsAbs(name) {
		return nil, pathErr(op, name, errors.New("strictfs takes absolute paths only"))
	}
	c := path.Clean(name)
	if c == "/" {
		return nil, nil
	}
	return strings.Split(c[1:], "/"), nil
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
