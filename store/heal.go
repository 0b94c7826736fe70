package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

// A running store heals its own layout: when an operator or a cleanup job removed the fan-out
// directories, blocks/, tmp/ or the whole store directory under it, the next Put recreates
// what it needs (made durable by fsyncing each parent) instead of failing every write into a
// directory it once knew until a restart. Health reports a store directory that vanished or
// that can no longer be written (read-only remount, permissions), so readyz and status can say
// so before puts start failing.

// relayout recreates the store directory, tmp/ and blocks/ if any of them vanished, forgets
// the fan-out directories the store believed made, and makes the recreation durable.
func (d *Disk) relayout() error {
	d.shardMu.Lock()
	clear(d.shards)
	d.shardMu.Unlock()
	_, err := d.fs.Stat(d.dir)
	gone := errors.Is(err, fs.ErrNotExist)
	for _, p := range []string{filepath.Join(d.dir, tmpDir), filepath.Join(d.dir, blocksDir)} {
		if err := d.fs.MkdirAll(p); err != nil {
			return err
		}
	}
	sync := []string{filepath.Join(d.dir, blocksDir), filepath.Join(d.dir, tmpDir), d.dir}
	if gone {
		sync = append(sync, filepath.Dir(d.dir))
	}
	for _, p := range sync {
		if err := d.fs.SyncDir(p); err != nil {
			return err
		}
	}
	d.relayouts.Add(1)
	return nil
}

// Relayouts returns how often the store recreated a part of its layout that had vanished
// while it ran (a metric: each one means someone removed the store's directories).
func (d *Disk) Relayouts() int64 { return d.relayouts.Load() }

// healing runs step and, when it fails because a directory of the layout vanished, recreates
// the layout and runs step once more.
func (d *Disk) healing(step func() error) error {
	err := step()
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if rerr := d.relayout(); rerr != nil {
		return rerr
	}
	return step()
}

// Health reports whether the store can take writes: its directory exists and a file can be
// created in it. It fails with Unavailable and a message that says what to do; a store whose
// directories vanished is healed by the next Put, so Health does not recreate them itself
// (an operator who removed the data directory should see that before it silently refills).
func (d *Disk) Health() error {
	const op = "store.Disk.Health"
	if d.closed.Load() {
		return errs.Errorf(op, errs.Unavailable, "store %s is closed", d.dir)
	}
	if _, err := d.fs.Stat(d.dir); errors.Is(err, fs.ErrNotExist) {
		return errs.Errorf(op, errs.Unavailable, "data directory %s vanished while the node ran: restore it or let the next write recreate it, then check the disk's mount", d.dir)
	} else if err != nil {
		return errs.Errorf(op, errs.Unavailable, "data directory %s cannot be read: %v", d.dir, err)
	}
	probe := filepath.Join(d.dir, tmpDir, fmt.Sprintf("health-%d", d.tmpSeq.Add(1)))
	f, err := d.fs.Create(probe)
	if errors.Is(err, fs.ErrNotExist) {
		return errs.Errorf(op, errs.Unavailable, "directory %s vanished while the node ran: the next write recreates it", filepath.Dir(probe))
	}
	if err != nil {
		return errs.Errorf(op, errs.Unavailable, "data directory %s is not writable (%s): remount it read-write or fix its permissions", d.dir, writeProblem(err))
	}
	f.Close()
	d.fs.Remove(probe)
	return nil
}

func writeProblem(err error) string {
	switch {
	case errors.Is(err, syscall.EROFS):
		return "read-only filesystem"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.ENOSPC):
		return "disk full"
	}
	return err.Error()
}

// RemoveCorrupt deletes block c from s after a read found it damaged, as a scrub would: on a
// Disk only if its stored bytes are still damaged (a concurrent Put may have repaired it). It
// reports whether it removed the block.
func RemoveCorrupt(ctx context.Context, s Store, c cid.Cid) (bool, error) {
	return remove(ctx, s, c)
}
