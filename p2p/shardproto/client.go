package shardproto

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	pool "github.com/libp2p/go-buffer-pool"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/wire"
)

// Client speaks the shard protocol to other nodes. It is safe for concurrent use; every
// request has a stream to itself (a slow request never blocks another behind it): an idle one
// from the pool (streampool.go) or a new one.
type Client struct {
	h      host.Host
	limits Limits
	pool   streamPool
	opened atomic.Int64 // streams opened, for tests
}

// Close drops the idle streams.
func (cl *Client) Close() { cl.pool.close() }

// NewClient returns a client sending from h. The zero Limits means the defaults.
func NewClient(h host.Host, limits Limits) *Client {
	return &Client{h: h, limits: limits.withDefaults()}
}

// call is one request on its own stream.
type call struct {
	st       network.Stream
	r        *bufio.Reader
	stop     func() bool
	ctxLimit time.Time // the caller's deadline, if any
	peer     peer.ID
	reuse    bool // the stream goes back to the pool after a clean answer
	reused   bool // the stream came from the pool
}

// setDeadline gives the stream time to move body bytes, never past the caller's deadline.
func (c *call) setDeadline(l Limits, body int64) {
	dl := l.deadline(body)
	if !c.ctxLimit.IsZero() && c.ctxLimit.Before(dl) {
		dl = c.ctxLimit
	}
	_ = c.st.SetDeadline(dl)
}

// open starts a call to p: on an idle stream from the pool when reuse allows and one is
// there, else on a new stream.
func (cl *Client) open(ctx context.Context, op string, p peer.ID, body int64, reuse bool) (*call, error) {
	k := &call{peer: p, reuse: reuse}
	if reuse {
		if x, ok := cl.pool.get(p, time.Now()); ok {
			k.st, k.r, k.reused = x.st, x.r, true
		}
	}
	if k.st == nil {
		st, err := cl.h.NewStream(ctx, p, ID)
		if err != nil {
			return nil, transportErr(ctx, op, p, err)
		}
		cl.opened.Add(1)
		k.st, k.r = st, bufio.NewReaderSize(st, readBuf)
	}
	k.ctxLimit, _ = ctx.Deadline()
	k.setDeadline(cl.limits, body)
	st := k.st
	k.stop = context.AfterFunc(ctx, func() { _ = st.Reset() })
	return k, nil
}

// finish ends a call: its stream goes back to the pool after a clean answer that left it in
// step, is closed when it may not be reused, and is reset after a failure.
func (cl *Client) finish(k *call, err error) {
	live := k.stop() // false: the caller gave up and the stream was reset
	switch {
	case err != nil || !live:
		_ = k.st.Reset()
	case k.reuse && k.r.Buffered() == 0:
		_ = k.st.SetDeadline(time.Time{})
		cl.pool.put(k.peer, idleStream{st: k.st, r: k.r, since: time.Now()})
	default:
		_ = k.st.Close()
	}
}

// do runs one poolable request: fn on a call, retried once on a fresh stream when a reused
// stream failed in transport (the server may have closed it while idle). Only idempotent
// requests come here.
func (cl *Client) do(ctx context.Context, op string, p peer.ID, body int64, fn func(k *call) error) error {
	k, err := cl.open(ctx, op, p, body, true)
	if err != nil {
		return err
	}
	err = fn(k)
	if err != nil && k.reused && staleStream(ctx, err) {
		cl.finish(k, err)
		cl.pool.drop(p) // its siblings are as old
		if k, err = cl.open(ctx, op, p, body, true); err != nil {
			return err
		}
		err = fn(k)
	}
	cl.finish(k, err)
	return transportErr(ctx, op, p, err)
}

// staleStream tells whether err on a reused stream may just mean the stream was gone: a
// transport failure, not an answer, not a deadline, not the caller giving up.
func staleStream(ctx context.Context, err error) bool {
	return ctx.Err() == nil && !wire.IsRemote(err) && errs.KindOf(err) == errs.Other &&
		!errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded)
}

// transportErr classifies a failure that did not come from the remote side.
func transportErr(ctx context.Context, op string, p peer.ID, err error) error {
	if err == nil || wire.IsRemote(err) || errs.KindOf(err) != errs.Other {
		return err
	}
	if ctx.Err() != nil { // the stream was reset because the caller gave up
		err = context.Cause(ctx)
	}
	if errors.Is(err, context.Canceled) {
		return errs.E(op, errs.Other, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return errs.Errorf(op, errs.Timeout, "peer %s: %w", p, err)
	}
	return errs.Errorf(op, errs.Unavailable, "peer %s: %w; check that it is up and reachable", p, err)
}

// PutShard sends a shard to p, which verifies it against c and makes it durable before
// acknowledging.
func (cl *Client) PutShard(ctx context.Context, p peer.ID, c cid.Cid, data []byte) error {
	const op = "shardproto.PutShard"
	if int64(len(data)) > cl.limits.MaxShardSize {
		return errs.Errorf(op, errs.Invalid, "shard of %d bytes exceeds the %d-byte cap", len(data), cl.limits.MaxShardSize)
	}
	hdr := new(wire.Enc).CID(c).Uvarint(uint64(len(data))).Out()
	return cl.do(ctx, op, p, int64(len(data)), func(k *call) error {
		werr := wire.WriteFrame(k.st, wire.TPut, hdr)
		if werr == nil {
			_, werr = k.st.Write(data)
		}
		// Read the answer even after a failed write: the server may have refused early.
		_, err := wire.Expect(k.r, wire.TOK, wire.MaxFrame)
		if err != nil && !wire.IsRemote(err) && werr != nil {
			err = werr
		}
		return err
	})
}

// GetShard fetches length bytes of shard c from p starting at off; length 0 means to the
// end. A whole shard (off 0, length 0) is verified against c; a range cannot be. The buffer
// comes from libp2p's shared buffer pool (go-buffer-pool): a caller done with it may hand it
// back with pool.Put, which spares the next read fresh pages; dropping it is fine too.
func (cl *Client) GetShard(ctx context.Context, p peer.ID, c cid.Cid, off, length int64) ([]byte, error) {
	const op = "shardproto.GetShard"
	if off < 0 || length < 0 {
		return nil, errs.Errorf(op, errs.Invalid, "bad range %d+%d", off, length)
	}
	req := new(wire.Enc).CID(c).Uvarint(uint64(off)).Uvarint(uint64(length)).Out()
	var data []byte
	err := cl.do(ctx, op, p, max(length, cl.limits.MaxShardSize/4), func(k *call) error {
		if err := wire.WriteFrame(k.st, wire.TGet, req); err != nil {
			return err
		}
		var dg *digester
		if off == 0 && length == 0 {
			var err error
			if dg, err = newDigester(c); err != nil {
				return err
			}
		}
		b, err := cl.readBody(k, length, dg)
		if err != nil {
			return err
		}
		if dg != nil && dg.check(c) != nil {
			pool.Put(b)
			return errs.Errorf(op, errs.Corrupt, "peer %s sent bad bytes for %s", p, c)
		}
		data = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// VerifiesShards reports that GetShard checks whole shards against their CID (see
// fetch.VerifyingGetter).
func (cl *Client) VerifiesShards() bool { return true }

// readBody reads a TData answer, feeding dg (if any) as the bytes arrive.
func (cl *Client) readBody(k *call, length int64, dg *digester) ([]byte, error) {
	p, err := wire.Expect(k.r, wire.TData, wire.MaxFrame)
	if err != nil {
		return nil, err
	}
	d := wire.NewDec(p)
	rawN := d.Uvarint()
	if err := d.Done(); err != nil {
		return nil, err
	}
	if rawN > uint64(cl.limits.MaxShardSize) || (length > 0 && rawN > uint64(length)) {
		return nil, errs.Errorf("shardproto.GetShard", errs.Invalid, "peer announced %d bytes, more than asked", rawN)
	}
	n := int64(rawN)
	k.setDeadline(cl.limits, n)
	data := pool.Get(int(n))
	for off := int64(0); off < n; {
		m, err := io.ReadFull(k.r, data[off:min(off+chunk, n)])
		if dg != nil {
			dg.Write(data[off : off+int64(m)])
		}
		off += int64(m)
		if err != nil {
			pool.Put(data)
			return nil, err
		}
	}
	return data, nil
}

// HasShards asks p which of cids it holds, in batches of at most the HAS cap per request.
func (cl *Client) HasShards(ctx context.Context, p peer.ID, cids []cid.Cid) ([]bool, error) {
	have := make([]bool, 0, len(cids))
	for len(cids) > 0 {
		n := min(len(cids), cl.limits.MaxHas)
		got, err := cl.hasBatch(ctx, p, cids[:n])
		if err != nil {
			return nil, err
		}
		have, cids = append(have, got...), cids[n:]
	}
	return have, nil
}

func (cl *Client) hasBatch(ctx context.Context, p peer.ID, cids []cid.Cid) ([]bool, error) {
	const op = "shardproto.HasShards"
	var have []bool
	err := cl.do(ctx, op, p, 0, func(k *call) error {
		if err := wire.WriteFrame(k.st, wire.THas, encodeHas(cids)); err != nil {
			return err
		}
		bits, err := wire.Expect(k.r, wire.THasRes, wire.MaxFrame)
		if err != nil {
			return err
		}
		if len(bits) != (len(cids)+7)/8 {
			return errs.Errorf(op, errs.Invalid, "peer %s answered %d bitmap bytes for %d CIDs", p, len(bits), len(cids))
		}
		have = make([]bool, len(cids))
		for i := range have {
			have[i] = bits[i/8]&(1<<(i%8)) != 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return have, nil
}

// DeleteShard asks p to delete c; p refuses unless its policy allows this node to.
func (cl *Client) DeleteShard(ctx context.Context, p peer.ID, c cid.Cid) (err error) {
	const op = "shardproto.DeleteShard"
	k, err := cl.open(ctx, op, p, 0, false) // not retried: a lost answer would turn into NotExist
	if err != nil {
		return err
	}
	defer func() { cl.finish(k, err) }()
	if err := wire.WriteFrame(k.st, wire.TDelete, new(wire.Enc).CID(c).Out()); err != nil {
		return transportErr(ctx, op, p, err)
	}
	_, err = wire.Expect(k.r, wire.TOK, wire.MaxFrame)
	return transportErr(ctx, op, p, err)
}
