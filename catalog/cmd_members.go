package catalog

import (
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// Bootstrap creates the federation with its first member, admin user and (optionally) node.
// It is accepted only by an empty state; its actor is the admin it creates.
type Bootstrap struct {
	Federation Federation `json:"federation"`
	Member     Member     `json:"member"`
	Admin      User       `json:"admin"`
	Node       *Node      `json:"node,omitempty"`
	// Governed makes the governance rules bind the federation (governance.go); every new
	// federation sets it. A log bootstrapped without it replays under the older rules.
	Governed bool `json:"governed,omitempty"`

	nodeKey []byte
}

// Kind implements Body.
func (*Bootstrap) Kind() Kind { return KindBootstrap }

func (b *Bootstrap) check(s *State, x *exec) error {
	const op = "catalog.Bootstrap"
	if s.fed != nil {
		return errs.Errorf(op, errs.Exist, "federation %q is already bootstrapped; join it with an invite instead", s.fed.Name)
	}
	if b.Federation.Name == "" || len(b.Federation.Name) > MaxName {
		return invalid(op, "the federation needs a name of 1 to %d bytes", MaxName)
	}
	if err := validPlacement(op, &b.Federation.DefaultPlacement); err != nil {
		return err
	}
	if err := validMember(op, &b.Member); err != nil {
		return err
	}
	if err := validUser(op, &b.Admin); err != nil {
		return err
	}
	if b.Admin.Member != b.Member.ID || !b.Admin.Roles.Allows(policy.Admin) || x.cmd.Actor != b.Admin.ID {
		return invalid(op, "the bootstrap actor must be the first admin user, of the first member, with the admin role")
	}
	if b.Node != nil {
		key, err := validNode(op, b.Node)
		if err != nil {
			return err
		}
		if b.Node.Member != b.Member.ID {
			return invalid(op, "the first node must belong to the first member %s", b.Member.ID)
		}
		b.nodeKey = key
	}
	return nil
}

func (b *Bootstrap) apply(s *State, x *exec) {
	fed := b.Federation
	s.fed = &fed
	s.gov.governed = b.Governed
	s.addMemberLocked(b.Member)
	s.addUserLocked(b.Admin)
	if b.Node != nil {
		s.nodes[b.Node.PeerID] = &nodeEntry{Node: *b.Node, key: b.nodeKey}
	}
}

func (s *State) addMemberLocked(m Member) {
	s.members[m.ID] = &m
}

// fedAdminLocked checks that the actor is an admin of some active member.
func fedAdmin(x *exec) error { return policy.Can(x.sub, policy.Admin, policy.Federation) }

// memberAdmin checks that the actor is an admin of member m (or a node of m).
func memberAdmin(x *exec, m string) error {
	return policy.Can(x.sub, policy.Admin, policy.Resource{Owner: m, Scope: policy.Scope{Kind: policy.ScopeMember}})
}

// AddMember adds a partner institution and, optionally, its first admin user (a new member
// has nobody who could add one). Any member's admin (or node) may add a member; in a governed
// federation only a member admitted by a passed add-member decision (governance.go).
type AddMember struct {
	Member Member `json:"member"`
	Admin  *User  `json:"admin,omitempty"`
	// AdminSig is, in a governed federation, the signature by the member's first node (the
	// peer its admission named) of FirstAdminMessage: the node that registers the member (of
	// another member) cannot choose the new member's record (its recipient) or admin token.
	AdminSig []byte `json:"admin_sig,omitempty"`
}

// Kind implements Body.
func (*AddMember) Kind() Kind { return KindAddMember }

func (b *AddMember) check(s *State, x *exec) error {
	const op = "catalog.AddMember"
	if err := fedAdmin(x); err != nil {
		return err
	}
	if err := validMember(op, &b.Member); err != nil {
		return err
	}
	if s.members[b.Member.ID] != nil {
		return errs.Errorf(op, errs.Exist, "member %s exists (ids of retired members are not reused); pick another id", b.Member.ID)
	}
	if s.gov.governed && !s.gov.admitted[b.Member.ID] {
		return errs.Errorf(op, errs.Permission, "member %s is not admitted: an admin proposes it (meridian federation propose add-member %s) and admins of a majority of the members approve it", b.Member.ID, b.Member.ID)
	}
	if err := s.checkFirstAdmin(op, b); err != nil {
		return err
	}
	if b.Admin == nil {
		return nil
	}
	if err := validUser(op, b.Admin); err != nil {
		return err
	}
	if b.Admin.Member != b.Member.ID || !b.Admin.Roles.Allows(policy.Admin) {
		return invalid(op, "the first user of member %s must belong to it and have the admin role", b.Member.ID)
	}
	return s.newUserCheckLocked(op, b.Admin)
}

func (b *AddMember) apply(s *State, x *exec) {
	delete(s.gov.admitted, b.Member.ID)
	s.addMemberLocked(b.Member)
	if b.Admin != nil {
		s.addUserLocked(*b.Admin)
	}
}

// RetireMember retires a member: its users stop authenticating, its nodes are marked gone and
// its wrapped keys are deleted from every object. Retired ids are never reused. A governed
// federation refuses it: a member is removed by a passed remove-member decision instead.
type RetireMember struct {
	ID string `json:"id"`
}

// Kind implements Body.
func (*RetireMember) Kind() Kind { return KindRetireMember }

func (b *RetireMember) check(s *State, x *exec) error {
	const op = "catalog.RetireMember"
	if err := fedAdmin(x); err != nil {
		return err
	}
	if !s.activeMemberLocked(b.ID) {
		return errs.Errorf(op, errs.NotExist, "no active member %q; list members with meridian federation members", b.ID)
	}
	if x.sub.Member == b.ID {
		return errs.Errorf(op, errs.Conflict, "a member cannot retire itself; ask another member's admin")
	}
	if s.gov.governed {
		return errs.Errorf(op, errs.Permission, "removing a member is a governance decision: propose it with meridian federation propose remove-member %s", b.ID)
	}
	return nil
}

func (b *RetireMember) apply(s *State, x *exec) { s.retireMemberLocked(b.ID) }

// retireMemberLocked retires member id, marks its nodes gone and drops its wrapped keys.
func (s *State) retireMemberLocked(id string) {
	s.members[id].Retired = true
	for _, n := range s.nodes {
		if n.Member == id {
			n.State = NodeGone
		}
	}
	for _, c := range s.catalogs {
		s.dropUnreadableKeysLocked(c)
	}
}
