//go:build integration

package testnet

import (
	"context"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationRepairAfterNodeLoss: a node is lost for good; after the grace period the
// repair loop rebuilds its shards on the remaining nodes, so every stripe is back to k+m.
func TestIntegrationRepairAfterNodeLoss(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 6, Members: 3, K: 3, M: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval = time.Second, time.Second }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	data := randomBytes(6*stripe + 3)
	p := put(t, ctx, c.Client(0), "default", data)
	v, err := c.Client(0).Verify(ctx, p, false)
	if err != nil || fullStripes(v.Stripes) != len(v.Stripes) {
		t.Fatalf("not at full redundancy after publish: %v", err)
	}
	// Lose a node that holds shards of the object (any node but the reader).
	victim := 1
	if err := c.Kill(victim); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if v, err := c.Client(0).Verify(ctx, p, false); err != nil || fullStripes(v.Stripes) == len(v.Stripes) {
		t.Fatalf("losing node %d left every stripe at k+m (err %v): the test proves nothing", victim, err)
	}
	waitUntil(t, ctx, "every stripe back at k+m", func() bool {
		v, err = c.Client(0).Verify(ctx, p, false)
		if err != nil {
			return false
		}
		return fullStripes(v.Stripes) == len(v.Stripes)
	})
	t.Logf("full redundancy %v after the loss (grace 1s, pass interval 1s), %d stripes", time.Since(start).Round(time.Millisecond), len(v.Stripes))
	mustGet(t, ctx, c.Client(3), p, data)
}

func fullStripes(ss []api.StripeHealth) int {
	n := 0
	for _, s := range ss {
		if s.Reachable == s.Total {
			n++
		}
	}
	return n
}

// TestIntegrationDrain: a drained node hands every shard over, marks itself gone, and the
// objects stay at full redundancy on the others.
func TestIntegrationDrain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 6, Members: 3, K: 3, M: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval = time.Second, time.Second }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	data := randomBytes(5*stripe + 1)
	p := put(t, ctx, c.Client(0), "default", data)
	victim := c.Node(2).PeerID().String()
	admin := c.ClientWithToken(5, c.MemberTokens[MemberOf(2, 3)]) // node 5 is of the same member
	if _, err := c.ClientWithToken(0, c.MemberTokens[MemberOf(2, 3)]).SetNodeState(ctx, victim, "draining"); !errs.Is(err, errs.Permission) {
		t.Fatalf("drain through a node of another member: err = %v, want permission_denied", err)
	}
	if _, err := admin.SetNodeState(ctx, victim, "draining"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the drained node to mark itself gone", func() bool {
		nd, err := c.Node(0).State().Node(victim)
		return err == nil && nd.State.String() == "gone"
	})
	v, err := c.Client(0).Verify(ctx, p, false)
	if err != nil || fullStripes(v.Stripes) != len(v.Stripes) {
		t.Fatalf("after drain: %v, stripes %+v", err, v)
	}
	if err := c.Kill(2); err != nil {
		t.Fatal(err)
	}
	mustGet(t, ctx, c.Client(3), p, data)
}

// TestIntegrationRebalanceOnJoin: after a node joins, the repair loops move shards onto it
// until every stripe sits where placement now says, at full redundancy throughout.
func TestIntegrationRebalanceOnJoin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 5, Members: 3, K: 3, M: 2, StripeSize: stripe,
		Tune: func(cfg *node.Config) { cfg.RepairGrace, cfg.RepairInterval = time.Second, 300*time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	data := randomBytes(12*stripe + 5)
	p := put(t, ctx, c.Client(0), "default", data)
	i, err := c.AddNode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "shards to move onto the new node", func() bool {
		st, err := c.Node(i).Status(ctx, api.Subject{Anonymous: true})
		return err == nil && st.Node.Used > 0
	})
	v, err := c.Client(0).Verify(ctx, p, false)
	if err != nil || fullStripes(v.Stripes) != len(v.Stripes) {
		t.Fatalf("redundancy after rebalancing: %v %+v", err, v)
	}
	if err := c.Kill(0); err != nil { // the publisher's own copies must not be needed
		t.Fatal(err)
	}
	mustGet(t, ctx, c.Client(i), p, data)
}
