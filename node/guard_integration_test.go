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
