package catalog

import (
	"slices"

	"github.com/meridian-fed/meridian/errs"
)

// AddUser creates a user of a member, with its first token hashes. An admin of that member
// may do it.
type AddUser struct {
	User User `json:"user"`
}

// Kind implements Body.
func (*AddUser) Kind() Kind { return KindAddUser }

func (b *AddUser) check(s *State, x *exec) error {
	const op = "catalog.AddUser"
	if err := validUser(op, &b.User); err != nil {
		return err
	}
	if err := memberAdmin(x, b.User.Member); err != nil {
		return err
	}
	if !s.activeMemberLocked(b.User.Member) {
		return errs.Errorf(op, errs.NotExist, "no active member %q", b.User.Member)
	}
	return s.newUserCheckLocked(op, &b.User)
}

// newUserCheckLocked checks that a new user's id and tokens are unused.
func (s *State) newUserCheckLocked(op string, u *User) error {
	if s.users[u.ID] != nil {
		return errs.Errorf(op, errs.Exist, "user %s exists; pick another id", u.ID)
	}
	for _, t := range u.Tokens {
		if s.tokens[t] != nil {
			return errs.Errorf(op, errs.Exist, "token %s is in use; generate a fresh token", t.ID())
		}
	}
	return nil
}

func (b *AddUser) apply(s *State, x *exec) { s.addUserLocked(b.User) }

func (s *State) addUserLocked(u User) {
	u.Key = slices.Clone(u.Key)
	u.Tokens = slices.Clone(u.Tokens)
	p := &u
	s.users[u.ID] = p
	for _, t := range u.Tokens {
		s.tokens[t] = p
	}
}

// AddToken adds a token hash to a user. The user itself or an admin of its member may do it.
type AddToken struct {
	User  string `json:"user"`
	Token Hash   `json:"token"` // sha256 of the 256-bit token
}

// Kind implements Body.
func (*AddToken) Kind() Kind { return KindAddToken }

func (b *AddToken) check(s *State, x *exec) error {
	const op = "catalog.AddToken"
	u, err := s.tokenOwnerCheck(op, x, b.User)
	if err != nil {
		return err
	}
	if s.tokens[b.Token] != nil {
		return errs.Errorf(op, errs.Exist, "token %s is in use; generate a fresh token", b.Token.ID())
	}
	if len(u.Tokens) >= 64 {
		return errs.Errorf(op, errs.Conflict, "user %s has 64 tokens; revoke one first", u.ID)
	}
	return nil
}

func (b *AddToken) apply(s *State, x *exec) {
	u := s.users[b.User]
	i, _ := slices.BinarySearchFunc(u.Tokens, b.Token, cmpHash)
	u.Tokens = slices.Insert(u.Tokens, i, b.Token)
	s.tokens[b.Token] = u
}

func cmpHash(a, b Hash) int { return slices.Compare(a[:], b[:]) }

// tokenOwnerCheck finds the user and checks that the actor is that user or its member's admin.
func (s *State) tokenOwnerCheck(op string, x *exec, user string) (*User, error) {
	u := s.users[user]
	if u == nil {
		return nil, errs.Errorf(op, errs.NotExist, "no user %q", user)
	}
	if x.sub.Authenticated() && x.sub.User == u.ID {
		return u, nil
	}
	return u, memberAdmin(x, u.Member)
}

// RevokeToken deletes a token hash: the token stops authenticating at once on every node.
type RevokeToken struct {
	User  string `json:"user"`
	Token Hash   `json:"token"`
}

// Kind implements Body.
func (*RevokeToken) Kind() Kind { return KindRevokeToken }

func (b *RevokeToken) check(s *State, x *exec) error {
	const op = "catalog.RevokeToken"
	u, err := s.tokenOwnerCheck(op, x, b.User)
	if err != nil {
		return err
	}
	if s.tokens[b.Token] != u {
		return errs.Errorf(op, errs.NotExist, "user %s has no token %s; list its tokens first", u.ID, b.Token.ID())
	}
	return nil
}

func (b *RevokeToken) apply(s *State, x *exec) {
	u := s.users[b.User]
	u.Tokens = slices.DeleteFunc(u.Tokens, func(h Hash) bool { return h == b.Token })
	delete(s.tokens, b.Token)
}
