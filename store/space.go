package store

import (
	"context"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

// fsFree returns the bytes the filesystem still lets an unprivileged writer use, minus the
// configured reserve.
func (d *Disk) fsFree() (int64, error) {
	avail, err := d.fs.Free(d.dir)
	if err != nil {
		return 0, err
	}
	return avail - d.opts.Reserve, nil
}

// freeLocked is what a new block may use: the filesystem's free space and the capacity left,
// both less the bytes reserved by Puts in progress. d.mu is held.
func (d *Disk) freeLocked(fsFree int64) int64 {
	free := fsFree - d.pending
	if d.opts.Capacity > 0 {
		free = min(free, d.opts.Capacity-d.used-d.pending)
	}
	return max(free, 0)
}

// reserve claims n bytes for a Put before anything is written, or fails with NoSpace.
func (d *Disk) reserve(op string, c cid.Cid, n int64) error {
	var fsFree int64
	err := d.healing(func() (err error) { // statfs of a vanished store directory fails
		fsFree, err = d.fsFree()
		return err
	})
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if free := d.freeLocked(fsFree); n > free {
		return noSpace(op, c, n, free)
	}
	d.pending += n
	return nil
}

func (d *Disk) release(n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pending -= n
}

// Usage implements Store. Used counts block bytes, not the filesystem's allocation units.
func (d *Disk) Usage(ctx context.Context) (Usage, error) {
	const op = "store.Disk.Usage"
	if err := ctxErr(ctx, op); err != nil {
		return Usage{}, err
	}
	fsFree, err := d.fsFree()
	if err != nil {
		return Usage{}, errs.E(op, errs.Unavailable, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return Usage{Blocks: d.blocks, Used: d.used, Free: d.freeLocked(fsFree)}, nil
}
