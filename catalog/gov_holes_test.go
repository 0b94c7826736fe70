package catalog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// A member whose nodes are all gone cannot be taken over by another member's node or admin
// registering a node for it; its own admin still can.
func TestGovNodeOfAMemberWithoutNodes(t *testing.T) {
	f := govThree(t)
	f.must("esa-admin", RemoveNode(f.peers["esa"]))
	impostor := Node{PeerID: peerOf(t, seedKey("node-nchc-for-esa")), Member: "esa", State: NodeActive}
	wantKind(t, "a node of nchc registers a node for esa", f.run(NodePrefix+f.peers["nchc"], &AddNode{Node: impostor}).Err, errs.Permission)
	wantKind(t, "an admin of aist registers a node for esa", f.run("aist-admin", &AddNode{Node: impostor}).Err, errs.Permission)
	if r := f.addNode("esa", "node-esa-2", false); r.Err != nil { // esa's own admin
		t.Fatal(r.Err)
	}
}

func TestGovNodeOfAMemberWithoutNodesUngoverned(t *testing.T) {
	f := newFixture(t) // ungoverned: the old rule (any member's admin) stays
	f.must("aist-admin", RemoveNode(f.peers["aist"]))
	if r := f.run("nchc-admin", &AddNode{Node: Node{PeerID: peerOf(t, seedKey("node-aist-9")), Member: "aist", State: NodeActive}}); r.Err != nil {
		t.Fatal(r.Err)
	}
}

// F4: voters gathered while the federation had fewer than three members count when the
// third member is admitted.
func TestGovAddMemberVoterCap(t *testing.T) {
	f := newGovFixture(t)
	for i := 0; i < 3; i++ { // nchc alone: each add-voter passes at once
		f.must("nchc-admin", &GovPropose{Action: GovAddVoter, Member: "nchc"})
	}
	f.must("nchc-admin", f.admitBody("aist", true)) // two members: no cap yet
	if r := f.join("aist", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	// nchc holds 1 voter and 3 grants: 4 of 6 with esa's voter. Refused at the proposal.
	wantKind(t, "add-member esa with nchc at 4 of 6", f.run("aist-admin", f.admitBody("esa", true)).Err, errs.Conflict)
	wantKind(t, "add-member esa without a voter", f.run("aist-admin", f.admitBody("esa", false)).Err, errs.Conflict)
}

func TestGovAddMemberVoterCapAtApproval(t *testing.T) {
	f := newGovFixture(t)
	f.must("nchc-admin", f.admitBody("aist", true))
	if r := f.join("aist", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	// nchc 1, aist 1: esa with a voter gives 1,1,1 of 3: accepted at the proposal.
	f.must("nchc-admin", f.admitBody("esa", true))
	id := f.lastProposal().ID
	// Meanwhile nchc gains a voter grant (a passed add-voter: two members, no cap): nchc
	// would hold 2 of 4 with esa.
	f.must("nchc-admin", &GovPropose{Action: GovAddVoter, Member: "nchc"})
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	if f.s.VoterGrants("nchc") != 1 {
		t.Fatal("no grant for nchc")
	}
	wantKind(t, "approving add-member esa over the cap", f.run("aist-admin", &GovApprove{ID: id}).Err, errs.Conflict)
	if p := f.s.gov.proposals[id]; !p.Open() {
		t.Fatal("add-member passed over the cap")
	}
}

func TestGovAddMemberVoterCapAccepted(t *testing.T) {
	// The default testnet shape: nchc 2 voters, aist 2, esa joins with 1: 2 of 5 each.
	f := newGovFixture(t)
	f.must("nchc-admin", &GovPropose{Action: GovAddVoter, Member: "nchc"})
	if r := f.addNode("nchc", "node-nchc-2", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	f.must("nchc-admin", f.admitBody("aist", true))
	if r := f.join("aist", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	f.must("aist-admin", &GovPropose{Action: GovAddVoter, Member: "aist"})
	f.must("nchc-admin", &GovApprove{ID: f.lastProposal().ID})
	if r := f.addNode("aist", "node-aist-2", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	// Without a voter for esa, nchc and aist would hold 2 of 4 each: refused.
	wantKind(t, "add-member esa without a voter", f.run("nchc-admin", f.admitBody("esa", false)).Err, errs.Conflict)
	f.must("nchc-admin", f.admitBody("esa", true))
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	if r := f.join("esa", true); r.Err != nil {
		t.Fatal(r.Err)
	}
}

// F5: a node cannot register another node's API address (host:port).
func TestAPIAddressUnique(t *testing.T) {
	f := newFixture(t)
	aist, nchc := f.peers["aist"], f.peers["nchc"]
	f.must("aist-admin", &SetNodeAPI{PeerID: aist, API: "https://aist.example.org:8480", TLSPin: testPin})
	for _, api := range []string{"https://aist.example.org:8480", "https://AIST.example.org:8480/", "http://aist.example.org:8480"} {
		wantKind(t, "SetNodeAPI "+api, f.run("nchc-admin", &SetNodeAPI{PeerID: nchc, API: api, TLSPin: testPin}).Err, errs.Conflict)
	}
	wantKind(t, "AddNode at aist's address", f.run("nchc-admin", &AddNode{Node: Node{PeerID: peerOf(t, seedKey("node-nchc-9")), Member: "nchc", API: "https://aist.example.org:8480", TLSPin: testPin, State: NodeActive}}).Err, errs.Conflict)
	// Default ports: https://h and https://h:443 are one address.
	f.must("nchc-admin", &SetNodeAPI{PeerID: nchc, API: "https://nchc.example.org", TLSPin: testPin})
	wantKind(t, "explicit default port", f.run("aist-admin", &SetNodeAPI{PeerID: aist, API: "https://nchc.example.org:443", TLSPin: testPin}).Err, errs.Conflict)
	// The node itself may register its address again (new pin); another port is another address.
	f.must("aist-admin", &SetNodeAPI{PeerID: aist, API: "https://aist.example.org:8480", TLSPin: "sha256:" + strings.Repeat("cd", 32)})
	f.must("nchc-admin", &SetNodeAPI{PeerID: nchc, API: "https://aist.example.org:8481", TLSPin: testPin})
	// Loopback addresses are exempt (nodes on different hosts share the default one).
	f.must("aist-admin", &SetNodeAPI{PeerID: aist, API: "https://127.0.0.1:8480", TLSPin: testPin})
	f.must("nchc-admin", &SetNodeAPI{PeerID: nchc, API: "https://127.0.0.1:8480", TLSPin: testPin})
	f.must("nchc-admin", &SetNodeAPI{PeerID: nchc, API: "https://[::1]:8480", TLSPin: testPin})
	f.must("aist-admin", &SetNodeAPI{PeerID: aist, API: "https://aist.example.org:8480", TLSPin: testPin})
	f.must("nchc-admin", &SetNodeAPI{PeerID: nchc, API: "https://aist.example.org:8481", TLSPin: testPin})
	// Once a node is gone, its address is free.
	f.must("aist-admin", RemoveNode(aist))
	f.must("nchc-admin", &SetNodeAPI{PeerID: nchc, API: "https://aist.example.org:8480", TLSPin: testPin})
}

// A member without nodes gets a node through another member's node under a passed
// rebind-member decision, and only the peer it named.
func TestGovRebindMember(t *testing.T) {
	f := govThree(t)
	next := peerOf(t, seedKey("node-esa-next"))
	wantKind(t, "rebind of a member with a node", f.run("nchc-admin", &GovPropose{Action: GovRebindMember, Member: "esa", Node: next}).Err, errs.Conflict)
	f.must("esa-admin", RemoveNode(f.peers["esa"]))
	wantKind(t, "rebind without a node", f.run("nchc-admin", &GovPropose{Action: GovRebindMember, Member: "esa"}).Err, errs.Invalid)
	wantKind(t, "rebind with a voter", f.run("nchc-admin", &GovPropose{Action: GovRebindMember, Member: "esa", Node: next, Voter: true}).Err, errs.Invalid)
	wantKind(t, "rebind to a registered peer", f.run("nchc-admin", &GovPropose{Action: GovRebindMember, Member: "esa", Node: f.peers["aist"]}).Err, errs.Exist)
	// esa has no node left to sign with: another member proposes its rebind.
	wantKind(t, "a member without nodes proposes", f.run("esa-admin", &GovPropose{Action: GovRebindMember, Member: "esa", Node: next}).Err, errs.Permission)
	f.must("nchc-admin", &GovPropose{Action: GovRebindMember, Member: "esa", Node: next})
	id := f.lastProposal().ID
	node := Node{PeerID: next, Member: "esa", State: NodeActive}
	wantKind(t, "registration before the decision passed", f.run(NodePrefix+f.peers["nchc"], &AddNode{Node: node}).Err, errs.Permission)
	f.must("aist-admin", &GovApprove{ID: id})
	if p := f.s.gov.proposals[id]; p.Passed == 0 {
		t.Fatal("rebind did not pass with 2 of 3")
	}
	// The binding survives a snapshot.
	s, err := ReadSnapshot(bytes.NewReader(snapshotBytes(t, f.s)))
	if err != nil || s.Digest() != f.s.Digest() || s.gov.firstNode["esa"] != next {
		t.Fatalf("snapshot: %v, binding %q", err, s.gov.firstNode["esa"])
	}
	impostor := Node{PeerID: peerOf(t, seedKey("node-nchc-for-esa")), Member: "esa", State: NodeActive}
	wantKind(t, "another peer than the one named", f.run(NodePrefix+f.peers["nchc"], &AddNode{Node: impostor}).Err, errs.Permission)
	f.must(NodePrefix+f.peers["nchc"], &AddNode{Node: node})
	if _, bound := f.s.gov.firstNode["esa"]; bound {
		t.Fatal("binding not used up")
	}
	// esa has a node again: its admin adds further ones, another member cannot.
	wantKind(t, "nchc adds a second esa node", f.run("nchc-admin", &AddNode{Node: impostor}).Err, errs.Permission)
}

// An add-member that a removal would pass (fewer members, so a majority) stays open when
// passing it would break the voter cap.
func TestGovAddMemberCapAtRedecide(t *testing.T) {
	f := govThree(t)
	f.must("nchc-admin", f.admitBody("jaxa", true))
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	if r := f.join("jaxa", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	f.must("esa-admin", RemoveNode(f.peers["esa"])) // voters: nchc, aist, jaxa
	f.must("nchc-admin", f.admitBody("kek", false))
	id := f.lastProposal().ID
	f.must("aist-admin", &GovApprove{ID: id})                                  // 2 of 4: open
	f.must("nchc-admin", &GovPropose{Action: GovRemoveMember, Member: "jaxa"}) // esa has no node to sign with
	rm := f.lastProposal().ID
	f.must("aist-admin", &GovApprove{ID: rm})
	f.must("jaxa-admin", &GovApprove{ID: rm}) // passes: 3 members, kek has 2 of 3
	if f.s.gov.proposals[rm].Passed == 0 {
		t.Fatal("removal did not pass")
	}
	// With kek, four members and nchc would hold 1 of 2 voters.
	if p := f.s.gov.proposals[id]; !p.Open() {
		t.Fatalf("add-member kek passed over the cap: %+v", p)
	}
}
