package node

import (
	"crypto/rand"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/consensus"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

func newPeer(t *testing.T) peer.ID {
	priv, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// govState is a governed catalog of member m1 with a voter, a non-voter and a gone node.
func govState(t *testing.T) (st *catalog.State, voter, nonvoter, gone peer.ID) {
	st = catalog.New()
	voter, nonvoter, gone = newPeer(t), newPeer(t), newPeer(t)
	var idx uint64
	run := func(actor string, b catalog.Body) {
		t.Helper()
		c, err := catalog.NewCommand(actor, b)
		if err != nil {
			t.Fatal(err)
		}
		idx++
		c.Time = int64(idx)
		raw, _ := c.Encode()
		if r := st.Apply(idx, raw); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	node := func(id peer.ID, v bool) catalog.Node {
		return catalog.Node{PeerID: id.String(), Member: "m1", Voter: v, State: catalog.NodeActive}
	}
	self := node(voter, true)
	run("admin", &catalog.Bootstrap{
		Federation: catalog.Federation{Name: "f", DefaultPlacement: catalog.Placement{K: 1, M: 1}},
		Member:     catalog.Member{ID: "m1", Name: "M1", Region: "TW", Recipient: "age1raj2cr5f38edr63f73c9qxrjmpu26ykym6knp0rmxdkrus4jv30sxkxtq8"},
		Admin:      catalog.User{ID: "admin", Member: "m1", Roles: policy.RoleAdmin},
		Node:       &self, Governed: true,
	})
	run("admin", &catalog.AddNode{Node: node(nonvoter, false)})
	run("admin", &catalog.AddNode{Node: node(gone, false)})
	run("admin", catalog.RemoveNode(gone.String()))
	return st, voter, nonvoter, gone
}

// TestMembershipFollowsTheCatalog: the guard's rule for each kind of Raft change.
func TestMembershipFollowsTheCatalog(t *testing.T) {
	st, voter, nonvoter, gone := govState(t)
	stranger := newPeer(t)
	cases := []struct {
		name   string
		target peer.ID
		change consensus.Change
		ok     bool
	}{
		{"add a registered voter", voter, consensus.ChangeAddVoter, true},
		{"add a registered non-voter as non-voter", nonvoter, consensus.ChangeAddNonvoter, true},
		{"promote a non-voter without a decision", nonvoter, consensus.ChangeAddVoter, false},
		{"demote a voter", voter, consensus.ChangeAddNonvoter, false},
		{"add an unregistered peer", stranger, consensus.ChangeAddNonvoter, false},
		{"add a gone node", gone, consensus.ChangeAddNonvoter, false},
		{"remove a registered voter", voter, consensus.ChangeRemove, false},
		{"remove a registered non-voter", nonvoter, consensus.ChangeRemove, false},
		{"remove an unregistered peer", stranger, consensus.ChangeRemove, false},
		{"remove a gone node", gone, consensus.ChangeRemove, true},
	}
	for _, c := range cases {
		err := membershipAllowed(st, c.target, c.change)
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.ok && !errs.Is(err, errs.Permission) {
			t.Errorf("%s: err = %v, want permission_denied", c.name, err)
		}
	}
}
