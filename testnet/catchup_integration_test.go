//go:build integration

package testnet

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// TestIntegrationRestartedNodeCatchesUpBeforeAnswering: a node restarted from its data dir
// holds the catalog as of its shutdown. A user added and an object published while it was
// down are unknown to it until it has caught up, and in that window it must answer 503
// (NotCaughtUp: "try another node"), never 401 ("ask an admin for a new token") nor 404.
func TestIntegrationRestartedNodeCatchesUpBeforeAnswering(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	const victim = 4 // not the bootstrapper; a node of member m2
	if err := c.Kill(victim); err != nil {
		t.Fatal(err)
	}
	// While it is down: a new user (with a new token) and a new object, through node 0.
	tok, err := c.Client(0).AddUser(ctx, api.User{ID: "late", Roles: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	p := put(t, ctx, c.Client(0), "default", randomBytes(1000))

	if err := c.Restart(ctx, victim); err != nil {
		t.Fatal(err)
	}
	only, err := api.NewClient([]string{c.Endpoint(victim)}, tok.Secret, c.TLS()) // no failover
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	unavailable := 0
	err = waitFor(ctx, func() error {
		o, err := only.Object(ctx, p)
		switch {
		case err == nil && o.PID == p:
			return nil
		case err == nil:
			return backoffStop{fmt.Errorf("asked for %s, got %s", p, o.PID)}
		case errs.Is(err, errs.NotCaughtUp):
			unavailable++
			return err
		}
		return backoffStop{fmt.Errorf("after %d answers of 503 and %v: %v (kind %v); want the object or NotCaughtUp",
			unavailable, time.Since(start), err, errs.KindOf(err))}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Node(victim); n == nil || !n.CaughtUp() {
		t.Fatal("the node answered but does not report itself caught up")
	}
	t.Logf("restarted node answered after %v and %d answers of 503", time.Since(start), unavailable)
}
