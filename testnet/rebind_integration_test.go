//go:build integration

package testnet

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationGovernanceRebind: once a member's nodes are all gone, another member's node
// cannot register a node for it (the join redeemed there is refused) until a majority passes
// rebind-member naming the peer; then that peer, and no other, joins as the member's node.
func TestIntegrationGovernanceRebind(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	m1 := c.Client(0)
	m2 := c.ClientWithToken(1, c.MemberTokens["m2"])

	// m4 joins (non-voter) through m1's node, then removes its only node.
	m4cfg, m4id := newJoiner(t, c, "m4", "m4-node")
	p, err := m1.Propose(ctx, api.ProposalRequest{Action: "add-member", Member: "m4", Node: m4id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Approve(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	tok, err := joinToken(t, ctx, c, 0, m4cfg, false)
	if err != nil {
		t.Fatalf("m4 join: %v", err)
	}
	m4, err := api.NewClient([]string{m4cfg.APIAddr}, tok, api.WithTLS(api.TLSTrust{Pins: pinsOf([]string{m4cfg.DataDir})}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m4.SetNodeState(ctx, m4id, "gone"); err != nil {
		t.Fatal(err)
	}

	// A new node of m4 (with m4's member key, as its operator restores it) joins through m1's node.
	next := func(name string) (node.Config, string) {
		cfg, id := newJoiner(t, c, "m4", name)
		key, err := os.ReadFile(filepath.Join(m4cfg.DataDir, node.MemberKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg.DataDir, node.MemberKeyFile), key, 0o600); err != nil {
			t.Fatal(err)
		}
		return cfg, id
	}
	newCfg, newID := next("m4-next")
	if err := tryJoin(t, ctx, c, 0, newCfg, false); !errs.Is(err, errs.Conflict) {
		t.Fatalf("join for a member without nodes, without a decision: %v, want conflict", err)
	}
	// m4 has no node to send commands through now: another member's admin proposes.
	rb, err := m1.Propose(ctx, api.ProposalRequest{Action: "rebind-member", Member: "m4", Node: newID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Approve(ctx, rb.ID); err != nil {
		t.Fatal(err)
	}
	m3 := c.ClientWithToken(2, c.MemberTokens["m3"])
	if passed, err := m3.Approve(ctx, rb.ID); err != nil || passed.Status != "passed" {
		t.Fatalf("rebind with 3 of 4: %+v, %v", passed, err)
	}
	otherCfg, _ := next("m4-other")
	if err := tryJoin(t, ctx, c, 0, otherCfg, false); !errs.Is(err, errs.Conflict) {
		t.Fatalf("join of a peer the rebind did not name: %v, want conflict", err)
	}
	if err := tryJoin(t, ctx, c, 0, newCfg, false); err != nil {
		t.Fatalf("join of the peer the rebind named: %v", err)
	}
	nodes, err := m1.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.PeerID == newID && n.Member == "m4" && n.State == "active" {
			return
		}
	}
	t.Fatalf("m4's new node %s not registered: %+v", newID, nodes)
}
