package catalog

import (
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// GovPropose opens a governance proposal; the proposer's member approves it by proposing, so
// in a federation of one member it passes at once (the first member bootstraps alone).
type GovPropose struct {
	Action GovAction `json:"action"`
	Member string    `json:"member"`
	Voter  bool      `json:"voter,omitempty"` // add-member only
	Node   string    `json:"node,omitempty"`  // add-member only, required: peer ID of the first node
	GovSig           // by a node of the proposer's member (gov_sig.go)
}

// Kind implements Body.
func (*GovPropose) Kind() Kind { return KindGovPropose }

func (b *GovPropose) check(s *State, x *exec) error {
	const op = "catalog.GovPropose"
	if err := s.checkGovActor(op, x, b); err != nil {
		return err
	}
	if (b.Voter || b.Node != "") && b.Action != GovAddMember && !(b.Action == GovRebindMember && !b.Voter) {
		return invalid(op, "voter and node apply to add-member only; an existing member asks for a voter with add-voter")
	}
	if s.openProposalsLocked() >= MaxOpenProposals {
		return errs.Errorf(op, errs.Conflict, "%d proposals are open: approve or let members decide those first", MaxOpenProposals)
	}
	if p := s.openProposalLocked(b.Action, b.Member); p != nil {
		return errs.Errorf(op, errs.Exist, "proposal %d (%s %s) is already open: approve it with meridian federation approve %d", p.ID, p.Action, p.Member, p.ID)
	}
	switch b.Action {
	case GovAddMember:
		if _, err := nodeKey(op, b.Node); err != nil {
			return invalid(op, "add-member names the peer ID of the new member's first node ('meridian node init' prints it): %v", err)
		}
		if s.nodes[b.Node] != nil {
			return errs.Errorf(op, errs.Exist, "peer %s is registered already; the new member's node needs its own identity", b.Node)
		}
		return s.checkAddMemberProposal(op, b.Member, b.Voter)
	case GovRemoveMember:
		if x.sub.Member == b.Member {
			return errs.Errorf(op, errs.Conflict, "a member cannot propose its own removal; ask another member's admin")
		}
		return s.checkActiveMember(op, b.Member)
	case GovAddVoter:
		return s.checkAddVoterProposal(op, b.Member)
	case GovRebindMember:
		return s.checkRebindProposal(op, b.Member, b.Node)
	}
	return invalid(op, "unknown governance action %q: use add-member, remove-member, add-voter or rebind-member", b.Action)
}

func (s *State) checkAddMemberProposal(op, m string, voter bool) error {
	if err := policy.ValidMemberID(m); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	if s.members[m] != nil || s.gov.admitted[m] {
		return errs.Errorf(op, errs.Exist, "member %s exists or is admitted already (ids of retired members are not reused); pick another id", m)
	}
	return s.addMemberCapLocked(op, m, voter)
}

func (s *State) checkActiveMember(op, m string) error {
	if !s.activeMemberLocked(m) {
		return errs.Errorf(op, errs.NotExist, "no active member %q; list members with meridian federation members", m)
	}
	return nil
}

func (s *State) checkAddVoterProposal(op, m string) error {
	if err := s.checkActiveMember(op, m); err != nil {
		return err
	}
	total, mine := s.pendingGrantsLocked(m)
	return s.voterCapLocked(op, m, total, mine)
}

func (b *GovPropose) apply(s *State, x *exec) {
	p := &Proposal{ID: x.index, Action: b.Action, Member: b.Member, Voter: b.Voter, Node: b.Node, Proposer: x.cmd.Actor, Time: x.cmd.Time,
		Approvals: []Approval{{Member: x.sub.Member, User: x.cmd.Actor, Index: x.index}}}
	s.gov.proposals[p.ID] = p
	s.decideLocked(p, x.index)
}

// GovApprove approves an open proposal for the actor's member; when admins of a strict
// majority of the active members have approved, the proposal passes and takes effect.
type GovApprove struct {
	ID     uint64 `json:"id"`
	GovSig        // by a node of the approver's member (gov_sig.go)
}

// Kind implements Body.
func (*GovApprove) Kind() Kind { return KindGovApprove }

func (b *GovApprove) check(s *State, x *exec) error {
	const op = "catalog.GovApprove"
	if err := s.checkGovActor(op, x, b); err != nil {
		return err
	}
	p, err := s.proposalToActOnLocked(op, b.ID)
	if err != nil {
		return err
	}
	for _, a := range p.Approvals {
		if a.Member == x.sub.Member {
			return errs.Errorf(op, errs.Conflict, "member %s approved proposal %d already (by %s); admins of other members must approve it", a.Member, b.ID, a.User)
		}
	}
	// The state may have moved since the proposal: it must still make sense.
	switch p.Action {
	case GovAddMember:
		return s.checkAddMemberProposal(op, p.Member, p.Voter)
	case GovRemoveMember:
		return s.checkActiveMember(op, p.Member)
	case GovRebindMember:
		return s.checkRebindProposal(op, p.Member, p.Node)
	default:
		return s.checkAddVoterProposal(op, p.Member)
	}
}

// proposalToActOnLocked returns proposal id if it is still open, for the commands that act on it.
func (s *State) proposalToActOnLocked(op string, id uint64) (*Proposal, error) {
	p := s.gov.proposals[id]
	if p == nil {
		return nil, errs.Errorf(op, errs.NotExist, "no proposal %d; list them with meridian federation proposals", id)
	}
	if !p.Open() {
		return nil, errs.Errorf(op, errs.Conflict, "proposal %d is closed (passed at index %d, withdrawn at %d)", id, p.Passed, p.Withdrawn)
	}
	return p, nil
}

func (b *GovApprove) apply(s *State, x *exec) {
	p := s.gov.proposals[b.ID]
	p.Approvals = append(p.Approvals, Approval{Member: x.sub.Member, User: x.cmd.Actor, Index: x.index})
	s.decideLocked(p, x.index)
}

// GovWithdraw closes an open proposal without effect. Only an admin of the proposer's member
// may withdraw it.
type GovWithdraw struct {
	ID     uint64 `json:"id"`
	GovSig        // by a node of the withdrawing admin's member (gov_sig.go)
}

// Kind implements Body.
func (*GovWithdraw) Kind() Kind { return KindGovWithdraw }

func (b *GovWithdraw) check(s *State, x *exec) error {
	const op = "catalog.GovWithdraw"
	if err := s.checkGovActor(op, x, b); err != nil {
		return err
	}
	p, err := s.proposalToActOnLocked(op, b.ID)
	if err != nil {
		return err
	}
	if p.Approvals[0].Member != x.sub.Member {
		return errs.Errorf(op, errs.Permission, "only an admin of %s, which proposed it, may withdraw proposal %d", p.Approvals[0].Member, b.ID)
	}
	return nil
}

func (b *GovWithdraw) apply(s *State, x *exec) { s.gov.proposals[b.ID].Withdrawn = x.index }
