package catalog

import (
	"crypto/ed25519"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// signGov signs g for actor with the key of the first node of the actor's member (unsigned
// when the actor is unknown: the catalog refuses it for that first).
func (f *fixture) signGov(g GovBody, actor string) {
	u, err := f.s.User(actor)
	if err != nil {
		return
	}
	fed, _ := f.s.Federation()
	SignGov(g, fed.Name, actor, peerOf(f.t, seedKey("node-"+u.Member)), seedKey("node-"+u.Member))
}

// A leader of nchc cannot write an approval in aist's name: the approval must be signed by a
// node of aist, and the signature must cover this very command.
func TestGovApprovalNeedsASignatureOfTheActorsMember(t *testing.T) {
	f := govThree(t)
	f.must("nchc-admin", f.admitBody("jaxa", false))
	id := f.lastProposal().ID
	fed, _ := f.s.Federation()

	byNchcNode := &GovApprove{ID: id}
	SignGov(byNchcNode, fed.Name, "aist-admin", f.peers["nchc"], seedKey("node-nchc"))
	wantKind(t, "aist's approval signed by a node of nchc", f.run("aist-admin", byNchcNode).Err, errs.Permission)

	unsigned := &GovApprove{ID: id, GovSig: GovSig{Signer: f.peers["aist"]}}
	wantKind(t, "aist's approval unsigned", f.run("aist-admin", unsigned).Err, errs.Permission)

	forged := &GovApprove{ID: id}
	SignGov(forged, fed.Name, "aist-admin", f.peers["aist"], seedKey("node-nchc")) // names aist's node, nchc's key
	wantKind(t, "aist's approval with a signature by another key", f.run("aist-admin", forged).Err, errs.Permission)

	other := &GovApprove{ID: id + 1} // aist signed an approval of another proposal
	SignGov(other, fed.Name, "aist-admin", f.peers["aist"], seedKey("node-aist"))
	replayed := &GovApprove{ID: id, GovSig: other.GovSig}
	wantKind(t, "a signature of another command", f.run("aist-admin", replayed).Err, errs.Permission)

	elsewhere := &GovApprove{ID: id}
	SignGov(elsewhere, "another-federation", "aist-admin", f.peers["aist"], seedKey("node-aist"))
	wantKind(t, "a signature made for another federation", f.run("aist-admin", elsewhere).Err, errs.Permission)

	unregistered := &GovApprove{ID: id}
	SignGov(unregistered, fed.Name, "aist-admin", peerOf(t, seedKey("node-aist-spare")), seedKey("node-aist-spare"))
	wantKind(t, "a signature by a peer that is not a registered node", f.run("aist-admin", unregistered).Err, errs.Permission)

	if p := f.lastProposal(); p.Passed != 0 || len(p.Approvals) != 1 {
		t.Fatalf("refused approvals changed the proposal: %+v", p)
	}
	f.must("aist-admin", &GovApprove{ID: id}) // signed by aist's node: passes
	if p := f.lastProposal(); p.Passed == 0 {
		t.Fatalf("2 of 3 signed approvals did not pass: %+v", p)
	}
}

// The proposal and the withdrawal are signed alike.
func TestGovProposeAndWithdrawNeedSignatures(t *testing.T) {
	f := govThree(t)
	fed, _ := f.s.Federation()
	p := f.admitBody("jaxa", false)
	SignGov(p, fed.Name, "aist-admin", f.peers["nchc"], seedKey("node-nchc"))
	wantKind(t, "aist's proposal signed by nchc's node", f.run("aist-admin", p).Err, errs.Permission)
	changed := f.admitBody("jaxa", false)
	SignGov(changed, fed.Name, "aist-admin", f.peers["aist"], seedKey("node-aist"))
	changed.Voter = true // a leader cannot turn a signed proposal into another one
	wantKind(t, "a proposal changed after signing", f.run("aist-admin", changed).Err, errs.Permission)
	f.must("aist-admin", f.admitBody("jaxa", false))
	id := f.lastProposal().ID
	w := &GovWithdraw{ID: id}
	SignGov(w, fed.Name, "aist-admin", f.peers["esa"], seedKey("node-esa"))
	wantKind(t, "aist's withdrawal signed by esa's node", f.run("aist-admin", w).Err, errs.Permission)
	f.must("aist-admin", &GovWithdraw{ID: id})
}

// A node that is gone signs for nobody.
func TestGovSignerMustNotBeGone(t *testing.T) {
	f := govThree(t)
	if r := f.addNode("aist", "node-aist-2", false); r.Err != nil {
		t.Fatal(r.Err)
	}
	spare := peerOf(t, seedKey("node-aist-2"))
	f.must("aist-admin", &SetNodeState{PeerID: spare, State: NodeGone})
	f.must("nchc-admin", f.admitBody("jaxa", false))
	fed, _ := f.s.Federation()
	a := &GovApprove{ID: f.lastProposal().ID}
	SignGov(a, fed.Name, "aist-admin", spare, seedKey("node-aist-2"))
	wantKind(t, "an approval signed by a gone node", f.run("aist-admin", a).Err, errs.Permission)
}

// The redeeming node (of another member) cannot swap the new member's record: the joiner
// signs its id, name, region and recipient with the admin token.
func TestGovFirstAdminSignatureCoversTheMemberRecord(t *testing.T) {
	f := govThree(t)
	f.must("nchc-admin", f.admitBody("jaxa", false))
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	admin := &User{ID: "jaxa-admin", Member: "jaxa", Roles: policy.RoleAdmin, Tokens: []Hash{token("jaxa-admin")}}
	for name, change := range map[string]func(*Member){
		"recipient": func(m *Member) { m.Recipient = recipients["nchc"] },
		"name":      func(m *Member) { m.Name = "Somebody Else" },
		"region":    func(m *Member) { m.Region = "TW" },
	} {
		b := f.addMemberBody("jaxa", admin)
		change(&b.Member)
		wantKind(t, "a swapped "+name, f.run(NodePrefix+f.peers["nchc"], b).Err, errs.Permission)
	}
	old := f.addMemberBody("jaxa", admin) // a signature over the id and token only (v1) no longer does
	old.AdminSig = ed25519.Sign(seedKey("node-jaxa"), []byte("meridian-first-admin-v1\njaxa\n"+admin.Tokens[0].String()))
	wantKind(t, "a v1 signature", f.run(NodePrefix+f.peers["nchc"], old).Err, errs.Permission)
	f.must(NodePrefix+f.peers["nchc"], f.addMemberBody("jaxa", admin))
	if m, _ := f.s.Member("jaxa"); m.Recipient != recipients["jaxa"] {
		t.Fatalf("jaxa's recipient = %s", m.Recipient)
	}
}
