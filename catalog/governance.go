package catalog

import (
	"slices"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Governance: no single member controls the federation. Adding or removing a member and
// adding a voter are proposals (GovPropose) that pass once admins of a strict majority of the
// active members approve (GovApprove; the proposer's member approves by proposing). A passed
// decision takes effect inside apply: an add-member admits the member (its first node's join
// then creates it with AddMember), a remove-member retires it, an add-voter gives the member
// one voter grant, which the next voter node registered for it (AddNode with Voter) consumes.
//
// The rules bind a governed federation: one bootstrapped with Bootstrap.Governed (every
// federation `meridian federation init` creates). A federation bootstrapped before governance
// existed replays its log under the rules it was written under.

// GovAction names what a proposal decides.
type GovAction string

// Governance actions.
const (
	GovAddMember    GovAction = "add-member"
	GovRemoveMember GovAction = "remove-member"
	GovAddVoter     GovAction = "add-voter"
)

// MaxOpenProposals bounds the proposals open at once, so the state cannot be flooded.
const MaxOpenProposals = 64

// Proposal is a governance proposal and its approvals.
type Proposal struct {
	ID        uint64     `json:"id"` // raft index of the GovPropose command
	Action    GovAction  `json:"action"`
	Member    string     `json:"member"`              // the member added, removed or given a voter
	Voter     bool       `json:"voter,omitempty"`     // add-member: its first node may join as a voter
	Proposer  string     `json:"proposer"`            // user id
	Time      int64      `json:"time"`                // leader time of the proposal
	Approvals []Approval `json:"approvals"`           // in approval order; one per member
	Passed    uint64     `json:"passed,omitempty"`    // raft index at which it passed; 0 while open
	Withdrawn uint64     `json:"withdrawn,omitempty"` // raft index at which its proposer's member withdrew it
}

// Open reports whether the proposal still waits for approvals.
func (p *Proposal) Open() bool { return p.Passed == 0 && p.Withdrawn == 0 }

// Approval is one member's approval of a proposal.
type Approval struct {
	Member string `json:"member"`
	User   string `json:"user"`  // the admin who approved
	Index  uint64 `json:"index"` // raft index of the command that approved
}

// govState is the governance part of the state; guarded by State.mu.
type govState struct {
	governed  bool
	proposals map[uint64]*Proposal // every proposal, open and passed
	admitted  map[string]bool      // members admitted by a passed add-member, not created yet
	grants    map[string]int       // voters a member may still register, by passed decisions
}

func newGovState() govState {
	return govState{proposals: map[uint64]*Proposal{}, admitted: map[string]bool{}, grants: map[string]int{}}
}

// Governed reports whether the governance rules bind this federation.
func (s *State) Governed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gov.governed
}

// Proposals returns every governance proposal (open, passed and withdrawn), by id.
func (s *State) Proposals() []Proposal {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Proposal, 0, len(s.gov.proposals))
	for _, p := range s.gov.proposals {
		out = append(out, cloneProposal(p))
	}
	slices.SortFunc(out, func(a, b Proposal) int { return cmpUint(a.ID, b.ID) })
	return out
}

// GovernanceAt describes what the command at raft index did to governance ("" when nothing),
// e.g. "proposal 12 (add-member m4): approved by m2; passed", for the audit log's readers.
func (s *State) GovernanceAt(index uint64) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.gov.proposals {
		if p.Withdrawn == index {
			return "proposal " + uitoa(p.ID) + " (" + string(p.Action) + " " + p.Member + "): withdrawn by " + p.Approvals[0].Member
		}
		for i, a := range p.Approvals {
			if a.Index != index {
				continue
			}
			verb := "approved by"
			if i == 0 {
				verb = "proposed by"
			}
			out := "proposal " + uitoa(p.ID) + " (" + string(p.Action) + " " + p.Member + "): " + verb + " " + a.Member
			if p.Passed == index {
				out += "; passed" + s.passedAlongLocked(p.ID, index)
			}
			return out
		}
	}
	return ""
}

// passedAlongLocked names the other proposals that passed at index (after a removal left
// fewer members), in id order.
func (s *State) passedAlongLocked(except, index uint64) string {
	var ids []uint64
	for id, p := range s.gov.proposals {
		if id != except && p.Passed == index {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := ""
	for _, id := range ids {
		p := s.gov.proposals[id]
		out += "; with it proposal " + uitoa(id) + " (" + string(p.Action) + " " + p.Member + ") passed"
	}
	return out
}

// VoterGrants returns how many voters member m may still register under passed decisions.
func (s *State) VoterGrants(m string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gov.grants[m]
}

func cloneProposal(p *Proposal) Proposal {
	c := *p
	c.Approvals = slices.Clone(p.Approvals)
	return c
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func uitoa(x uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + x%10)
		x /= 10
		if x == 0 {
			return string(b[i:])
		}
	}
}

// activeMembersLocked counts the members that are not retired.
func (s *State) activeMembersLocked() int {
	n := 0
	for _, m := range s.members {
		if !m.Retired {
			n++
		}
	}
	return n
}

// approvedLocked counts p's approvals by members that are still active.
func (s *State) approvedLocked(p *Proposal) int {
	n := 0
	for _, a := range p.Approvals {
		if s.activeMemberLocked(a.Member) {
			n++
		}
	}
	return n
}

// decideLocked passes p when a strict majority of the active members approved it, and
// applies its effect.
func (s *State) decideLocked(p *Proposal, index uint64) {
	if !p.Open() || 2*s.approvedLocked(p) <= s.activeMembersLocked() {
		return
	}
	p.Passed = index
	switch p.Action {
	case GovAddMember:
		s.gov.admitted[p.Member] = true
		if p.Voter {
			s.gov.grants[p.Member]++
		}
	case GovRemoveMember:
		s.retireMemberLocked(p.Member)
		delete(s.gov.grants, p.Member)
		s.redecideLocked(index) // fewer members: open proposals may have a majority now
	case GovAddVoter:
		s.gov.grants[p.Member]++
	}
}

// redecideLocked decides every open proposal again, in id order (a pass may retire another
// member and so on; each proposal passes at most once, so this ends).
func (s *State) redecideLocked(index uint64) {
	var ids []uint64
	for id, p := range s.gov.proposals {
		if p.Open() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		s.decideLocked(s.gov.proposals[id], index)
	}
}

// votersLocked counts the voters that count toward quorum (active or draining voter nodes
// of active members): in total and of member m.
func (s *State) votersLocked(m string) (total, mine int) {
	for _, n := range s.nodes {
		if !n.Voter || n.State == NodeGone || !s.activeMemberLocked(n.Member) {
			continue
		}
		total++
		if n.Member == m {
			mine++
		}
	}
	return total, mine
}

// voterCapLocked refuses one more voter of member m (beyond pending more already counted)
// when, with three active members or more, m would then hold half or more of the voters.
func (s *State) voterCapLocked(op, m string, pending, pendingMine int) error {
	if s.activeMembersLocked() < 3 {
		return nil
	}
	total, mine := s.votersLocked(m)
	total, mine = total+pending+1, mine+pendingMine+1
	if 2*mine >= total {
		return errs.Errorf(op, errs.Conflict,
			"member %s would hold %d of %d voters: with three members or more no member may hold half or more; add voters of other members first, or join this node as a non-voter", m, mine, total)
	}
	return nil
}

// pendingGrantsLocked sums the voter grants not used yet: in total and of member m.
func (s *State) pendingGrantsLocked(m string) (total, mine int) {
	for id, g := range s.gov.grants {
		total += g
		if id == m {
			mine = g
		}
	}
	return total, mine
}

// openProposalLocked returns the open proposal of action a on member m, or nil.
func (s *State) openProposalLocked(a GovAction, m string) *Proposal {
	for _, p := range s.gov.proposals {
		if p.Open() && p.Action == a && p.Member == m {
			return p
		}
	}
	return nil
}

func (s *State) openProposalsLocked() int {
	n := 0
	for _, p := range s.gov.proposals {
		if p.Open() {
			n++
		}
	}
	return n
}

// govAdmin checks that the actor is an admin user (not a node) of an active member: a node's
// key may act for its member in routine work, but not vote for it.
func govAdmin(op string, x *exec) error {
	if strings.HasPrefix(x.cmd.Actor, NodePrefix) {
		return errs.Errorf(op, errs.Permission, "governance needs an admin user of a member, not a node: use an admin's token")
	}
	return fedAdmin(x)
}

// checkVoterGrant lets a voter node be registered in a governed federation only under a
// passed decision (a voter grant of its member) and within the voter cap.
func (s *State) checkVoterGrant(op string, n *Node) error {
	if !n.Voter || !s.gov.governed {
		return nil
	}
	if s.gov.grants[n.Member] == 0 {
		return errs.Errorf(op, errs.Permission, "member %s has no approved voter: an admin proposes one (meridian federation propose add-voter %s) and admins of a majority of the members approve it; or join the node as a non-voter", n.Member, n.Member)
	}
	return s.voterCapLocked(op, n.Member, 0, 0)
}

// useVoterGrantLocked consumes one voter grant of member m.
func (s *State) useVoterGrantLocked(m string) {
	if s.gov.grants[m]--; s.gov.grants[m] <= 0 {
		delete(s.gov.grants, m)
	}
}
