package catalog

import (
	"crypto/ed25519"
	"slices"
	"strconv"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// The rules of governance (governance.go): majorities, effects of a passed decision, the
// voter cap and voter grants.

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
	if p.Action == GovAddMember && s.addMemberCapLocked("", p.Member, p.Voter) != nil {
		return // stays open: passing it now would break the voter cap (a removal re-decides)
	}
	p.Passed = index
	switch p.Action {
	case GovAddMember:
		s.gov.admitted[p.Member] = true
		s.gov.firstNode[p.Member] = p.Node
		if p.Voter {
			s.gov.grants[p.Member]++
		}
	case GovRemoveMember:
		s.retireMemberLocked(p.Member)
		delete(s.gov.grants, p.Member)
		delete(s.gov.firstNode, p.Member)
		s.redecideLocked(index) // fewer members: open proposals may have a majority now
	case GovAddVoter:
		s.gov.grants[p.Member]++
	case GovRebindMember:
		s.gov.firstNode[p.Member] = p.Node
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

// checkFirstNode lets the first node of an admitted member be only the peer its add-member
// decision named: the node that registers it is another member's (the new member has none),
// which must not slip in a peer of its own as the new member's node (and act as its admin).
func (s *State) checkFirstNode(op string, n *Node) error {
	want, ok := s.gov.firstNode[n.Member]
	if !ok || want == n.PeerID {
		return nil
	}
	return errs.Errorf(op, errs.Permission, "the first node of member %s must be peer %s, as its admission decided; this node is %s", n.Member, want, n.PeerID)
}

// FirstAdminMessage is what a new member's first node signs to choose its member record (id,
// name, region and the recipient its data is encrypted to) and its first admin's token (by
// hash): the node that registers the member (of another member) can change none of them.
func FirstAdminMessage(m Member, token Hash) []byte {
	return []byte("meridian-first-admin-v2\n" + strconv.Quote(m.ID) + "\n" + strconv.Quote(m.Name) + "\n" + strconv.Quote(m.Region) + "\n" +
		strconv.Quote(m.Recipient) + "\n" + token.String())
}

// checkFirstAdmin, in a governed federation, accepts a new member's first admin only with
// one token chosen (signed) by the first node its admission named.
func (s *State) checkFirstAdmin(op string, b *AddMember) error {
	peerID, ok := s.gov.firstNode[b.Member.ID]
	if !s.gov.governed || !ok {
		return nil
	}
	key, err := nodeKey(op, peerID)
	if err != nil {
		return err
	}
	if b.Admin == nil || len(b.Admin.Tokens) != 1 || !ed25519.Verify(key, FirstAdminMessage(b.Member, b.Admin.Tokens[0]), b.AdminSig) {
		return errs.Errorf(op, errs.Permission, "the record and first admin of member %s must be as its first node %s chose them (the join signs the member's id, name, region, recipient and admin token): join from that node", b.Member.ID, peerID)
	}
	return nil
}
