//go:build integration

package consensus

import (
	"context"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func (g *testGater) block(p peer.ID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocked[p] = true
}

func (g *testGater) unblockAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.blocked)
}

// isolate cuts the running nodes in side off from all others, both ways, and closes their
// connections; raft and forwarding streams then fail like on a real partition.
func (c *testCluster) isolate(side ...int) {
	for i, a := range c.nodes {
		for j, b := range c.nodes {
			if slices.Contains(side, i) == slices.Contains(side, j) {
				continue
			}
			a.gater.block(b.id)
			if a.host != nil {
				_ = a.host.Network().ClosePeer(b.id)
			}
		}
	}
}

// heal lifts every partition and reconnects the running nodes.
func (c *testCluster) heal(ctx context.Context) {
	for _, n := range c.nodes {
		n.gater.unblockAll()
	}
	for _, a := range c.nodes {
		for _, b := range c.nodes {
			if a == b || a.host == nil || b.host == nil {
				continue
			}
			clearBackoff(a.host, b.id)
			_ = a.host.Connect(ctx, peer.AddrInfo{ID: b.id, Addrs: b.host.Addrs()})
		}
	}
}

// restart starts a killed node again from its data dir.
func (c *testCluster) restart(ctx context.Context, i int) {
	c.start(i, false)
	for j, o := range c.nodes {
		if j != i && o.host != nil {
			_ = c.nodes[i].host.Connect(ctx, peer.AddrInfo{ID: o.id, Addrs: o.host.Addrs()})
		}
	}
}

func (c *testCluster) alive() []int {
	var out []int
	for i, n := range c.nodes {
		if n.node != nil {
			out = append(out, i)
		}
	}
	return out
}

// leader waits until the running nodes agree on a leader and returns its index.
func (c *testCluster) leader(ctx context.Context) int {
	c.t.Helper()
	for {
		for i, n := range c.nodes {
			if n.node != nil && n.node.IsLeader() {
				return i
			}
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("no leader: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitApplied waits until node i's FSM has applied idx.
func (c *testCluster) waitApplied(ctx context.Context, i int, idx uint64) {
	c.t.Helper()
	n := c.nodes[i].node
	if err := n.fsm.waitApplied(ctx, idx, n.stopped); err != nil {
		c.t.Fatalf("node %d applied %d, want %d: %v", i, n.AppliedIndex(), idx, err)
	}
}

// put writes k=v through node i like a client would: an idempotent put whose outcome is
// unknown (leader lost mid-flight, timeout) is retried until ctx ends.
func (c *testCluster) put(ctx context.Context, i int, k, v string) {
	c.t.Helper()
	for {
		attempt, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := c.nodes[i].node.Propose(attempt, putCmd(k, v))
		cancel()
		switch {
		case err == nil:
			return
		case IsRejected(err) || ctx.Err() != nil:
			c.t.Fatalf("put %s=%s via node %d: %v", k, v, i, err)
		}
		c.t.Logf("put %s=%s via node %d: %v; retrying", k, v, i, err)
	}
}

func (f *kvFSM) restoreCount() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.restores
}
