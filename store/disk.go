package store

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

// DiskOptions configures a Disk store.
type DiskOptions struct {
	// Capacity is the most bytes of block data the store may hold; 0 means no limit but the
	// filesystem's free space.
	Capacity int64
	// Reserve is the number of bytes to leave free on the filesystem for everything else (the
	// Raft log, the OS); Put refuses blocks that would eat into it. 0 reserves nothing.
	Reserve int64
	// FS is the filesystem the store goes through; nil means OSFS, the real one. Tests pass
	// store/strictfs to simulate power loss.
	FS FS
}

// Disk is a Store on a local filesystem. Blocks live in dir/blocks/<xy>/<cid>.data, where <cid>
// is the block's base32 CIDv1 and <xy> its next-to-last two characters (flatfs "next-to-last/2":
// 1024 evenly filled directories, made on first use). A block is written to dir/tmp, fsynced, renamed into place
// and its directory fsynced, so a block is either absent or complete; Open empties dir/tmp.
// One process at a time may open a directory (flock on dir/LOCK).
type Disk struct {
	dir    string
	opts   DiskOptions
	fs     FS
	lock   io.Closer
	closed atomic.Bool

	// stripes serialise Put and Delete of one CID (chosen by the digest's last byte), so the
	// exists check, the write and the accounting of one block happen as one step.
	stripes [256]sync.Mutex

	tmpSeq    atomic.Uint64 // names temporary files; the directory lock makes them unique
	noDirect  atomic.Bool   // set once O_DIRECT was refused: write through the page cache
	relayouts atomic.Int64  // vanished directories recreated while running (heal.go)

	shardMu sync.Mutex
	shards  map[string]bool // guarded by shardMu; fan-out directories known to exist durably

	mu      sync.Mutex
	blocks  int64 // guarded by mu; number of blocks
	used    int64 // guarded by mu; bytes of block data
	pending int64 // guarded by mu; bytes reserved by Puts in progress
}

var _ Store = (*Disk)(nil)

// OpenDisk opens (creating if needed) the block store in dir, removes the debris of writes
// interrupted by a crash, and counts the blocks present. It fails with Unavailable when another
// process holds the directory.
func OpenDisk(dir string, opts DiskOptions) (*Disk, error) {
	const op = "store.OpenDisk"
	if opts.Capacity < 0 || opts.Reserve < 0 {
		return nil, errs.Errorf(op, errs.Invalid, "capacity %d and reserve %d must not be negative", opts.Capacity, opts.Reserve)
	}
	d := &Disk{dir: dir, opts: opts, fs: opts.FS, shards: make(map[string]bool)}
	if d.fs == nil {
		d.fs = OSFS{}
	}
	if err := d.prepare(); err != nil {
		return nil, errs.E(op, ioKind(err), err)
	}
	lock, err := d.fs.Lock(filepath.Join(dir, lockFile))
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	d.lock = lock
	if err := d.cleanTmp(); err != nil {
		d.lock.Close()
		return nil, errs.E(op, ioKind(err), err)
	}
	err = d.walk(context.Background(), func(_ cid.Cid, size int64) error {
		d.blocks++
		d.used += size
		return nil
	})
	if err != nil {
		d.lock.Close()
		return nil, errs.E(op, ioKind(err), err)
	}
	return d, nil
}

// Close releases the directory lock; call it after every other call has returned. Calls after
// Close fail with Unavailable.
func (d *Disk) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	return d.lock.Close()
}

// Dir returns the store's directory.
func (d *Disk) Dir() string { return d.dir }

func (d *Disk) check(ctx context.Context, op string, c cid.Cid) error {
	if d.closed.Load() {
		return errs.Errorf(op, errs.Unavailable, "store %s is closed", d.dir)
	}
	return check(ctx, op, c)
}

// Put implements Store. An existing block is re-read and verified; a damaged copy is replaced.
func (d *Disk) Put(ctx context.Context, c cid.Cid, data []byte) error {
	return d.put(ctx, "store.Disk.Put", c, data, false)
}

// PutVerified is Put for bytes the caller has already hashed to c (the shard protocol hashes
// while receiving), so they are not hashed a second time. A caller that has not checked the
// bytes must use Put: the store would keep a block under the wrong name, and only Get and
// Scrub would notice.
func (d *Disk) PutVerified(ctx context.Context, c cid.Cid, data []byte) error {
	return d.put(ctx, "store.Disk.PutVerified", c, data, true)
}

func (d *Disk) put(ctx context.Context, op string, c cid.Cid, data []byte, verified bool) error {
	if err := d.check(ctx, op, c); err != nil {
		return err
	}
	if len(data) > MaxBlockSize {
		return errs.Errorf(op, errs.Invalid, "block %s is %d bytes, more than the limit of %d", c, len(data), MaxBlockSize)
	}
	if !verified {
		if err := checkPut(ctx, op, c, data); err != nil {
			return err
		}
	}
	mu := d.stripe(c)
	mu.Lock()
	defer mu.Unlock()
	path := d.path(c)
	oldSize, exists, good := d.existing(c, path)
	if good {
		return nil
	}
	if err := d.reserve(op, c, int64(len(data))); err != nil {
		return err
	}
	defer d.release(int64(len(data)))
	if err := d.write(c, path, data); err != nil {
		return errs.E(op, ioKind(err), err)
	}
	d.account(exists, int64(len(data))-oldSize)
	return nil
}

// existing looks at the block already stored at path: its size, whether it exists, and
// whether it is intact.
func (d *Disk) existing(c cid.Cid, path string) (size int64, exists, good bool) {
	b, err := d.readBlock(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, false
	}
	if err != nil {
		fi, serr := d.fs.Stat(path)
		if serr != nil {
			return 0, false, false
		}
		return fi.Size(), true, false
	}
	return int64(len(b)), true, verify("", c, b) == nil
}

func (d *Disk) account(existed bool, delta int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !existed {
		d.blocks++
	}
	d.used += delta
}

// Get implements Store.
func (d *Disk) Get(ctx context.Context, c cid.Cid) ([]byte, error) {
	const op = "store.Disk.Get"
	if err := d.check(ctx, op, c); err != nil {
		return nil, err
	}
	b, err := d.readBlock(d.path(c))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, notExist(op, c)
	case errs.Is(err, errs.Corrupt):
		return nil, errs.E(op, errs.Corrupt, err)
	case err != nil:
		return nil, errs.E(op, ioKind(err), err)
	}
	if err := verify(op, c, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Has implements Store.
func (d *Disk) Has(ctx context.Context, c cid.Cid) (bool, error) {
	_, err := d.Stat(ctx, c)
	if errs.Is(err, errs.NotExist) {
		return false, nil
	}
	return err == nil, err
}

// Stat implements Store.
func (d *Disk) Stat(ctx context.Context, c cid.Cid) (int64, error) {
	const op = "store.Disk.Stat"
	if err := d.check(ctx, op, c); err != nil {
		return 0, err
	}
	fi, err := d.fs.Stat(d.path(c))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, notExist(op, c)
	case err != nil:
		return 0, errs.E(op, ioKind(err), err)
	}
	return fi.Size(), nil
}

// Delete implements Store. The removal is durable (directory fsynced) when Delete returns.
func (d *Disk) Delete(ctx context.Context, c cid.Cid) error {
	const op = "store.Disk.Delete"
	if err := d.check(ctx, op, c); err != nil {
		return err
	}
	mu := d.stripe(c)
	mu.Lock()
	defer mu.Unlock()
	return d.deleteLocked(op, c)
}

// deleteLocked removes c; the caller holds c's stripe lock.
func (d *Disk) deleteLocked(op string, c cid.Cid) error {
	path := d.path(c)
	fi, err := d.fs.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return errs.E(op, ioKind(err), err)
	}
	if err := d.fs.Remove(path); err != nil {
		return errs.E(op, ioKind(err), err)
	}
	if err := d.fs.SyncDir(d.shardDir(c)); err != nil {
		return errs.E(op, ioKind(err), err)
	}
	d.mu.Lock()
	d.blocks--
	d.used -= fi.Size()
	d.mu.Unlock()
	return nil
}

// removeCorrupt deletes c only if its stored bytes are still damaged (a concurrent Put may have
// repaired it since the scrub read it).
func (d *Disk) removeCorrupt(ctx context.Context, c cid.Cid) (bool, error) {
	const op = "store.Disk.Scrub"
	if err := d.check(ctx, op, c); err != nil {
		return false, err
	}
	mu := d.stripe(c)
	mu.Lock()
	defer mu.Unlock()
	if _, exists, good := d.existing(c, d.path(c)); !exists || good {
		return false, nil
	}
	return true, d.deleteLocked(op, c)
}

// Enumerate implements Store. Blocks are listed one directory at a time, so fn may call the
// store (Scrub deletes through it).
func (d *Disk) Enumerate(ctx context.Context, fn func(c cid.Cid, size int64) error) error {
	const op = "store.Disk.Enumerate"
	if d.closed.Load() {
		return errs.Errorf(op, errs.Unavailable, "store %s is closed", d.dir)
	}
	return d.walk(ctx, fn)
}

// ioKind classifies a filesystem error: a full disk is NoSpace, anything else Unavailable.
func ioKind(err error) errs.Kind {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return errs.NoSpace
	}
	if k := errs.KindOf(err); k != errs.Other {
		return k
	}
	return errs.Unavailable
}
