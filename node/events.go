package node

import (
	"context"
	"sync"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
)

// broker fans newly committed objects out to local subscribers (server-sent events). A slow
// subscriber loses events rather than blocking Raft's apply loop; its channel buffer bounds
// the memory one subscriber can hold.
type broker struct {
	mu   sync.Mutex
	subs map[*subscription]struct{} // guarded by mu
}

type subscription struct {
	ctx     context.Context
	sub     api.Subject
	catalog string
	ch      chan api.Object
}

const subscriberBuffer = 256

func newBroker() *broker { return &broker{subs: make(map[*subscription]struct{})} }

func (b *broker) add(s *subscription) {
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
}

func (b *broker) remove(s *subscription) {
	b.mu.Lock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
	b.mu.Unlock()
}

// publishObject tells matching subscribers about a committed object. It runs on the apply
// path, so it only reads local state and never blocks.
func (b *broker) publishObject(n *Node, o *catalog.Object) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.catalog != o.Catalog || n.authorizeRead(s.sub, o.Catalog) != nil {
			continue
		}
		obj, err := n.toAPIObject(o)
		if err != nil {
			continue
		}
		select {
		case s.ch <- *obj:
		default:
			n.metrics.eventsDropped.Inc()
		}
	}
}

// Subscribe implements api.Backend.
func (n *Node) Subscribe(ctx context.Context, sub api.Subject, catalog string) (<-chan api.Object, error) {
	if err := n.seeCatalogLocal(sub, catalog); err != nil {
		return nil, err
	}
	s := &subscription{ctx: ctx, sub: sub, catalog: catalog, ch: make(chan api.Object, subscriberBuffer)}
	n.events.add(s)
	n.goFunc(func() {
		select {
		case <-ctx.Done():
		case <-n.stopped():
		}
		n.events.remove(s)
	})
	return s.ch, nil
}
