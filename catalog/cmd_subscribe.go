package catalog

import (
	"slices"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// Subscribe adds the acting user to a catalog's subscribers; subscribing twice is a no-op.
type Subscribe struct {
	Catalog string `json:"catalog"`
}

// Kind implements Body.
func (*Subscribe) Kind() Kind { return KindSubscribe }

func (b *Subscribe) check(s *State, x *exec) error {
	return s.subscriberCheck("catalog.Subscribe", x, b.Catalog)
}

func (b *Subscribe) apply(s *State, x *exec) {
	c := s.catalogs[b.Catalog]
	if i, found := slices.BinarySearch(c.Subscribers, x.sub.User); !found {
		c.Subscribers = slices.Insert(c.Subscribers, i, x.sub.User)
	}
}

// Unsubscribe removes the acting user from a catalog's subscribers; it is a no-op when the
// user was not subscribed.
type Unsubscribe struct {
	Catalog string `json:"catalog"`
}

// Kind implements Body.
func (*Unsubscribe) Kind() Kind { return KindUnsubscribe }

func (b *Unsubscribe) check(s *State, x *exec) error {
	return s.subscriberCheck("catalog.Unsubscribe", x, b.Catalog)
}

func (b *Unsubscribe) apply(s *State, x *exec) {
	c := s.catalogs[b.Catalog]
	if i, found := slices.BinarySearch(c.Subscribers, x.sub.User); found {
		c.Subscribers = slices.Delete(c.Subscribers, i, i+1)
	}
}

func (s *State) subscriberCheck(op string, x *exec, catalog string) error {
	if !x.sub.Authenticated() || s.users[x.sub.User] == nil {
		return errs.Errorf(op, errs.Unauthenticated, "only a signed-in user subscribes; send a valid token")
	}
	_, err := s.catalogFor(op, x, catalog, policy.Read)
	return err
}
