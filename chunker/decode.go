package chunker

import (
	"context"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"golang.org/x/sync/errgroup"
)

// ShardSource returns the shards of one stripe, in the order of cids, with nil for the ones it
// could not get. Returning at least k good ones is its job, but Decode re-verifies every shard
// against its CID and treats a mismatch as missing. It may be called concurrently for different
// stripes, and Decode never writes into the returned buffers.
type ShardSource interface {
	Shards(ctx context.Context, stripe int, cids []cid.Cid, k int) ([][]byte, error)
}

// VerifyingSource is an optional interface of a ShardSource that checks every shard it
// returns against its CID (as the node's fetcher does); Decode then does not hash them again.
type VerifyingSource interface {
	ShardSource
	VerifiesShards() bool
}

// ShardReleaser is an optional interface of a ShardSource whose buffers are its own to
// recycle: Decode hands each stripe's shards back once it has decoded them and holds no
// reference to them any more.
type ShardReleaser interface {
	ShardSource
	ReleaseShards(shards [][]byte)
}

// Decode writes bytes [off, off+length) of the object described by m to w (length -1 means to
// the end). Only the stripes the range covers are fetched. Stripes are decoded by
// params-many workers in parallel and written in order; a whole-object read is also checked
// against the manifest's content CID (the PID names that; the manifest's sha256 is left to
// the client, which gets it as Repr-Digest, so no byte is hashed twice for one check). A stripe with fewer than k verified shards fails
// with kind Unavailable naming the stripe; bytes that do not authenticate fail with Corrupt.
func Decode(ctx context.Context, m *Manifest, dek []byte, src ShardSource, w io.Writer, off, length int64) error {
	return DecodeParallel(ctx, m, dek, src, w, off, length, 0)
}

// DecodeParallel is Decode with workers stripes fetched and decoded at once (0: GOMAXPROCS).
// A source that fetches over the network is latency-bound, so more workers than cores keep
// more round trips in flight; memory stays bounded by 2 × workers stripes.
func DecodeParallel(ctx context.Context, m *Manifest, dek []byte, src ShardSource, w io.Writer, off, length int64, workers int) error {
	const op = "chunker.Decode"
	if m == nil || src == nil || w == nil {
		return errs.Errorf(op, errs.Invalid, "Decode needs a manifest, a shard source and a writer")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if length < 0 {
		length = m.Size - off
	}
	if off < 0 || off > m.Size || length < 0 || length > m.Size-off {
		return errs.Errorf(op, errs.Invalid, "range %d+%d is outside the object of %d bytes", off, length, m.Size)
	}
	c, err := newCodec(m.K, m.M, dek)
	if err != nil {
		return err
	}
	if workers < 0 || workers > MaxWorkers {
		return errs.Errorf(op, errs.Invalid, "workers %d: use 0 to %d", workers, MaxWorkers)
	}
	d := &decoder{m: m, c: c, src: src, w: w, off: off, end: off + length, workers: workers}
	if v, ok := src.(VerifyingSource); ok {
		d.trusted = v.VerifiesShards()
	}
	d.release, _ = src.(ShardReleaser)
	d.first, d.last = d.stripeRange()
	if d.first > d.last {
		return nil
	}
	if off == 0 && length == m.Size {
		d.content = newContentHasher(m.StripeSize)
	}
	if err := d.run(ctx); err != nil {
		return errs.E(op, errs.Other, err)
	}
	return d.check()
}

type decoder struct {
	m           *Manifest
	c           *codec
	src         ShardSource
	w           io.Writer
	off, end    int64
	first, last int            // stripes to decode, inclusive
	next        int            // the next stripe to write
	workers     int            // 0: GOMAXPROCS
	trusted     bool           // src implements VerifyingSource: shards are not hashed again
	release     ShardReleaser  // src takes its buffers back after each stripe, or nil
	content     *contentHasher // nil unless the whole object is read
	checked     bool           // content compared with the manifest (at the last stripe)
	free        chan *job
	todo        chan *job
	done        chan *job
}

// stripeRange returns the stripes covering [off, end). A whole read of an empty object still
// decodes its one (empty) stripe, which authenticates the object.
func (d *decoder) stripeRange() (int, int) {
	s := int64(d.m.StripeSize)
	if d.off == d.end {
		if d.m.Size == 0 {
			return 0, 0
		}
		return 1, 0
	}
	return int(d.off / s), int((d.end - 1) / s)
}

func (d *decoder) run(ctx context.Context) error {
	p := Params{Workers: d.workers}
	d.free, d.todo, d.done = make(chan *job, p.window()), make(chan *job), make(chan *job, p.window())
	for range p.window() {
		d.free <- getJob()
	}
	defer d.recycle()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { defer close(d.todo); return d.feed(gctx) })
	workers, wctx := errgroup.WithContext(gctx)
	for range p.workers() {
		workers.Go(func() error { return d.work(wctx) })
	}
	g.Go(func() error { defer close(d.done); return workers.Wait() })
	if err := d.write(); err != nil {
		cancel() // stop the feeder and workers; the write error is the one to report
		_ = g.Wait()
		return err
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if d.next != d.last+1 {
		return fmt.Errorf("stripes %d to %d were not decoded", d.next, d.last)
	}
	return nil
}

// recycle returns the idle jobs to the pool once the pipeline has stopped.
func (d *decoder) recycle() {
	for {
		select {
		case j := <-d.free:
			jobs.Put(j)
		default:
			return
		}
	}
}

// feed hands the stripes to decode to the workers, in order, as buffers free up.
func (d *decoder) feed(ctx context.Context) error {
	for i := d.first; i <= d.last; i++ {
		var j *job
		select {
		case j = <-d.free:
		case <-ctx.Done():
			return ctx.Err()
		}
		j.index, j.last = i, i == len(d.m.Stripes)-1
		select {
		case d.todo <- j:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (d *decoder) work(ctx context.Context) error {
	for {
		var j *job
		select {
		case j = <-d.todo:
		case <-ctx.Done():
			return ctx.Err()
		}
		if j == nil {
			return nil
		}
		st := &d.m.Stripes[j.index]
		shards, err := d.src.Shards(ctx, j.index, st.Shards, d.m.K)
		if err != nil {
			return fmt.Errorf("fetching stripe %d: %w", j.index, err)
		}
		err = d.c.decode(j.index, j.last, st, shards, &j.s, d.trusted)
		clear(j.s.slots) // they point into shards, which go back to the source now
		if d.release != nil {
			d.release.ReleaseShards(shards)
		}
		if err != nil {
			return err
		}
		if d.content != nil && d.content.aligned && j.index != d.last {
			j.s.leaves = leafDigests(j.s.leaves, j.s.plain) // the last stripe's: in emit
		}
		select {
		case d.done <- j:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
