package catalog

import "slices"

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
	// GovRebindMember names the peer that may be registered as the next node of a member
	// whose nodes are all gone (gov_holes.go); another member's node registers it.
	GovRebindMember GovAction = "rebind-member"
)

// MaxOpenProposals bounds the proposals open at once, so the state cannot be flooded.
const MaxOpenProposals = 64

// Proposal is a governance proposal and its approvals.
type Proposal struct {
	ID        uint64     `json:"id"` // raft index of the GovPropose command
	Action    GovAction  `json:"action"`
	Member    string     `json:"member"`              // the member added, removed or given a voter
	Voter     bool       `json:"voter,omitempty"`     // add-member: its first node may join as a voter
	Node      string     `json:"node,omitempty"`      // add-member: peer ID of the member's first node
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
	firstNode map[string]string    // admitted member -> the peer its first node must be, until registered
	grants    map[string]int       // voters a member may still register, by passed decisions
}

func newGovState() govState {
	return govState{proposals: map[uint64]*Proposal{}, admitted: map[string]bool{}, firstNode: map[string]string{}, grants: map[string]int{}}
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
