package chunker

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"golang.org/x/sync/errgroup"
)

// EncodedStripe is one stripe's output, handed to Encode's put callback. Shards and CIDs are
// only valid during the call: put must copy what it keeps (the buffers are reused).
type EncodedStripe struct {
	Index        int
	Shards       [][]byte  // k data then m parity shards, all the same length
	CIDs         []cid.Cid // CIDv1 raw sha2-256 of each shard
	PlacementKey [32]byte  // sha256 over the CIDs' bytes in order
	Last         bool      // the object's final stripe: the manifest is known once it is encoded
}

// Result is what Encode returns once every stripe was put.
type Result struct {
	ContentCID    cid.Cid
	SHA256        [32]byte
	Size          int64
	Manifest      *Manifest
	ManifestBytes []byte // canonical DAG-CBOR
	ManifestCID   cid.Cid
}

// PutFunc stores one encoded stripe. Encode calls it from several goroutines for different
// stripes at once (at most Params.Workers); it must not keep s.Shards after returning.
type PutFunc func(ctx context.Context, s *EncodedStripe) error

// job is one stripe travelling through the pipeline with its reusable buffers.
type job struct {
	index int
	last  bool
	s     scratch
	info  Stripe
}

// jobs keeps stripe buffers between objects, so a node encoding many objects does not allocate
// and zero tens of MiB for each.
var jobs sync.Pool

func getJob() *job {
	if j, ok := jobs.Get().(*job); ok {
		return j
	}
	return &job{}
}

// recycle returns the idle jobs to the pool; it runs after every goroutine of the pipeline has
// stopped. Jobs still held elsewhere after an error are left to the garbage collector.
func (e *encoder) recycle() {
	for {
		select {
		case j := <-e.free:
			jobs.Put(j)
		default:
			return
		}
	}
}

// window is the number of stripes in flight: the memory bound is about window × 3 × stripe size
// plus the shards (k+m)/k × stripe size each.
func (p Params) window() int { return 2 * p.workers() }

// Encode reads r to EOF and encodes it under dek: per stripe compress, encrypt, erasure-code
// and put; alongside it computes the content CID and sha256. Stripes are processed by
// p.Workers goroutines and memory stays bounded by the window of stripes in flight, whatever
// the size of r. It returns after every put returned nil, or with the first error.
func Encode(ctx context.Context, r io.Reader, p Params, dek []byte, put PutFunc) (*Result, error) {
	const op = "chunker.Encode"
	if r == nil || put == nil {
		return nil, errs.Errorf(op, errs.Invalid, "Encode needs a reader and a put function")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	c, err := newCodec(p.K, p.M, dek)
	if err != nil {
		return nil, err
	}
	e := &encoder{p: p, c: c, put: put, whole: sha256.New(), content: newContentHasher(p.StripeSize),
		free: make(chan *job, p.window()), todo: make(chan *job), done: make(chan *job, p.window())}
	for range p.window() {
		e.free <- getJob()
	}
	defer e.recycle()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { defer close(e.todo); return e.read(gctx, bufio.NewReaderSize(r, 1<<16)) })
	workers, wctx := errgroup.WithContext(gctx)
	for range p.workers() {
		workers.Go(func() error { return e.work(wctx) })
	}
	g.Go(func() error { defer close(e.done); return workers.Wait() })
	stripes, err := e.collect(gctx)
	if werr := g.Wait(); werr != nil {
		err = werr
	}
	if err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	return e.result(stripes)
}

type encoder struct {
	p       Params
	c       *codec
	put     PutFunc
	whole   hash.Hash // sha256 of the whole content; only collect() touches it, in order
	content *contentHasher
	size    int64
	free    chan *job // idle jobs; taking one is the backpressure that bounds memory
	todo    chan *job // read, waiting for a worker
	done    chan *job // encoded and put, in any order
}

// read cuts r into stripes, in order. The whole-content sha256 is left to collect, off the
// path from the reader to the workers (a one-stripe object's shards are then on their way
// while it is computed).
func (e *encoder) read(ctx context.Context, r *bufio.Reader) error {
	for index := 0; ; index++ {
		var j *job
		select {
		case j = <-e.free:
		case <-ctx.Done():
			return ctx.Err()
		}
		j.s.plain = grow(j.s.plain, e.p.StripeSize)
		n, err := io.ReadFull(r, j.s.plain)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return errs.Errorf("", errs.Unavailable, "reading the input: %w", err)
		}
		j.s.plain = j.s.plain[:n]
		j.index, j.last = index, err != nil
		if !j.last {
			if _, perr := r.Peek(1); perr == io.EOF {
				j.last = true
			} else if perr != nil {
				return errs.Errorf("", errs.Unavailable, "reading the input: %w", perr)
			}
		}
		e.size += int64(n)
		select {
		case e.todo <- j:
		case <-ctx.Done():
			return ctx.Err()
		}
		if j.last {
			return nil
		}
	}
}

// work encodes and puts stripes until the reader is done.
func (e *encoder) work(ctx context.Context) error {
	for {
		var j *job
		select {
		case j = <-e.todo:
		case <-ctx.Done():
			return ctx.Err()
		}
		if j == nil {
			return nil // reader finished
		}
		// The leaf digests feed only the content CID (collect), so they are hashed beside the
		// encoding and the put: a one-stripe object's shards leave without waiting for them.
		var leaves sync.WaitGroup
		if e.content.aligned {
			leaves.Go(func() { j.s.leaves = leafDigests(j.s.leaves, j.s.plain) })
		}
		j.info = e.c.encode(j.index, j.last, &j.s)
		es := &EncodedStripe{Index: j.index, Shards: j.s.slots, CIDs: j.s.cids, PlacementKey: PlacementKey(j.s.cids), Last: j.last}
		err := e.put(ctx, es)
		leaves.Wait()
		if err != nil {
			return fmt.Errorf("storing stripe %d: %w", j.index, err)
		}
		select {
		case e.done <- j:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// collect puts encoded stripes back in order, feeds their leaves to the content CID and their
// bytes to the whole-content sha256, and recycles their buffers.
func (e *encoder) collect(ctx context.Context) ([]Stripe, error) {
	var stripes []Stripe
	pending := map[int]*job{}
	for j := range e.done {
		pending[j.index] = j
		for {
			next, ok := pending[len(stripes)]
			if !ok {
				break
			}
			delete(pending, next.index)
			e.content.add(next.s.plain, next.s.leaves)
			e.whole.Write(next.s.plain)
			stripes = append(stripes, next.info)
			e.free <- next
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return nil, errors.New("chunker: stripes lost in the pipeline")
	}
	return stripes, nil
}

func (e *encoder) result(stripes []Stripe) (*Result, error) {
	res := &Result{ContentCID: e.content.root(), Size: e.size}
	e.whole.Sum(res.SHA256[:0])
	res.Manifest = &Manifest{Version: FormatVersion, Size: e.size, K: e.p.K, M: e.p.M,
		StripeSize: e.p.StripeSize, Cipher: cipherID, Compression: CompressionZstd,
		Content: res.ContentCID, SHA256: res.SHA256, Stripes: stripes}
	b, err := res.Manifest.Encode()
	if err != nil {
		return nil, err
	}
	res.ManifestBytes, res.ManifestCID = b, ManifestCID(b)
	return res, nil
}
