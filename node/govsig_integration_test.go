//go:build integration

package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
	"github.com/meridian-fed/meridian/testnet"
)

// TestIntegrationGovLeaderCannotForgeApprovals: the Raft leader, run by a modified node of
// its member, writes an approval in another member's name straight into the log (past the
// API and the per-member guard): signed with its own key, or unsigned. The catalog refuses
// both inside apply, on every replica, and the proposal stays open; the other member's admin,
// acting through its own node, approves it.
func TestIntegrationGovLeaderCannotForgeApprovals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := testnet.Start(ctx, testnet.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tokens := map[string]string{"m1": c.Token, "m2": c.MemberTokens["m2"], "m3": c.MemberTokens["m3"]}
	first := map[string]int{"m1": 0, "m2": 1, "m3": 2} // a member's first node: node k-1 for mk
	leader := -1
	for i := range c.Len() {
		if node.RaftOf(c.Node(i)).IsLeader() {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no leader")
	}
	lm := testnet.MemberOf(leader, 3)
	victim := "m1"
	for _, m := range []string{"m1", "m2", "m3"} {
		if m != lm {
			victim = m
			break
		}
	}
	p, err := c.ClientWithToken(first[lm], tokens[lm]).Propose(ctx, api.ProposalRequest{Action: "add-member", Member: "m9", Node: randomPeer(t).String()})
	if err != nil || p.Status != "open" {
		t.Fatalf("proposal by %s: %+v, %v", lm, p, err)
	}
	ln := c.Node(leader)
	fed, _ := ln.State().Federation()
	u, err := ln.State().User(victim + "-admin")
	if err != nil || u.Member != victim {
		t.Fatalf("no admin user %s-admin: %v", victim, err)
	}
	signed := &catalog.GovApprove{ID: p.ID}
	catalog.SignGov(signed, fed.Name, u.ID, ln.PeerID().String(), node.SignKeyOf(ln))
	for what, body := range map[string]*catalog.GovApprove{"signed by the leader": signed, "unsigned": {ID: p.ID}} {
		cmd, err := catalog.NewCommand(u.ID, body)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Time = time.Now().UnixNano()
		b, err := cmd.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := node.RaftOf(ln).Propose(ctx, b); !errs.Is(err, errs.Permission) {
			t.Fatalf("%s's approval %s (of %s): err = %v, want permission_denied", victim, what, lm, err)
		}
	}
	for i := range c.Len() {
		for _, q := range c.Node(i).State().Proposals() {
			if q.ID == p.ID && (!q.Open() || len(q.Approvals) != 1) {
				t.Fatalf("node %d: a forged approval counted: %+v", i, q)
			}
		}
	}
	if p, err = c.ClientWithToken(first[victim], tokens[victim]).Approve(ctx, p.ID); err != nil || p.Status != "passed" {
		t.Fatalf("approval by %s through its own node: %+v, %v", victim, p, err)
	}
}
