package p2p

import (
	"context"

	"github.com/ipfs/go-cid"
)

// EnqueueWait schedules an announcement of c like Enqueue, but never drops a pending CID:
// while the queue is half full or more it waits for the workers to take CIDs out. The
// re-provide sweep uses it, so a sweep of a store far larger than the queue announces every
// block at the provide rate instead of evicting all but the last few thousand, and the
// other half of the queue stays free for the announcements of new PUTs (Enqueue), which a
// sweep therefore does not evict either. It reports false when ctx ends or the provider is
// closed.
func (p *Provider) EnqueueWait(ctx context.Context, c cid.Cid) bool {
	for {
		ok, done := p.tryEnqueue(c)
		if done {
			return ok
		}
		select {
		case <-ctx.Done():
			return false
		case <-p.ctx.Done():
			return false
		case <-p.room:
		}
	}
}

// sweepLimit is how many CIDs EnqueueWait lets the queue hold: half of it (at least one).
func (p *Provider) sweepLimit() int { return max(1, p.cfg.Queue/2) }

// tryEnqueue queues c if it is pending already or there is room below sweepLimit. done is
// false when the caller must wait for room; ok is false when the provider is closed.
func (p *Provider) tryEnqueue(c cid.Cid) (ok, done bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		return false, true
	}
	if _, ok := p.queued[c]; ok {
		return true, true
	}
	if p.order.Len() >= p.sweepLimit() {
		return false, false
	}
	p.queued[c] = p.order.PushBack(c)
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return true, true
}

// signalRoom tells a waiting EnqueueWait that a CID left the queue; called with mu held.
func (p *Provider) signalRoom() {
	select {
	case p.room <- struct{}{}:
	default:
	}
}
