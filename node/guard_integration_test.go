//go:build integration

package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
	"github.com/meridian-fed/meridian/testnet"
)

// TestIntegrationGuardRefusesMembershipFrames: holding one member's node key, a peer sends
// the leader raw membership frames on the propose protocol: removing another member's voter
// (the leader itself) and adding a voter the catalog never registered. Both are refused, the
// voter stays, and nothing reaches the audit log.
func TestIntegrationGuardRefusesMembershipFrames(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := testnet.Start(ctx, testnet.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	leader, attacker := -1, -1
	for i := range c.Len() {
		if node.RaftOf(c.Node(i)).IsLeader() {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no leader")
	}
	lm := testnet.MemberOf(leader, 3)
	for i := range c.Len() {
		if testnet.MemberOf(i, 3) != lm {
			attacker = i
			break
		}
	}
	before, _ := c.Node(0).State().Audit(0, 1<<20)
	target := c.Node(leader).PeerID()
	raw := node.RaftOf(c.Node(attacker)) // forwards the frame as is: no local check
	if err := raw.RemoveServer(ctx, target); !errs.Is(err, errs.Permission) {
		t.Fatalf("node of %s removing the leader (of %s): err = %v, want permission_denied", testnet.MemberOf(attacker, 3), lm, err)
	}
	if err := raw.AddVoter(ctx, peer.AddrInfo{ID: randomPeer(t)}); !errs.Is(err, errs.Permission) {
		t.Fatalf("adding an unregistered voter: err = %v, want permission_denied", err)
	}
	ms, err := node.RaftOf(c.Node(leader)).Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	voter := false
	for _, m := range ms {
		voter = voter || m.ID == target && m.Voter
	}
	if !voter || len(ms) != c.Len() {
		t.Fatalf("raft configuration changed: %+v", ms)
	}
	after, _ := c.Node(0).State().Audit(0, 1<<20)
	if len(after) != len(before) {
		t.Fatalf("the refused frames left %d audit entries", len(after)-len(before))
	}
}

func randomPeer(t *testing.T) peer.ID {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := crypto.UnmarshalEd25519PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestIntegrationRemoveMemberLeavesRaft: a passed remove-member (proposed by one member,
// approved by a second, of three) retires the member, and the leader takes its nodes out of
// the Raft configuration, a change the guard allows only because the catalog decided it.
func TestIntegrationRemoveMemberLeavesRaft(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := testnet.Start(ctx, testnet.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tokens := map[string]string{"m1": c.Token, "m2": c.MemberTokens["m2"], "m3": c.MemberTokens["m3"]}
	leader := -1
	for i := range c.Len() {
		if node.RaftOf(c.Node(i)).IsLeader() {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatal("no leader")
	}
	// The proposer is the leader's member, the target another, the approver the third; a
	// member's admin acts through the member's first node (node k-1 for member mk).
	ids := []string{"m1", "m2", "m3"}
	lm := testnet.MemberOf(leader, 3)
	var target, approver string
	for _, m := range ids {
		if m != lm && target == "" {
			target = m
		} else if m != lm {
			approver = m
		}
	}
	first := map[string]int{"m1": 0, "m2": 1, "m3": 2}
	p, err := c.ClientWithToken(first[lm], tokens[lm]).Propose(ctx, api.ProposalRequest{Action: "remove-member", Member: target})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != "open" {
		t.Fatalf("remove-member passed with one member of three: %+v", p)
	}
	var gone []string
	for i := range c.Len() {
		if testnet.MemberOf(i, 3) == target {
			gone = append(gone, c.Node(i).PeerID().String())
		}
	}
	if n := raftServers(t, ctx, c.Node(leader)); !containsAll(n, gone) {
		t.Fatalf("%s's nodes left Raft before the decision passed", target)
	}
	if p, err = c.ClientWithToken(first[approver], tokens[approver]).Approve(ctx, p.ID); err != nil || p.Status != "passed" {
		t.Fatalf("approval by %s: %+v, %v", approver, p, err)
	}
	wctx, stop := context.WithTimeout(ctx, 30*time.Second) // the mesh loop reacts at once
	defer stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for containsAny(raftServers(t, ctx, c.Node(leader)), gone) {
		select {
		case <-wctx.Done():
			t.Fatalf("%s's nodes still in Raft after it was removed", target)
		case <-tick.C:
		}
	}
}

func raftServers(t *testing.T, ctx context.Context, n *node.Node) map[string]bool {
	t.Helper()
	ms, err := node.RaftOf(n).Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range ms {
		out[m.ID.String()] = true
	}
	return out
}

func containsAll(set map[string]bool, ids []string) bool {
	for _, id := range ids {
		if !set[id] {
			return false
		}
	}
	return true
}

func containsAny(set map[string]bool, ids []string) bool {
	for _, id := range ids {
		if set[id] {
			return true
		}
	}
	return false
}
