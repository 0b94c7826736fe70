package store

import (
	"context"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
)

// ScrubOptions controls Scrub.
type ScrubOptions struct {
	// Remove deletes blocks whose bytes no longer match their CID, so that Has reports them
	// missing and repair restores them from the other shards of their stripe. A damaged block
	// is worthless (it cannot be told apart from a forgery), so it is deleted, not quarantined.
	Remove bool
	// BytesPerSecond paces the reads so that a scrub does not starve serving; 0: no pacing.
	BytesPerSecond int64
}

// ScrubReport counts what a scrub saw.
type ScrubReport struct {
	Blocks  int64 // blocks read and re-hashed
	Bytes   int64 // bytes re-hashed
	Corrupt int64 // blocks whose bytes do not match their CID
	Removed int64 // corrupt blocks deleted (ScrubOptions.Remove)
	Failed  int64 // blocks that could not be read (I/O errors)
}

// corruptRemover is implemented by stores that can delete a block only if it is still damaged,
// so a scrub racing with a repairing Put does not delete the fresh copy.
type corruptRemover interface {
	removeCorrupt(ctx context.Context, c cid.Cid) (bool, error)
}

// Scrub re-reads and re-hashes every block of s. For each block that is damaged (errs.Corrupt)
// or unreadable it calls fn (which may be nil) with the block and the error, and with
// opts.Remove it deletes damaged blocks. It returns early only when ctx is done or the store
// cannot be listed; per-block problems are counted in the report.
func Scrub(ctx context.Context, s Store, opts ScrubOptions, fn func(c cid.Cid, err error)) (ScrubReport, error) {
	var rep ScrubReport
	p := pacer{rate: opts.BytesPerSecond, start: time.Now()}
	err := s.Enumerate(ctx, func(c cid.Cid, size int64) error {
		b, err := s.Get(ctx, c)
		switch {
		case err == nil:
			rep.Blocks++
			rep.Bytes += int64(len(b))
		case errs.Is(err, errs.NotExist):
			return nil // deleted since it was listed
		case ctx.Err() != nil:
			return ctxErr(ctx, "store.Scrub")
		case errs.Is(err, errs.Corrupt):
			rep.Blocks++
			rep.Bytes += size
			rep.Corrupt++
			if opts.Remove {
				removed, rerr := remove(ctx, s, c)
				if rerr != nil {
					err = rerr
				}
				if removed {
					rep.Removed++
				}
			}
			report(fn, c, err)
		default:
			rep.Failed++
			report(fn, c, err)
		}
		return p.wait(ctx, rep.Bytes)
	})
	return rep, err
}

func report(fn func(cid.Cid, error), c cid.Cid, err error) {
	if fn != nil {
		fn(c, err)
	}
}

func remove(ctx context.Context, s Store, c cid.Cid) (bool, error) {
	if r, ok := s.(corruptRemover); ok {
		return r.removeCorrupt(ctx, c)
	}
	return true, s.Delete(ctx, c)
}

// pacer sleeps so that bytes/elapsed stays at or under rate.
type pacer struct {
	rate  int64
	start time.Time
}

func (p pacer) wait(ctx context.Context, done int64) error {
	if p.rate <= 0 {
		return nil
	}
	due := p.start.Add(time.Duration(float64(done) / float64(p.rate) * float64(time.Second)))
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctxErr(ctx, "store.Scrub")
	}
}
