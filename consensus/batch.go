package consensus

import (
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
)

// A follower groups the proposals waiting to be forwarded into one request per stream: under
// load a stream round trip carries many commands, and the leader queues them all before
// waiting, so raft commits them in one disk write.

// proposal is one command waiting to be forwarded.
type proposal struct {
	to       peer.ID
	cmd      []byte
	deadline time.Time
	done     chan outcome // buffered; receives exactly one outcome
}

type outcome struct {
	value []byte
	err   error
}

// forwardQueueLen bounds the proposals waiting for a forwarding slot.
const forwardQueueLen = 4096

// forwardPropose hands cmd to the batcher and waits for its outcome under ctx.
func (n *Node) forwardPropose(ctx context.Context, to peer.ID, cmd []byte) (*response, error) {
	const op = "consensus.forward"
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(n.cfg.RPCTimeout)
	}
	p := &proposal{to: to, cmd: cmd, deadline: dl, done: make(chan outcome, 1)}
	select {
	case n.forwardQueue <- p:
	case <-ctx.Done():
		return nil, errs.E(op, errs.Timeout, errors.Join(errNotSent, ctx.Err()))
	case <-n.stopped:
		return nil, errStopped(op)
	}
	select {
	case o := <-p.done:
		return &response{result: result{value: o.value}}, o.err
	case <-ctx.Done():
		return nil, unknownOutcome(op, ctx.Err())
	case <-n.stopped:
		return nil, errStopped(op)
	}
}

// runBatcher takes a forwarding slot, then everything queued for the same leader (up to
// maxBatchCmds commands and MaxCommandBytes bytes), and sends it in the background.
func (n *Node) runBatcher() {
	var carry *proposal
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case first = <-n.forwardQueue:
			case <-n.ctx.Done():
				return
			}
		}
		select {
		case n.forwardSlots <- struct{}{}:
		case <-n.ctx.Done():
			first.done <- outcome{err: errStopped("consensus.forward")}
			return
		}
		batch := []*proposal{first}
		size := len(first.cmd)
	fill:
		for len(batch) < maxBatchCmds {
			select {
			case p := <-n.forwardQueue:
				if p.to != first.to || size+len(p.cmd) > n.cfg.MaxCommandBytes {
					carry = p
					break fill
				}
				batch, size = append(batch, p), size+len(p.cmd)
			default:
				break fill
			}
		}
		if !n.goTracked(func() { defer func() { <-n.forwardSlots }(); n.sendBatch(batch) }) {
			for _, p := range batch {
				p.done <- outcome{err: errStopped("consensus.forward")}
			}
			return
		}
	}
}

// sendBatch forwards a batch and hands each proposal its outcome.
func (n *Node) sendBatch(batch []*proposal) {
	const op = "consensus.forward"
	dl := batch[0].deadline
	req := &request{op: opPropose}
	for _, p := range batch {
		req.cmds = append(req.cmds, p.cmd)
		if p.deadline.After(dl) {
			dl = p.deadline
		}
	}
	ctx, cancel := context.WithDeadline(n.ctx, dl)
	defer cancel()
	resp, err := n.call(ctx, batch[0].to, req)
	if err == nil && len(resp.results) != len(batch) && len(batch) > 1 {
		err = errs.Errorf(op, errs.Corrupt, "leader answered %d results for %d commands", len(resp.results), len(batch))
	}
	for i, p := range batch {
		switch {
		case err != nil:
			p.done <- outcome{err: err}
		case len(batch) == 1:
			p.done <- outcome{value: resp.value}
		default:
			r := resp.results[i]
			p.done <- outcome{value: r.value, err: r.err(op)}
		}
	}
}
