package consensus

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/raft"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/multiformats/go-multiaddr"

	"github.com/meridian-fed/meridian/errs"
)

// Propose replicates cmd and returns the FSM's result once this node knows it was applied.
// Any node may be called: a follower forwards to the leader. Errors:
//   - the FSM's rejection: IsRejected(err), kind Conflict or the kind the FSM gave;
//   - errs.Timeout when ctx ends first, errs.Unavailable when the node stops or the leader is
//     lost mid-flight: the command may still be applied, so read before retrying;
//   - errs.NotLeader is never returned: the call waits for a leader under ctx.
//
// A ctx without a deadline gets Config.RPCTimeout, here and in every call that needs the leader.
func (n *Node) Propose(ctx context.Context, cmd []byte) ([]byte, error) {
	const op = "consensus.Propose"
	if len(cmd) > n.cfg.MaxCommandBytes {
		return nil, errs.Errorf(op, errs.Invalid, "command of %d bytes exceeds MaxCommandBytes %d: split it", len(cmd), n.cfg.MaxCommandBytes)
	}
	resp, err := n.route(ctx, op, &request{op: opPropose, cmds: [][]byte{cmd}})
	if err != nil {
		return nil, err
	}
	return resp.value, nil
}

// AddVoter adds (or promotes) a voter and returns once the configuration change is committed.
// The addresses are added to the leader's peerstore; other members find the peer through
// their host's routing or by connections it opens.
func (n *Node) AddVoter(ctx context.Context, info peer.AddrInfo) error {
	return n.changeMembers(ctx, "consensus.AddVoter", opAddVoter, info)
}

// AddNonvoter adds a member that receives the log but does not vote; it serves local reads.
func (n *Node) AddNonvoter(ctx context.Context, info peer.AddrInfo) error {
	return n.changeMembers(ctx, "consensus.AddNonvoter", opAddNonvoter, info)
}

// RemoveServer removes a member; removing the leader makes it step down once committed.
func (n *Node) RemoveServer(ctx context.Context, id peer.ID) error {
	return n.changeMembers(ctx, "consensus.RemoveServer", opRemoveServer, peer.AddrInfo{ID: id})
}

func (n *Node) changeMembers(ctx context.Context, op string, o opcode, info peer.AddrInfo) error {
	if info.ID == "" {
		return errs.Errorf(op, errs.Invalid, "empty peer ID")
	}
	req := &request{op: o, peer: info.ID.String()}
	for _, a := range info.Addrs {
		req.addrs = append(req.addrs, a.String())
	}
	_, err := n.route(ctx, op, req)
	return err
}

var errNotSent = errors.New("request not sent")

// route runs req on the leader: here if this node leads, else over ProposeProtocol. It
// retries while the answer proves the request was not started (no leader reachable, or the
// callee is not leader), waiting for a leader change or a short backoff in between.
func (n *Node) route(ctx context.Context, op string, req *request) (*response, error) {
	if _, ok := ctx.Deadline(); !ok { // nothing waits forever for a leader
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.RPCTimeout)
		defer cancel()
	}
	backoff := 10 * time.Millisecond
	for {
		changed := n.leaderSeen.wait()
		leader, err := n.WaitLeader(ctx)
		if err != nil {
			return nil, err
		}
		var resp *response
		switch {
		case leader == n.self:
			resp, err = n.serveLocal(ctx, req)
		case req.op == opPropose:
			resp, err = n.forwardPropose(ctx, leader, req.cmds[0])
		default:
			resp, err = n.callSlotted(ctx, leader, req)
		}
		retry := errs.Is(err, errs.NotLeader) || errors.Is(err, errNotSent) ||
			(idempotent(req.op) && errs.Is(err, errs.Unavailable) && !errors.Is(err, errStoppedSentinel))
		if !retry {
			return resp, err
		}
		select {
		case <-changed:
		case <-time.After(backoff):
			backoff = min(2*backoff, 500*time.Millisecond)
		case <-ctx.Done():
			return nil, errs.E(op, errs.Timeout, errors.Join(err, ctx.Err()))
		case <-n.stopped:
			return nil, errStopped(op)
		}
	}
}

// idempotent reports whether a request may be sent again when its outcome is unknown (the
// leader lost its leadership while committing it): reads change nothing, and raft's
// configuration changes converge (adding a server that is already there, or removing one that
// is gone, leaves the configuration as asked). Without this a join whose AddVoter met an
// election failed although a retry would have succeeded at once.
func idempotent(o opcode) bool {
	switch o {
	case opReadIndex, opProbeIndex, opAddVoter, opAddNonvoter, opRemoveServer:
		return true
	}
	return false
}

// serveLocal executes req against the local raft, which refuses with NotLeader unless it leads.
func (n *Node) serveLocal(ctx context.Context, req *request) (*response, error) {
	switch req.op {
	case opPropose:
		if len(req.cmds) == 1 {
			v, idx, err := n.applyLocal(ctx, req.cmds[0])
			return &response{result: result{value: v, index: idx}}, err
		}
		return &response{results: n.applyBatchLocal(ctx, req.cmds)}, nil
	case opReadIndex, opProbeIndex:
		idx, err := n.leaderRounds.join(ctx, n)
		return &response{result: result{index: idx}}, err
	}
	return &response{}, n.changeLocal(ctx, req)
}

// applyLocal proposes cmd to the local raft and waits for it to be applied here.
func (n *Node) applyLocal(ctx context.Context, cmd []byte) ([]byte, uint64, error) {
	const op = "consensus.Propose"
	timeout, err := enqueueTimeout(ctx, op)
	if err != nil {
		return nil, 0, err
	}
	return n.finishApply(ctx, n.raft.Apply(cmd, timeout))
}

// applyBatchLocal proposes a forwarded batch: all commands are queued before any is awaited,
// so raft commits them together.
func (n *Node) applyBatchLocal(ctx context.Context, cmds [][]byte) []result {
	const op = "consensus.Propose"
	out := make([]result, len(cmds))
	timeout, err := enqueueTimeout(ctx, op)
	if err != nil {
		for i := range out {
			out[i] = toResult(nil, 0, err)
		}
		return out
	}
	futures := make([]raft.ApplyFuture, len(cmds))
	for i, c := range cmds {
		futures[i] = n.raft.Apply(c, timeout)
	}
	for i, f := range futures {
		out[i] = toResult(n.finishApply(ctx, f))
	}
	return out
}

// finishApply waits for an applied command and unpacks the FSM's result.
func (n *Node) finishApply(ctx context.Context, f raft.ApplyFuture) ([]byte, uint64, error) {
	const op = "consensus.Propose"
	if err := n.await(ctx, op, f); err != nil {
		return nil, 0, err
	}
	res, _ := f.Response().(applyResult)
	if res.err != nil {
		return nil, f.Index(), rejection(op, errs.KindOf(res.err), res.err.Error())
	}
	return res.value, f.Index(), nil
}

// changeLocal applies a membership change on the local raft.
func (n *Node) changeLocal(ctx context.Context, req *request) error {
	const op = "consensus.changeMembers"
	p, err := peer.Decode(req.peer)
	if err != nil {
		return errs.Errorf(op, errs.Invalid, "bad peer ID %q: %w", req.peer, err)
	}
	timeout, err := enqueueTimeout(ctx, op)
	if err != nil {
		return err
	}
	for _, s := range req.addrs {
		a, err := multiaddr.NewMultiaddr(s)
		if err != nil {
			return errs.Errorf(op, errs.Invalid, "bad multiaddr %q: %w", s, err)
		}
		n.host.Peerstore().AddAddr(p, a, peerstore.PermanentAddrTTL)
	}
	switch req.op {
	case opAddVoter:
		return n.await(ctx, op, n.raft.AddVoter(serverID(p), serverAddr(p), 0, timeout))
	case opAddNonvoter:
		return n.await(ctx, op, n.raft.AddNonvoter(serverID(p), serverAddr(p), 0, timeout))
	case opRemoveServer:
		return n.await(ctx, op, n.raft.RemoveServer(serverID(p), 0, timeout))
	}
	return errs.Errorf(op, errs.Invalid, "unknown op %d", req.op)
}

// enqueueTimeout is how long raft may take to accept a call: the time left under ctx. A done
// ctx is an error, so nothing is queued for a caller that has gone.
func enqueueTimeout(ctx context.Context, op string) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, ctxErr(op, err)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		if err := ctx.Err(); err != nil {
			return 0, ctxErr(op, err)
		}
		return 0, nil // no enqueue timeout; await still watches ctx
	}
	left := time.Until(dl)
	if left <= 0 {
		return 0, ctxErr(op, context.DeadlineExceeded)
	}
	return left, nil
}
