package catalog

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// newGovFixture bootstraps a governed federation of nchc alone (one voter node).
func newGovFixture(t testing.TB) *fixture {
	f := &fixture{t: t, s: New(), time: 1_700_000_000_000_000_000, peers: map[string]string{}}
	f.peers["nchc"] = peerOf(t, seedKey("node-nchc"))
	f.must("nchc-admin", &Bootstrap{
		Federation: Federation{Name: "test", DefaultPlacement: Placement{K: 3, M: 2}},
		Member:     member("nchc"),
		Admin:      User{ID: "nchc-admin", Member: "nchc", Roles: policy.RoleAdmin, Tokens: []Hash{token("nchc-admin")}},
		Node:       &Node{PeerID: f.peers["nchc"], Member: "nchc", Voter: true, Capacity: 1 << 40, State: NodeActive},
		Governed:   true,
	})
	return f
}

// join creates admitted member m (as the redeeming node does) with its admin and first node.
func (f *fixture) join(m string, voter bool) Result {
	f.t.Helper()
	admin := &User{ID: m + "-admin", Member: m, Roles: policy.RoleAdmin, Tokens: []Hash{token(m + "-admin")}}
	actor := NodePrefix + f.peers["nchc"]
	if r := f.run(actor, f.addMemberBody(m, admin)); r.Err != nil {
		return r
	}
	return f.addNode(m, "node-"+m, voter)
}

func (f *fixture) addNode(m, key string, voter bool) Result {
	f.t.Helper()
	p := peerOf(f.t, seedKey(key))
	if f.peers[m] == "" {
		f.peers[m] = p
	}
	return f.run(m+"-admin", &AddNode{Node: Node{PeerID: p, Member: m, Voter: voter, Capacity: 1 << 40, State: NodeActive}})
}

// proposalID returns the id of the last proposal.
func (f *fixture) lastProposal() Proposal {
	ps := f.s.Proposals()
	if len(ps) == 0 {
		f.t.Fatal("no proposal")
	}
	return ps[len(ps)-1]
}

func wantKind(t *testing.T, what string, err error, k errs.Kind) {
	t.Helper()
	if !errs.Is(err, k) {
		t.Fatalf("%s: err = %v, want %v", what, err, k)
	}
}

// govThree builds nchc + aist + esa, each with one voter, through governance.
func govThree(t *testing.T) *fixture { return govThreeTB(t) }

func govThreeTB(t testing.TB) *fixture {
	f := newGovFixture(t)
	f.must("nchc-admin", f.admitBody("aist", true)) // one member: passes alone
	if r := f.join("aist", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	f.must("nchc-admin", f.admitBody("esa", true))
	if f.lastProposal().Passed != 0 {
		t.Fatal("add-member passed with 1 of 2 members")
	}
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	if r := f.join("esa", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	return f
}

func TestGovFirstMemberBootstrapsAlone(t *testing.T) {
	f := newGovFixture(t)
	wantKind(t, "member.add without a decision", f.join("aist", false).Err, errs.Permission)
	r := f.must("nchc-admin", f.admitBody("aist", false))
	if p := f.lastProposal(); p.Passed != r.Index {
		t.Fatalf("proposal in a federation of one member: passed = %d, want %d", p.Passed, r.Index)
	}
	if r := f.join("aist", false); r.Err != nil {
		t.Fatal(r.Err)
	}
	// The admission is used up: the id cannot be admitted again or re-added.
	wantKind(t, "second add", f.run(NodePrefix+f.peers["nchc"], &AddMember{Member: member("aist")}).Err, errs.Exist)
}

func TestGovOneMemberCannotAddAMember(t *testing.T) {
	f := govThree(t)
	f.must("nchc-admin", f.admitBody("jaxa", false))
	id := f.lastProposal().ID
	wantKind(t, "member.add with 1 of 3 approvals", f.join("jaxa", false).Err, errs.Permission)
	wantKind(t, "a second approval by the proposer's member", f.run("nchc-admin", &GovApprove{ID: id}).Err, errs.Conflict)
	wantKind(t, "the old direct member.add", f.run("nchc-admin", &AddMember{Member: member("jaxa")}).Err, errs.Permission)
	wantKind(t, "an approval by a node key", f.run(NodePrefix+f.peers["aist"], &GovApprove{ID: id}).Err, errs.Permission)
	wantKind(t, "an approval by a publisher", f.run("aist-pub", &GovApprove{ID: id}).Err, errs.Unauthenticated)
	r := f.must("aist-admin", &GovApprove{ID: id})
	if p := f.lastProposal(); p.Passed != r.Index || len(p.Approvals) != 2 {
		t.Fatalf("2 of 3 approvals: %+v", p)
	}
	if got, want := f.s.GovernanceAt(r.Index), fmt.Sprintf("proposal %d (add-member jaxa): approved by aist; passed", id); got != want {
		t.Fatalf("GovernanceAt = %q", got)
	}
	wantKind(t, "approving a passed proposal", f.run("esa-admin", &GovApprove{ID: id}).Err, errs.Conflict)
	if r := f.join("jaxa", false); r.Err != nil {
		t.Fatal(r.Err)
	}
}

func TestGovVoterNeedsDecisionAndCap(t *testing.T) {
	f := govThree(t)
	// Non-voters need no decision; a voter does.
	if r := f.addNode("nchc", "node-nchc-2", false); r.Err != nil {
		t.Fatal(r.Err)
	}
	wantKind(t, "voter without a decision", f.addNode("aist", "node-aist-2", true).Err, errs.Permission)
	// With 3 members and 1 voter each, a fourth voter of any member holds 2 of 4: refused at
	// the proposal already.
	wantKind(t, "add-voter over the cap", f.run("nchc-admin", &GovPropose{Action: GovAddVoter, Member: "nchc"}).Err, errs.Conflict)
	// A fourth member with a voter makes room: 4 voters, then nchc's second holds 2 of 5.
	f.must("nchc-admin", f.admitBody("jaxa", true))
	f.must("esa-admin", &GovApprove{ID: f.lastProposal().ID})
	if r := f.join("jaxa", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	f.must("nchc-admin", &GovPropose{Action: GovAddVoter, Member: "nchc"})
	id := f.lastProposal().ID
	wantKind(t, "voter with one approval of four", f.addNode("nchc", "node-nchc-3", true).Err, errs.Permission)
	f.must("aist-admin", &GovApprove{ID: id})
	if f.lastProposal().Passed != 0 {
		t.Fatal("add-voter passed with 2 of 4 members (not a strict majority)")
	}
	wantKind(t, "voter with two approvals of four", f.addNode("nchc", "node-nchc-3", true).Err, errs.Permission)
	f.must("esa-admin", &GovApprove{ID: id})
	if got := f.s.VoterGrants("nchc"); got != 1 {
		t.Fatalf("grants = %d, want 1", got)
	}
	if r := f.addNode("nchc", "node-nchc-3", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	wantKind(t, "a second voter on one grant", f.addNode("nchc", "node-nchc-4", true).Err, errs.Permission)
	// nchc holds 2 of 5; a third would hold 3 of 6.
	wantKind(t, "add-voter to half", f.run("aist-admin", &GovPropose{Action: GovAddVoter, Member: "nchc"}).Err, errs.Conflict)
}

func TestGovVoterCapAtRegistration(t *testing.T) {
	// The cap is checked again when the voter registers (grants decided earlier may no longer
	// fit): with a grant forged past the proposal check, nchc's second voter would hold 2 of 4.
	f := govThree(t)
	f.s.gov.grants["nchc"]++
	wantKind(t, "nchc 2 of 4", f.addNode("nchc", "node-nchc-2", true).Err, errs.Conflict)
	if r := f.addNode("nchc", "node-nchc-2", false); r.Err != nil { // as a non-voter: fine
		t.Fatal(r.Err)
	}
}

func TestGovRemoveMember(t *testing.T) {
	f := govThree(t)
	wantKind(t, "direct member.retire", f.run("nchc-admin", &RetireMember{ID: "esa"}).Err, errs.Permission)
	wantKind(t, "own removal", f.run("esa-admin", &GovPropose{Action: GovRemoveMember, Member: "esa"}).Err, errs.Conflict)
	f.must("nchc-admin", &GovPropose{Action: GovRemoveMember, Member: "esa"})
	if n, _ := f.s.Node(f.peers["esa"]); n.State != NodeActive {
		t.Fatal("esa's node left with one approval of three")
	}
	r := f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	if m, _ := f.s.Member("esa"); !m.Retired {
		t.Fatal("esa not retired after 2 of 3 approvals")
	}
	if n, _ := f.s.Node(f.peers["esa"]); n.State != NodeGone {
		t.Fatal("esa's node not gone")
	}
	if got := f.s.GovernanceAt(r.Index); got == "" {
		t.Fatal("no governance description of the approving entry")
	}
}

func TestGovProposeValidation(t *testing.T) {
	f := govThree(t)
	cases := []struct {
		name  string
		actor string
		body  *GovPropose
		want  errs.Kind
	}{
		{"unknown action", "nchc-admin", &GovPropose{Action: "promote", Member: "aist"}, errs.Invalid},
		{"bad member id", "nchc-admin", f.admitBody("Not An ID", false), errs.Invalid},
		{"existing member", "nchc-admin", f.admitBody("aist", false), errs.Exist},
		{"remove unknown", "nchc-admin", &GovPropose{Action: GovRemoveMember, Member: "jaxa"}, errs.NotExist},
		{"voter flag on add-voter", "nchc-admin", &GovPropose{Action: GovAddVoter, Member: "aist", Voter: true}, errs.Invalid},
		{"by a node", NodePrefix + f.peers["nchc"], f.admitBody("jaxa", false), errs.Permission},
		{"by a publisher", "nchc-pub", f.admitBody("jaxa", false), errs.Unauthenticated},
	}
	for _, c := range cases {
		wantKind(t, c.name, f.run(c.actor, c.body).Err, c.want)
	}
	f.must("nchc-admin", f.admitBody("jaxa", false))
	wantKind(t, "duplicate open proposal", f.run("aist-admin", f.admitBody("jaxa", false)).Err, errs.Exist)
	wantKind(t, "approve unknown", f.run("aist-admin", &GovApprove{ID: 999}).Err, errs.NotExist)
}

func TestGovUngovernedKeepsOldRules(t *testing.T) {
	f := newFixture(t) // bootstrapped without Governed, as logs written before governance
	if f.s.Governed() {
		t.Fatal("old bootstrap is governed")
	}
	f.must("nchc-admin", &AddMember{Member: member("jaxa")})
}

func TestGovSnapshotRoundTrip(t *testing.T) {
	f := govSnapshotFixture(t)
	b := snapshotBytes(t, f.s)
	golden(t, "snapshot-gov-v2.golden", b)
	s, err := ReadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snapshotBytes(t, s), b) || !s.Governed() || s.VoterGrants("jaxa") != 1 || len(s.Proposals()) != 6 || s.Proposals()[4].Withdrawn == 0 {
		t.Fatal("governance state not restored")
	}
	// The restored state goes on deciding as the original does.
	approve := f.encode("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	for _, st := range []*State{f.s, s} {
		r := st.Apply(f.index+1, approve)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if s.Digest() != f.s.Digest() {
		t.Fatal("restored state diverged")
	}
}

func TestSnapshotV1StillReads(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "snapshot-v1.golden"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSnapshot(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if s.Governed() || s.Applied() == 0 {
		t.Fatal("a version 1 snapshot must read as ungoverned")
	}
}

// checkCanonical checks that a snapshot ReadSnapshot accepted re-encodes to exactly its
// bytes; a version 1 snapshot (before governance) re-encodes as version 2, which must then
// be a fixed point.
func checkCanonical(t *testing.T, b []byte, s *State) {
	t.Helper()
	again := snapshotBytes(t, s)
	if len(b) > len(snapshotMagic) && b[len(snapshotMagic)] == 1 {
		s2, err := ReadSnapshot(bytes.NewReader(again))
		if err != nil || !bytes.Equal(snapshotBytes(t, s2), again) || s2.Governed() {
			t.Fatalf("version 1 snapshot does not convert to a canonical version 2 one: %v", err)
		}
		return
	}
	if !bytes.Equal(again, b) {
		t.Fatalf("accepted a snapshot that re-encodes differently (%d -> %d bytes)", len(b), len(again))
	}
}

// govSnapshotFixture is govThree with a passed add-member (an admitted member with a voter
// grant) and an open remove-member.
func govSnapshotFixture(t testing.TB) *fixture {
	f := govThreeTB(t)
	f.must("nchc-admin", f.admitBody("jaxa", true))
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	f.must("nchc-admin", &GovPropose{Action: GovRemoveMember, Member: "esa"})
	f.must("aist-admin", &GovPropose{Action: GovAddVoter, Member: "aist"})
	f.must("aist-admin", &GovWithdraw{ID: f.lastProposal().ID})
	f.must("nchc-admin", &GovPropose{Action: GovRemoveMember, Member: "aist"}) // last: open
	return f
}

// FuzzApplyGoverned is FuzzApply over a governed state with proposals open and passed.
func FuzzApplyGoverned(f *testing.F) {
	fx := govSnapshotFixture(f)
	base := snapshotBytes(f, fx.s)
	baseDigest := fx.s.Digest()
	for _, b := range fx.log {
		f.Add(b)
	}
	open := fx.lastProposal().ID
	f.Add(fx.encode("aist-admin", &GovApprove{ID: open}))
	f.Add(fx.encode("nchc-admin", &GovPropose{Action: GovAddVoter, Member: "esa"}))
	f.Add(fx.encode(NodePrefix+fx.peers["nchc"], &AddMember{Member: member("jaxa")}))
	next := fx.s.Applied() + 1
	f.Fuzz(func(t *testing.T, cmd []byte) {
		a, err := ReadSnapshot(bytes.NewReader(base))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ReadSnapshot(bytes.NewReader(base))
		ra, rb := a.Apply(next, cmd), b.Apply(next, cmd)
		if (ra.Err == nil) != (rb.Err == nil) || a.Digest() != b.Digest() {
			t.Fatalf("replicas disagree: %v / %v", ra.Err, rb.Err)
		}
		if ra.Err != nil && a.Digest() != baseDigest {
			t.Fatalf("rejected command (%v) changed the state", ra.Err)
		}
	})
}

func TestGovWithdraw(t *testing.T) {
	f := govThree(t)
	f.must("nchc-admin", f.admitBody("jaxa", false))
	id := f.lastProposal().ID
	wantKind(t, "withdraw by another member", f.run("aist-admin", &GovWithdraw{ID: id}).Err, errs.Permission)
	wantKind(t, "withdraw by a node", f.run(NodePrefix+f.peers["nchc"], &GovWithdraw{ID: id}).Err, errs.Permission)
	r := f.must("nchc-admin", &GovWithdraw{ID: id})
	if got := f.s.GovernanceAt(r.Index); got != fmt.Sprintf("proposal %d (add-member jaxa): withdrawn by nchc", id) {
		t.Fatalf("GovernanceAt = %q", got)
	}
	wantKind(t, "approve a withdrawn proposal", f.run("aist-admin", &GovApprove{ID: id}).Err, errs.Conflict)
	wantKind(t, "withdraw twice", f.run("nchc-admin", &GovWithdraw{ID: id}).Err, errs.Conflict)
	wantKind(t, "join after a withdrawal", f.join("jaxa", false).Err, errs.Permission)
	// The same decision may be proposed again.
	f.must("aist-admin", f.admitBody("jaxa", false))
	f.must("esa-admin", &GovApprove{ID: f.lastProposal().ID})
	wantKind(t, "withdraw a passed proposal", f.run("aist-admin", &GovWithdraw{ID: f.lastProposal().ID}).Err, errs.Conflict)
}

func TestGovRemovalRedecidesOpenProposals(t *testing.T) {
	// An open proposal with 2 approvals of 4 members passes when a removal leaves 3.
	f := govThree(t)
	f.must("nchc-admin", f.admitBody("jaxa", true))
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	if r := f.join("jaxa", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	// Four members: nchc's and aist's approvals (2 of 4) do not pass add-voter esa.
	f.must("nchc-admin", &GovPropose{Action: GovAddVoter, Member: "esa"})
	voter := f.lastProposal().ID
	f.must("aist-admin", &GovApprove{ID: voter})
	f.must("nchc-admin", &GovPropose{Action: GovRemoveMember, Member: "jaxa"})
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	r := f.must("esa-admin", &GovApprove{ID: f.lastProposal().ID}) // 3 of 4: jaxa leaves
	// Three members now: the add-voter's 2 approvals are a majority, and it passed with it.
	for _, p := range f.s.Proposals() {
		if p.ID == voter && p.Passed != r.Index {
			t.Fatalf("add-voter esa: passed = %d, want %d", p.Passed, r.Index)
		}
	}
	if f.s.VoterGrants("esa") != 1 {
		t.Fatal("no voter grant for esa")
	}
	if got := f.s.GovernanceAt(r.Index); !strings.Contains(got, fmt.Sprintf("with it proposal %d (add-voter esa) passed", voter)) {
		t.Fatalf("GovernanceAt = %q", got)
	}
}

// admitBody proposes admitting member m with its first node "node-<m>" (as join adds it).
func (f *fixture) admitBody(m string, voter bool) *GovPropose {
	return &GovPropose{Action: GovAddMember, Member: m, Voter: voter, Node: peerOf(f.t, seedKey("node-"+m))}
}

func TestGovFirstNodeIsTheOneAdmitted(t *testing.T) {
	f := govThree(t)
	wantKind(t, "add-member without a node", f.run("nchc-admin", &GovPropose{Action: GovAddMember, Member: "jaxa"}).Err, errs.Invalid)
	wantKind(t, "add-member naming a registered node", f.run("nchc-admin", &GovPropose{Action: GovAddMember, Member: "jaxa", Node: f.peers["aist"]}).Err, errs.Exist)
	wantKind(t, "node on add-voter", f.run("nchc-admin", &GovPropose{Action: GovAddVoter, Member: "aist", Node: f.peers["aist"]}).Err, errs.Invalid)
	f.must("nchc-admin", f.admitBody("jaxa", true))
	f.must("aist-admin", &GovApprove{ID: f.lastProposal().ID})
	admin := &User{ID: "jaxa-admin", Member: "jaxa", Roles: policy.RoleAdmin, Tokens: []Hash{token("jaxa-admin")}}
	// The registering node (of nchc) cannot choose jaxa's admin token: jaxa's node signs it.
	forged := f.addMemberBody("jaxa", admin)
	forged.Admin = &User{ID: "jaxa-admin", Member: "jaxa", Roles: policy.RoleAdmin, Tokens: []Hash{token("nchc-choice")}}
	wantKind(t, "an admin token the first node did not choose", f.run(NodePrefix+f.peers["nchc"], forged).Err, errs.Permission)
	unsigned := f.addMemberBody("jaxa", admin)
	unsigned.AdminSig = nil
	wantKind(t, "an unsigned first admin", f.run(NodePrefix+f.peers["nchc"], unsigned).Err, errs.Permission)
	f.must(NodePrefix+f.peers["nchc"], f.addMemberBody("jaxa", admin))
	// A node of nchc registers a peer of its own as jaxa's first (voter) node: refused.
	impostor := Node{PeerID: peerOf(t, seedKey("node-nchc-impostor")), Member: "jaxa", Voter: true, State: NodeActive}
	wantKind(t, "another peer as the first node", f.run(NodePrefix+f.peers["nchc"], &AddNode{Node: impostor}).Err, errs.Permission)
	if r := f.addNode("jaxa", "node-jaxa", true); r.Err != nil {
		t.Fatal(r.Err)
	}
	// The binding is used up: jaxa's own admin adds further nodes as usual.
	if r := f.addNode("jaxa", "node-jaxa-2", false); r.Err != nil {
		t.Fatal(r.Err)
	}
}

// addMemberBody is the member.add a join sends: admin's token signed by the member's first
// node "node-<m>".
func (f *fixture) addMemberBody(m string, admin *User) *AddMember {
	sig := ed25519.Sign(seedKey("node-"+m), FirstAdminMessage(member(m), admin.Tokens[0]))
	return &AddMember{Member: member(m), Admin: admin, AdminSig: sig}
}
