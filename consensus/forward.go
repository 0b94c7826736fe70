package consensus

import (
	"bufio"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/meridian-fed/meridian/errs"
)

// ProposeProtocol carries forwarded proposals, membership changes and read-index requests
// from any member to the leader: one request frame and one response frame per stream.
const ProposeProtocol protocol.ID = "/meridian/propose/1.0.0"

// callSlotted is call under one of the node's forwarding slots.
func (n *Node) callSlotted(ctx context.Context, to peer.ID, req *request) (*response, error) {
	select {
	case n.forwardSlots <- struct{}{}:
		defer func() { <-n.forwardSlots }()
	case <-ctx.Done():
		return nil, errs.E("consensus.forward", errs.Timeout, errors.Join(errNotSent, ctx.Err()))
	}
	return n.call(ctx, to, req)
}

// call sends req to peer to and waits for its answer under ctx. The error is the call's
// as a whole; per-command outcomes of a propose are in the response's results.
func (n *Node) call(ctx context.Context, to peer.ID, req *request) (*response, error) {
	const op = "consensus.forward"
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.RPCTimeout)
		defer cancel()
	}
	dl, _ := ctx.Deadline()
	req.timeout = time.Until(dl)
	s, err := n.host.NewStream(ctx, to, ProposeProtocol)
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, errors.Join(errNotSent, err))
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Reset() })
	defer stop()
	_ = s.SetDeadline(dl)
	body, err := n.exchange(s, req)
	if refusedByLimits(err) {
		return nil, errs.E(op, errs.Unavailable, errors.Join(errNotSent, err))
	}
	if err != nil {
		_ = s.Reset()
		if ctx.Err() != nil {
			return nil, unknownOutcome(op, ctx.Err())
		}
		return nil, unknownOutcome(op, err)
	}
	_ = s.Close()
	resp, err := unmarshalResponse(body)
	if err != nil {
		return nil, err
	}
	return resp, resp.err(op)
}

func (n *Node) exchange(s network.Stream, req *request) ([]byte, error) {
	if err := writeFrame(s, req.marshal()); err != nil {
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		return nil, err
	}
	return readFrame(bufio.NewReader(s), maxFrameCap)
}

// refusedByLimits reports whether the remote's resource manager reset the stream before any
// handler saw it, so the request was not executed.
func refusedByLimits(err error) bool {
	var se *network.StreamError
	return errors.As(err, &se) && se.Remote &&
		(se.ErrorCode == network.StreamResourceLimitExceeded || se.ErrorCode == network.StreamRateLimited)
}

// err rebuilds the error a remote leader reported.
func (r *result) err(op string) error {
	switch {
	case r.rejected:
		return rejection(op, r.kind, r.msg)
	case r.kind == errs.Other && r.msg == "":
		return nil
	}
	return errs.E(op, r.kind, errors.New(r.msg))
}

// toResult encodes a local outcome for the wire.
func toResult(value []byte, index uint64, err error) result {
	if err == nil {
		return result{value: value, index: index}
	}
	r := result{kind: errs.KindOf(err), msg: errs.WithoutPaths(err.Error(), err), index: index} // no file paths to peers
	var rej *Rejection
	if errors.As(err, &rej) {
		r.rejected, r.msg = true, rej.Reason
	}
	if len(r.msg) > maxShortStr {
		r.msg = r.msg[:maxShortStr]
	}
	return r
}

// toResponse encodes the outcome of serveLocal for the wire.
func (n *Node) toResponse(resp *response, err error) *response {
	if resp == nil {
		resp = &response{}
	}
	if err != nil {
		resp.result = toResult(nil, resp.index, err)
	}
	if resp.kind == errs.NotLeader {
		resp.leader = n.Leader().String()
	}
	return resp
}

// handleForward serves one forwarded request from another member.
func (n *Node) handleForward(s network.Stream) {
	done, ok := n.track()
	if !ok {
		_ = s.Reset()
		return
	}
	defer done()
	_ = s.SetDeadline(time.Now().Add(n.cfg.RPCTimeout))
	resp := n.serveStream(s)
	if resp == nil {
		_ = s.Reset()
		return
	}
	_ = s.SetWriteDeadline(time.Now().Add(n.cfg.RPCTimeout))
	if err := writeFrame(s, resp.marshal()); err != nil {
		_ = s.Reset()
		return
	}
	_ = s.Close()
}

// serveStream reads and runs one request; nil means the stream is broken.
func (n *Node) serveStream(s network.Stream) *response {
	from := s.Conn().RemotePeer()
	body, err := readFrame(bufio.NewReader(s), n.cfg.MaxCommandBytes+frameSlack+16*maxBatchCmds)
	if err != nil {
		if errs.Is(err, errs.Invalid) {
			return n.toResponse(nil, err)
		}
		return nil
	}
	if !n.members.contains(n, from) {
		return n.toResponse(nil, errs.Errorf("consensus.forward", errs.Permission, "peer %s is not a member of the raft group; add it first", from))
	}
	req, err := unmarshalRequest(body)
	if err != nil {
		return n.toResponse(nil, err)
	}
	timeout := min(max(req.timeout, time.Millisecond), 6*n.cfg.RPCTimeout)
	ctx, cancel := context.WithTimeout(n.ctx, timeout)
	defer cancel()
	if req.op == opPropose && n.cfg.Guard != nil {
		return n.serveGuardedPropose(ctx, from, req)
	}
	if err := n.guardMembership(from, req); err != nil {
		return n.toResponse(nil, err)
	}
	if req.op == opReadIndex {
		// A follower learns the commit index only from the leader's next AppendEntries, up to
		// CommitTimeout (50 ms) later; a Barrier entry sends one at once.
		idx, err := n.forwardRounds.join(ctx, n)
		return n.toResponse(&response{result: result{index: idx}}, err)
	}
	return n.toResponse(n.serveLocal(ctx, req))
}

// memberCache remembers the raft configuration's server IDs for the forward handler, so it
// does not query raft on every request. A miss refreshes it.
type memberCache struct {
	mu  sync.Mutex
	ids map[peer.ID]bool // guarded by mu
	at  time.Time        // guarded by mu
}

const memberCacheTTL = 5 * time.Second

func (c *memberCache) contains(n *Node, p peer.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids[p] && time.Since(c.at) < memberCacheTTL {
		return true
	}
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	c.ids, c.at = map[peer.ID]bool{}, time.Now()
	for _, s := range f.Configuration().Servers {
		if id, err := peer.Decode(string(s.ID)); err == nil {
			c.ids[id] = true
		}
	}
	return c.ids[p]
}

var _ raft.BatchingFSM = (*fsmAdapter)(nil)
