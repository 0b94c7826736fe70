package catalog

import (
	"slices"
	"strings"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// CreateCatalog creates a catalog owned by a member. An admin of the owner may do it. A
// placement with k and m both 0 takes k and m from the federation's default and keeps every
// other field (regions, excluded members, jurisdiction mode); k and m go together.
type CreateCatalog struct {
	Name      string         `json:"name"`
	Owner     string         `json:"owner"`
	Scope     policy.Scope   `json:"scope"`
	Grants    []policy.Grant `json:"grants,omitempty"`
	Placement Placement      `json:"placement"`
}

// Kind implements Body.
func (*CreateCatalog) Kind() Kind { return KindCreateCatalog }

func (b *CreateCatalog) check(s *State, x *exec) error {
	const op = "catalog.CreateCatalog"
	if err := validID(op, "catalog name", b.Name); err != nil {
		return err
	}
	if err := memberAdmin(x, b.Owner); err != nil {
		return err
	}
	if s.catalogs[b.Name] != nil {
		return errs.Errorf(op, errs.Exist, "catalog %s exists; pick another name", b.Name)
	}
	if err := s.validScopeLocked(op, b.Scope); err != nil {
		return err
	}
	if err := s.validGrantsLocked(op, b.Grants); err != nil {
		return err
	}
	p, err := s.createPlacementLocked(op, b.Placement, x.proposing)
	if err != nil {
		return err
	}
	if x.proposing {
		if err := s.placeableLocked(op, p); err != nil {
			return err
		}
	}
	b.Placement = p
	return nil
}

func (b *CreateCatalog) apply(s *State, x *exec) {
	s.catalogs[b.Name] = &catalogEntry{Catalog: Catalog{
		Name: b.Name, Owner: b.Owner, Scope: b.Scope,
		Grants: slices.Clone(b.Grants), Placement: clonePlacement(b.Placement),
	}}
}

func clonePlacement(p Placement) Placement {
	p.AllowedRegions = slices.Clone(p.AllowedRegions)
	p.ExcludedMembers = slices.Clone(p.ExcludedMembers)
	return p
}

func (s *State) validScopeLocked(op string, sc policy.Scope) error {
	if sc.Kind < policy.ScopeMember || sc.Kind > policy.ScopePublic {
		return invalid(op, "scope must be member, members:a,b, federation or public")
	}
	if sc.Kind != policy.ScopeMembers && len(sc.Members) > 0 {
		return invalid(op, "only a members: scope lists members")
	}
	if !sortedUnique(sc.Members, strings.Compare) {
		return invalid(op, "scope members must be sorted and distinct")
	}
	for _, m := range sc.Members {
		if !s.activeMemberLocked(m) {
			return errs.Errorf(op, errs.NotExist, "scope names %q, which is not an active member", m)
		}
	}
	return nil
}

func (s *State) validGrantsLocked(op string, gs []policy.Grant) error {
	if len(gs) > MaxGrants {
		return invalid(op, "%d grants, at most %d", len(gs), MaxGrants)
	}
	if !sortedUnique(gs, policy.CompareGrants) {
		return invalid(op, "grants must be in canonical order without duplicates (policy.SortGrants)")
	}
	for _, g := range gs {
		if err := g.Validate(); err != nil {
			return errs.E(op, errs.Invalid, err)
		}
		if g.Member != "" && !s.activeMemberLocked(g.Member) {
			return errs.Errorf(op, errs.NotExist, "grant names %q, which is not an active member", g.Member)
		}
		if g.User != "" && s.users[g.User] == nil {
			return errs.Errorf(op, errs.NotExist, "grant names user %q, which does not exist", g.User)
		}
	}
	return nil
}

func (s *State) validPlacementLocked(op string, p *Placement) error {
	if err := validPlacement(op, p); err != nil {
		return err
	}
	for _, m := range p.ExcludedMembers {
		if s.members[m] == nil {
			return errs.Errorf(op, errs.NotExist, "placement excludes %q, which is not a member", m)
		}
	}
	return nil
}

// catalogAdmin finds a catalog and checks that the actor may administer it.
func (s *State) catalogFor(op string, x *exec, name string, a policy.Action) (*catalogEntry, error) {
	c := s.catalogs[name]
	if c == nil {
		return nil, noCatalog(op, name)
	}
	return c, policy.Can(x.sub, a, c.Resource())
}

// SetScope changes who may read a catalog. Narrowing deletes the wrapped keys of members that
// lose access (data they already read cannot be unlearned); widening needs AddKeys for the new
// readers before they can decrypt.
type SetScope struct {
	Catalog string       `json:"catalog"`
	Scope   policy.Scope `json:"scope"`
}

// Kind implements Body.
func (*SetScope) Kind() Kind { return KindSetScope }

func (b *SetScope) check(s *State, x *exec) error {
	const op = "catalog.SetScope"
	if _, err := s.catalogFor(op, x, b.Catalog, policy.Admin); err != nil {
		return err
	}
	return s.validScopeLocked(op, b.Scope)
}

func (b *SetScope) apply(s *State, x *exec) {
	c := s.catalogs[b.Catalog]
	c.Scope = b.Scope
	s.dropUnreadableKeysLocked(c)
}

// SetGrants replaces a catalog's grants (in canonical order, see policy.SortGrants).
type SetGrants struct {
	Catalog string         `json:"catalog"`
	Grants  []policy.Grant `json:"grants"`
}

// Kind implements Body.
func (*SetGrants) Kind() Kind { return KindSetGrants }

func (b *SetGrants) check(s *State, x *exec) error {
	const op = "catalog.SetGrants"
	if _, err := s.catalogFor(op, x, b.Catalog, policy.Admin); err != nil {
		return err
	}
	return s.validGrantsLocked(op, b.Grants)
}

func (b *SetGrants) apply(s *State, x *exec) {
	c := s.catalogs[b.Catalog]
	c.Grants = slices.Clone(b.Grants)
	s.dropUnreadableKeysLocked(c)
}

// SetPlacement changes where a catalog's shards go; repair moves existing shards.
type SetPlacement struct {
	Catalog   string    `json:"catalog"`
	Placement Placement `json:"placement"`
}

// Kind implements Body.
func (*SetPlacement) Kind() Kind { return KindSetPlacement }

func (b *SetPlacement) check(s *State, x *exec) error {
	const op = "catalog.SetPlacement"
	if _, err := s.catalogFor(op, x, b.Catalog, policy.Admin); err != nil {
		return err
	}
	if b.Placement.K == 0 && b.Placement.M == 0 {
		d := s.fed.DefaultPlacement
		return invalid(op, "placement needs k and m (the federation's default is k=%d, m=%d): pass both, e.g. k=%d and m=%d", d.K, d.M, d.K, d.M)
	}
	if x.proposing {
		if err := codingPaired(op, b.Placement); err != nil {
			return err
		}
	}
	if err := s.validPlacementLocked(op, &b.Placement); err != nil || !x.proposing {
		return err
	}
	return s.placeableLocked(op, b.Placement)
}

func (b *SetPlacement) apply(s *State, x *exec) {
	s.catalogs[b.Catalog].Placement = clonePlacement(b.Placement)
}
