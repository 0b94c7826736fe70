//go:build integration

package testnet

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// streamWatch is one event stream of a test: what it delivered, and how and when it ended.
type streamWatch struct {
	mu    sync.Mutex
	got   []string // PIDs delivered
	err   error    // Events' result, once ended
	ended time.Time
	done  chan struct{}
}

// watchStream opens an event stream of catalog through cl; cancelling ctx ends it. The test
// owns the goroutine: it ends with the stream, and the cleanup waits for it.
func watchStream(t *testing.T, ctx context.Context, cl *api.Client, catalog string) *streamWatch {
	w := &streamWatch{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		err := cl.Events(ctx, catalog, func(o api.Object) error {
			w.mu.Lock()
			w.got = append(w.got, o.PID)
			w.mu.Unlock()
			return nil
		})
		w.mu.Lock()
		w.err, w.ended = err, time.Now()
		w.mu.Unlock()
	}()
	t.Cleanup(func() { <-w.done })
	return w
}

func (w *streamWatch) seen(p string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Contains(w.got, p)
}

// waitOpen publishes through pub until the stream delivers one of those publishes: from then
// on the stream is subscribed on its node.
func (w *streamWatch) waitOpen(t *testing.T, ctx context.Context, pub *api.Client, catalog string) {
	t.Helper()
	var published []string
	octx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	waitUntil(t, octx, "the event stream to open", func() bool {
		select {
		case <-w.done:
			t.Fatalf("the event stream ended before it delivered anything: %v", w.err)
		default:
		}
		published = append(published, put(t, ctx, pub, catalog, randomBytes(500)))
		return slices.ContainsFunc(published, w.seen)
	})
}

// waitEnded waits until the stream ended, at most until deadline, and returns its error.
func (w *streamWatch) waitEnded(t *testing.T, deadline time.Time, what string) (time.Time, error) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(time.Until(deadline)):
		t.Fatalf("the event stream was still open fresh_bound + %v after %s", revocationSlack, what)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ended, w.err
}

// TestIntegrationEventStreamEndsOnRevocation: a stream opened on one node with a token ends,
// with unauthenticated, within fresh_bound + slack of the token's revocation through another
// node, and an object published after the revocation is never delivered on it.
func TestIntegrationEventStreamEndsOnRevocation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	victim := otherThan(c, leaderIndex(t, ctx, c))
	other := adminNodeOtherThan(c, victim)
	tok, err := c.Client(0).AddUser(ctx, api.User{ID: "watcher", Roles: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	only := onlyClient(t, c, victim, tok.Secret)
	p0 := put(t, ctx, c.Client(0), "default", randomBytes(800))
	if err := waitFor(ctx, func() error { _, err := only.Object(ctx, p0); return err }); err != nil {
		t.Fatalf("node %d never served the token: %v", victim, err)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	w := watchStream(t, sctx, only, "default")
	w.waitOpen(t, ctx, c.Client(0), "default")

	bound := c.Node(victim).FreshBound()
	if err := onlyClient(t, c, other, c.Token).RevokeToken(ctx, "watcher", tok.ID); err != nil {
		t.Fatalf("revoke through node %d: %v", other, err)
	}
	revoked := time.Now()
	after := put(t, ctx, c.Client(0), "default", randomBytes(900)) // committed after the revocation
	ended, err := w.waitEnded(t, revoked.Add(bound+revocationSlack), "the revocation")
	if !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("the stream ended with %v (kind %v), want unauthenticated", err, errs.KindOf(err))
	}
	t.Logf("the stream on node %d ended %v after the revocation returned (bound %v)", victim, ended.Sub(revoked), bound)
	admin := onlyClient(t, c, victim, c.Token)
	if err := waitFor(ctx, func() error { _, err := admin.Object(ctx, after); return err }); err != nil {
		t.Fatalf("node %d never applied the publish after the revocation: %v", victim, err)
	}
	if w.seen(after) {
		t.Fatalf("the object %s published after the revocation was delivered", after)
	}
}

// TestIntegrationEventStreamEndsWhenStale: a stream on a follower cut off from the others ends
// with not_caught_up within fresh_bound + slack of the cut: the node can no longer know of a
// revocation.
func TestIntegrationEventStreamEndsWhenStale(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	victim := otherThan(c, leaderIndex(t, ctx, c))
	admin := onlyClient(t, c, victim, c.Token)
	p0 := put(t, ctx, c.Client(0), "default", randomBytes(800))
	if err := waitFor(ctx, func() error { _, err := admin.Object(ctx, p0); return err }); err != nil {
		t.Fatalf("node %d never served the catalog: %v", victim, err)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	w := watchStream(t, sctx, admin, "default")
	w.waitOpen(t, ctx, c.Client(otherThan(c, victim)), "default")
	bound := c.Node(victim).FreshBound()
	c.Partition([]int{victim}, othersOf(c, victim))
	defer c.Heal()
	cut := time.Now()
	ended, err := w.waitEnded(t, cut.Add(bound+revocationSlack), "the partition")
	if !errs.Is(err, errs.NotCaughtUp) {
		t.Fatalf("the stream ended with %v (kind %v), want not_caught_up", err, errs.KindOf(err))
	}
	t.Logf("the stream on node %d ended %v after the partition (bound %v)", victim, ended.Sub(cut), bound)
}

// TestIntegrationEventStreamEndsWhenScopeNarrows: an anonymous stream of a public catalog on a
// follower ends with not_found — the answer for a missing catalog — once the catalog's scope
// is narrowed to its member through another node, and an object published after that is never
// delivered on it.
func TestIntegrationEventStreamEndsWhenScopeNarrows(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	victim := otherThan(c, leaderIndex(t, ctx, c))
	other := adminNodeOtherThan(c, victim)
	if _, err := c.Client(0).CreateCatalog(ctx, api.Catalog{Name: "open", Scope: "public"}); err != nil {
		t.Fatal(err)
	}
	anon := onlyClient(t, c, victim, "")
	p0 := put(t, ctx, c.Client(0), "open", randomBytes(800))
	if err := waitFor(ctx, func() error { _, err := anon.Object(ctx, p0); return err }); err != nil {
		t.Fatalf("node %d never served the public catalog anonymously: %v", victim, err)
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	w := watchStream(t, sctx, anon, "open")
	w.waitOpen(t, ctx, c.Client(0), "open")

	bound := c.Node(victim).FreshBound()
	scope := "member"
	if _, err := onlyClient(t, c, other, c.Token).UpdateCatalog(ctx, "open", api.CatalogUpdate{Scope: &scope}); err != nil {
		t.Fatalf("narrow the scope through node %d: %v", other, err)
	}
	narrowed := time.Now()
	after := put(t, ctx, c.Client(0), "open", randomBytes(900))
	ended, err := w.waitEnded(t, narrowed.Add(bound+revocationSlack), "the scope was narrowed")
	if !errs.Is(err, errs.NotExist) {
		t.Fatalf("the stream ended with %v (kind %v), want not_found", err, errs.KindOf(err))
	}
	t.Logf("the stream on node %d ended %v after the scope was narrowed (bound %v)", victim, ended.Sub(narrowed), bound)
	admin := onlyClient(t, c, victim, c.Token)
	if err := waitFor(ctx, func() error { _, err := admin.Object(ctx, after); return err }); err != nil {
		t.Fatalf("node %d never applied the publish after the narrowing: %v", victim, err)
	}
	if w.seen(after) {
		t.Fatalf("the object %s published after the narrowing was delivered", after)
	}
}
