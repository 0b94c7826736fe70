package shardproto

import (
	"context"
	"io"
	"sync"

	"github.com/ipfs/go-cid"
	pool "github.com/libp2p/go-buffer-pool"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/wire"
	"github.com/meridian-fed/meridian/store"
)

// put receives a body, hashing it as it arrives, and stores it (fsynced) before answering.
func (s *Server) put(st network.Stream, r io.Reader, p []byte) error {
	const op = "shardproto.put"
	d := wire.NewDec(p)
	c, rawSize := d.CID(), d.Uvarint()
	if err := d.Done(); err != nil {
		return err
	}
	if rawSize > uint64(s.cfg.Limits.MaxShardSize) { // compare before converting: no negative sizes
		return errs.Errorf(op, errs.Invalid, "shard of %d bytes exceeds the %d-byte cap", rawSize, s.cfg.Limits.MaxShardSize)
	}
	size := int64(rawSize)
	dg, err := newDigester(c)
	if err != nil {
		return err
	}
	deadline := s.cfg.Limits.deadline(size)
	_ = st.SetDeadline(deadline)
	ctx, cancel := context.WithDeadline(s.ctx, deadline)
	defer cancel()
	release, err := s.acquire(ctx, st.Conn().RemotePeer(), size)
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	defer release()
	data := pool.Get(int(size)) // the store keeps no reference once Put returns
	defer pool.Put(data)
	for off := int64(0); off < size; {
		n, err := io.ReadFull(r, data[off:min(off+chunk, size)])
		dg.Write(data[off : off+int64(n)])
		off += int64(n)
		if err != nil {
			return errs.E(op, errs.Invalid, err)
		}
	}
	err = dg.check(c)
	if err == nil {
		err = s.store(ctx, c, data)
	}
	return answer(st, wire.TOK, nil, err)
}

// VerifiedPutter is an optional fast path of a store: PutVerified stores bytes the caller has
// already hashed to c, so the server's hash while receiving is not repeated by the store.
type VerifiedPutter interface {
	PutVerified(ctx context.Context, c cid.Cid, data []byte) error
}

// store keeps a received shard and, once it is durable, tells the Stored hook (the node
// announces it in the DHT).
func (s *Server) store(ctx context.Context, c cid.Cid, data []byte) error {
	var err error
	if vp, ok := s.cfg.Store.(VerifiedPutter); ok {
		err = vp.PutVerified(ctx, c, data)
	} else {
		err = s.cfg.Store.Put(ctx, c, data)
	}
	if err == nil && s.cfg.Stored != nil {
		s.cfg.Stored(c)
	}
	return err
}

// get answers a whole shard or a byte range of it.
func (s *Server) get(st network.Stream, p []byte) error {
	const op = "shardproto.get"
	d := wire.NewDec(p)
	c, rawOff, rawLen := d.CID(), d.Uvarint(), d.Uvarint()
	if err := d.Done(); err != nil {
		return err
	}
	if rawOff > uint64(s.cfg.Limits.MaxShardSize) || rawLen > uint64(s.cfg.Limits.MaxShardSize) {
		return answer(st, 0, nil, errs.Errorf(op, errs.Invalid, "range %d+%d exceeds the shard size cap", rawOff, rawLen))
	}
	off, length := int64(rawOff), int64(rawLen) // both ≤ the cap: no overflow below
	_ = st.SetDeadline(s.cfg.Limits.deadline(0))
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Limits.BaseTimeout)
	defer cancel()
	if o, ok := s.cfg.Store.(store.Opener); ok {
		return s.stream(ctx, st, o, c, off, length)
	}
	size, err := s.cfg.Store.Stat(ctx, c)
	if err != nil {
		return answer(st, 0, nil, err)
	}
	off, length, err = clampRange(op, off, length, size)
	if err != nil {
		return answer(st, 0, nil, err)
	}
	if err := s.budget.Acquire(ctx, size); err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	defer s.budget.Release(size)
	data, err := s.cfg.Store.Get(ctx, c)
	if err != nil {
		return answer(st, 0, nil, err)
	}
	if int64(len(data)) < off+length {
		return answer(st, 0, nil, errs.Errorf(op, errs.Internal, "shard %s shrank while read", c))
	}
	_ = st.SetDeadline(s.cfg.Limits.deadline(length))
	if err := wire.WriteFrame(st, wire.TData, new(wire.Enc).Uvarint(uint64(length)).Out()); err != nil {
		return err
	}
	_, err = st.Write(data[off : off+length])
	return err
}

// clampRange checks a requested range against the shard's size; length 0 means to the end.
func clampRange(op string, off, length, size int64) (int64, int64, error) {
	if off < 0 || off > size || length < 0 {
		return 0, 0, errs.Errorf(op, errs.Invalid, "range %d+%d outside shard of %d bytes", off, length, size)
	}
	if length == 0 || length > size-off {
		length = size - off
	}
	return off, length, nil
}

// stream answers a GET from an open block file without hashing it here: the receiver
// verifies every shard against its CID (fetch.verify), so hashing on both ends would double
// the cost of every remote read. Memory per request is one copy buffer, not the shard.
func (s *Server) stream(ctx context.Context, st network.Stream, o store.Opener, c cid.Cid, off, length int64) error {
	const op = "shardproto.get"
	b, size, err := o.OpenUnverified(ctx, c)
	if err != nil {
		return answer(st, 0, nil, err)
	}
	defer b.Close()
	if off, length, err = clampRange(op, off, length, size); err != nil {
		return answer(st, 0, nil, err)
	}
	_ = st.SetDeadline(s.cfg.Limits.deadline(length))
	if err := wire.WriteFrame(st, wire.TData, new(wire.Enc).Uvarint(uint64(length)).Out()); err != nil {
		return err
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	n, err := io.CopyBuffer(st, io.NewSectionReader(b, off, length), *buf)
	if err == nil && n < length {
		err = errs.Errorf(op, errs.Internal, "shard %s shrank while read: %d of %d bytes", c, n, length)
	}
	return err
}

// copyBufs holds the buffers stream copies through; large enough for few syscalls and few
// noise frames per shard.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// has answers one bit per CID, in request order.
func (s *Server) has(st network.Stream, p []byte) error {
	cids, err := decodeHas(p, s.cfg.Limits.MaxHas)
	if err != nil {
		return err
	}
	_ = st.SetDeadline(s.cfg.Limits.deadline(0))
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Limits.BaseTimeout)
	defer cancel()
	bits := make([]byte, (len(cids)+7)/8)
	for i, c := range cids {
		ok, err := s.cfg.Store.Has(ctx, c)
		if err != nil {
			return answer(st, 0, nil, err)
		}
		if ok {
			bits[i/8] |= 1 << (i % 8)
		}
	}
	return answer(st, wire.THasRes, bits, nil)
}

// del deletes a shard if the policy allows this caller to.
func (s *Server) del(st network.Stream, from peer.ID, p []byte) error {
	d := wire.NewDec(p)
	c := d.CID()
	if err := d.Done(); err != nil {
		return err
	}
	_ = st.SetDeadline(s.cfg.Limits.deadline(0))
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Limits.BaseTimeout)
	defer cancel()
	if s.cfg.AllowDelete == nil || !s.cfg.AllowDelete(ctx, from, c) {
		return answer(st, 0, nil, errs.Errorf("shardproto.delete", errs.Permission, "peer %s may not delete %s; only repair and GC may", from, c))
	}
	err := s.cfg.Store.Delete(ctx, c)
	if err == nil && s.cfg.Deleted != nil {
		s.cfg.Deleted(c)
	}
	return answer(st, wire.TOK, nil, err)
}

func encodeHas(cids []cid.Cid) []byte {
	var e wire.Enc
	e.Uvarint(uint64(len(cids)))
	for _, c := range cids {
		e.CID(c)
	}
	return e.Out()
}

func decodeHas(p []byte, maxN int) ([]cid.Cid, error) {
	d := wire.NewDec(p)
	n := d.Uvarint()
	if n > uint64(maxN) {
		return nil, errs.Errorf("shardproto.has", errs.Invalid, "HAS of %d CIDs exceeds the batch cap of %d", n, maxN)
	}
	cids := make([]cid.Cid, 0, n)
	for i := uint64(0); i < n && d.Err == nil; i++ {
		cids = append(cids, d.CID())
	}
	return cids, d.Done()
}
