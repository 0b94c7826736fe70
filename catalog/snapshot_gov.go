package catalog

import (
	"slices"
	"strings"
)

// govSnapshot is the governance state as a snapshot holds it, in canonical order.
type govSnapshot struct {
	governed  bool
	proposals []Proposal // by id
	admitted  []string   // sorted
	firstNode []string   // member, peer, member, peer, ... by member
	grants    []grantOf  // by member
}

type grantOf struct {
	member string
	n      int
}

func (s *State) govSnapshotLocked() govSnapshot {
	g := govSnapshot{governed: s.gov.governed}
	for _, p := range s.gov.proposals {
		g.proposals = append(g.proposals, cloneProposal(p))
	}
	slices.SortFunc(g.proposals, func(a, b Proposal) int { return cmpUint(a.ID, b.ID) })
	for m := range s.gov.admitted {
		g.admitted = append(g.admitted, m)
	}
	slices.Sort(g.admitted)
	ms := make([]string, 0, len(s.gov.firstNode))
	for m := range s.gov.firstNode {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	for _, m := range ms {
		g.firstNode = append(g.firstNode, m, s.gov.firstNode[m])
	}
	for m, n := range s.gov.grants {
		g.grants = append(g.grants, grantOf{m, n})
	}
	slices.SortFunc(g.grants, func(a, b grantOf) int { return strings.Compare(a.member, b.member) })
	return g
}

// gov writes the governance section (snapshot version 2 on).
func (e *encoder) gov(g *govSnapshot) {
	e.bool(g.governed)
	e.uvarint(uint64(len(g.proposals)))
	for i := range g.proposals {
		e.proposal(&g.proposals[i])
	}
	e.strs(g.admitted)
	e.strs(g.firstNode)
	e.uvarint(uint64(len(g.grants)))
	for _, gr := range g.grants {
		e.str(gr.member)
		e.uvarint(uint64(gr.n))
	}
}

func (e *encoder) proposal(p *Proposal) {
	e.uvarint(p.ID)
	e.str(string(p.Action))
	e.str(p.Member)
	e.bool(p.Voter)
	e.str(p.Node)
	e.str(p.Proposer)
	e.varint(p.Time)
	e.uvarint(uint64(len(p.Approvals)))
	for _, a := range p.Approvals {
		e.str(a.Member)
		e.str(a.User)
		e.uvarint(a.Index)
	}
	e.uvarint(p.Passed)
	e.uvarint(p.Withdrawn)
}

// gov reads the governance section, checking order and references.
func (d *decoder) gov(s *State) {
	s.gov.governed = d.bool()
	var last uint64
	for i, n := 0, d.count(maxEntities); i < n && d.err == nil; i++ {
		p := d.proposal(s)
		if d.err != nil {
			return
		}
		if p.ID <= last || p.ID > s.applied || p.Passed > s.applied || p.Withdrawn > s.applied {
			d.fail("proposal %d out of order or after the applied index", p.ID)
			return
		}
		last = p.ID
		s.gov.proposals[p.ID] = p
	}
	admitted := d.strs(maxEntities)
	if !sortedUnique(admitted, strings.Compare) {
		d.fail("admitted members unsorted")
	}
	for _, m := range admitted {
		if s.members[m] != nil {
			d.fail("member %s is both admitted and created", m)
		}
		s.gov.admitted[m] = true
	}
	d.firstNodes(s)
	prev := ""
	for i, n := 0, d.count(maxEntities); i < n && d.err == nil; i++ {
		m, g := d.str(), d.count(maxSmall)
		if d.err == nil && (g == 0 || !d.after(&prev, m) || s.members[m] == nil && !s.gov.admitted[m]) {
			d.fail("voter grant of %q: zero, out of order or of an unknown member", m)
		}
		s.gov.grants[m] = g
	}
}

func (d *decoder) proposal(s *State) *Proposal {
	p := &Proposal{ID: d.uvarint(), Action: GovAction(d.str()), Member: d.str(), Voter: d.bool(), Node: d.str(), Proposer: d.str(), Time: d.varint()}
	for i, n := 0, d.count(maxSmall); i < n && d.err == nil; i++ {
		a := Approval{Member: d.str(), User: d.str(), Index: d.uvarint()}
		if d.err == nil && (s.members[a.Member] == nil || a.Index < p.ID) {
			d.fail("proposal %d: approval by unknown member %q or before the proposal", p.ID, a.Member)
		}
		p.Approvals = append(p.Approvals, a)
	}
	p.Passed, p.Withdrawn = d.uvarint(), d.uvarint()
	if p.Passed != 0 && p.Withdrawn != 0 {
		d.fail("proposal %d both passed and withdrawn", p.ID)
	}
	switch p.Action {
	case GovAddMember, GovRemoveMember, GovAddVoter, GovRebindMember:
	default:
		d.fail("proposal %d: unknown action %q", p.ID, p.Action)
	}
	if len(p.Approvals) == 0 {
		d.fail("proposal %d has no approval", p.ID)
	}
	return p
}

// firstNodes reads the first-node bindings: member, peer pairs by member, each of a member
// admitted or created.
func (d *decoder) firstNodes(s *State) {
	pairs := d.strs(maxEntities)
	if len(pairs)%2 != 0 {
		d.fail("first-node bindings: odd list")
		return
	}
	prev := ""
	for i := 0; i < len(pairs) && d.err == nil; i += 2 {
		m, p := pairs[i], pairs[i+1]
		if !d.after(&prev, m) || s.members[m] == nil && !s.gov.admitted[m] {
			d.fail("first-node binding of %q: out of order or of an unknown member", m)
		}
		if _, err := nodeKey("", p); err != nil {
			d.fail("first-node binding of %q: %v", m, err)
		}
		s.gov.firstNode[m] = p
	}
}
