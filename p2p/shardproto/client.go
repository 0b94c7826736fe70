package shardproto

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
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
// request opens its own stream (yamux makes that cheap, and a slow request never blocks
// another behind it).
type Client struct {
	h      host.Host
	limits Limits
}

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
}

// setDeadline gives the stream time to move body bytes, never past the caller's deadline.
func (c *call) setDeadline(l Limits, body int64) {
	dl := l.deadline(body)
	if !c.ctxLimit.IsZero() && c.ctxLimit.Before(dl) {
		dl = c.ctxLimit
	}
	_ = c.st.SetDeadline(dl)
}

func (cl *Client) open(ctx context.Context, op string, p peer.ID, body int64) (*call, error) {
	st, err := cl.h.NewStream(ctx, p, ID)
	if err != nil {
		return nil, transportErr(ctx, op, p, err)
	}
	k := &call{st: st, r: bufio.NewReaderSize(st, readBuf)}
	k.ctxLimit, _ = ctx.Deadline()
	k.setDeadline(cl.limits, body)
	k.stop = context.AfterFunc(ctx, func() { _ = st.Reset() })
	return k, nil
}

// done ends a call: a clean close after success, a reset otherwise.
func (c *call) done(err error) {
	c.stop()
	if err != nil {
		_ = c.st.Reset()
		return
	}
	_ = c.st.Close()
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
func (cl *Client) PutShard(ctx context.Context, p peer.ID, c cid.Cid, data []byte) (err error) {
	const op = "shardproto.PutShard"
	if int64(len(data)) > cl.limits.MaxShardSize {
		return errs.Errorf(op, errs.Invalid, "shard of %d bytes exceeds the %d-byte cap", len(data), cl.limits.MaxShardSize)
	}
	k, err := cl.open(ctx, op, p, int64(len(data)))
	if err != nil {
		return err
	}
	defer func() { k.done(err) }()
	hdr := new(wire.Enc).CID(c).Uvarint(uint64(len(data))).Out()
	werr := wire.WriteFrame(k.st, wire.TPut, hdr)
	if werr == nil {
		_, werr = k.st.Write(data)
	}
	// Read the answer even after a failed write: the server may have refused early.
	_, err = wire.Expect(k.r, wire.TOK, wire.MaxFrame)
	if err != nil && !wire.IsRemote(err) && werr != nil {
		err = werr
	}
	return transportErr(ctx, op, p, err)
}

// GetShard fetches length bytes of shard c from p starting at off; length 0 means to the
// end. A whole shard (off 0, length 0) is verified against c; a range cannot be. The buffer
// comes from libp2p's shared buffer pool (go-buffer-pool): a caller done with it may hand it
// back with pool.Put, which spares the next read fresh pages; dropping it is fine too.
func (cl *Client) GetShard(ctx context.Context, p peer.ID, c cid.Cid, off, length int64) (data []byte, err error) {
	const op = "shardproto.GetShard"
	if off < 0 || length < 0 {
		return nil, errs.Errorf(op, errs.Invalid, "bad range %d+%d", off, length)
	}
	k, err := cl.open(ctx, op, p, max(length, cl.limits.MaxShardSize/4))
	if err != nil {
		return nil, err
	}
	defer func() { k.done(err) }()
	req := new(wire.Enc).CID(c).Uvarint(uint64(off)).Uvarint(uint64(length)).Out()
	if err := wire.WriteFrame(k.st, wire.TGet, req); err != nil {
		return nil, transportErr(ctx, op, p, err)
	}
	var dg *digester
	if off == 0 && length == 0 {
		if dg, err = newDigester(c); err != nil {
			return nil, err
		}
	}
	data, err = cl.readBody(k, length, dg)
	if err != nil {
		return nil, transportErr(ctx, op, p, err)
	}
	if dg != nil {
		if err := dg.check(c); err != nil {
			pool.Put(data)
			return nil, errs.Errorf(op, errs.Corrupt, "peer %s sent bad bytes for %s", p, c)
		}
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

func (cl *Client) hasBatch(ctx context.Context, p peer.ID, cids []cid.Cid) (have []bool, err error) {
	const op = "shardproto.HasShards"
	k, err := cl.open(ctx, op, p, 0)
	if err != nil {
		return nil, err
	}
	defer func() { k.done(err) }()
	if err := wire.WriteFrame(k.st, wire.THas, encodeHas(cids)); err != nil {
		return nil, transportErr(ctx, op, p, err)
	}
	bits, err := wire.Expect(k.r, wire.THasRes, wire.MaxFrame)
	if err != nil {
		return nil, transportErr(ctx, op, p, err)
	}
	if len(bits) != (len(cids)+7)/8 {
		return nil, errs.Errorf(op, errs.Invalid, "peer %s answered %d bitmap bytes for %d CIDs", p, len(bits), len(cids))
	}
	have = make([]bool, len(cids))
	for i := range have {
		have[i] = bits[i/8]&(1<<(i%8)) != 0
	}
	return have, nil
}

// DeleteShard asks p to delete c; p refuses unless its policy allows this node to.
func (cl *Client) DeleteShard(ctx context.Context, p peer.ID, c cid.Cid) (err error) {
	const op = "shardproto.DeleteShard"
	k, err := cl.open(ctx, op, p, 0)
	if err != nil {
		return err
	}
	defer func() { k.done(err) }()
	if err := wire.WriteFrame(k.st, wire.TDelete, new(wire.Enc).CID(c).Out()); err != nil {
		return transportErr(ctx, op, p, err)
	}
	_, err = wire.Expect(k.r, wire.TOK, wire.MaxFrame)
	return transportErr(ctx, op, p, err)
}
