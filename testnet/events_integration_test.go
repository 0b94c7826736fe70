//go:build integration

package testnet

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
)

// TestIntegrationEventsReachOtherNodes: a subscriber on node 1 is told of objects published
// through node 0, from the Raft apply on node 1 (node.applied hands catalog.Result.Object to the
// subscribers). The stream is open once an event for one of our publishes arrives; from then on
// a further publish must arrive too, naming its PID and index.
func TestIntegrationEventsReachOtherNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	var mu sync.Mutex
	var got []api.Object
	var streamErr error // the last stream's end, while the catalog may not have reached node 1
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { // owned by the test: stop ends it, and the test waits for it
		defer close(done)
		for sctx.Err() == nil {
			err := c.Client(1).Events(sctx, "default", func(o api.Object) error {
				mu.Lock()
				got = append(got, o)
				mu.Unlock()
				return nil
			})
			mu.Lock()
			streamErr = err
			mu.Unlock()
			select {
			case <-sctx.Done():
			case <-time.After(50 * time.Millisecond): // subscribe again, as a client would
			}
		}
	}()
	defer func() { stop(); <-done }()
	seen := func(p string) (api.Object, bool) {
		mu.Lock()
		defer mu.Unlock()
		i := slices.IndexFunc(got, func(o api.Object) bool { return o.PID == p })
		if i < 0 {
			return api.Object{}, false
		}
		return got[i], true
	}
	var published []string
	octx, ocancel := context.WithTimeout(ctx, time.Minute)
	defer ocancel()
	waitUntil(t, octx, "the event stream to open (an event for one of our publishes)", func() bool {
		published = append(published, put(t, ctx, c.Client(0), "default", randomBytes(1000)))
		for _, p := range published {
			if _, ok := seen(p); ok {
				return true
			}
		}
		mu.Lock()
		t.Logf("no event yet; last stream end: %v", streamErr)
		mu.Unlock()
		return false
	})
	p := put(t, ctx, c.Client(0), "default", randomBytes(2000))
	var ev api.Object
	waitUntil(t, ctx, "the event of the last publish on node 1", func() bool {
		var ok bool
		ev, ok = seen(p)
		return ok
	})
	o, err := c.Client(1).Object(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if ev.PublishIndex == 0 || ev.PublishIndex != o.PublishIndex || ev.Record.Catalog != "default" {
		t.Fatalf("event %+v does not describe the object resolved on node 1 (index %d)", ev, o.PublishIndex)
	}
}
