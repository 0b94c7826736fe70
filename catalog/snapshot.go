package catalog

import (
	"io"
	"slices"
	"strings"
)

// snapshotMagic starts every snapshot; the version follows it.
const (
	snapshotMagic   = "meridian-catalog-snapshot\n"
	SnapshotVersion = 2 // 2 added the nodes' API URL and TLS pin and the governance section; version 1 is still read
)

// Snapshot is a point-in-time copy of the state, taken quickly under the read lock and
// written later while Apply goes on (raft's FSMSnapshot.Persist runs concurrently with
// Apply). Objects are shared, not copied: the state copies an object before changing it.
type Snapshot struct {
	applied  uint64
	fed      *Federation
	members  []Member
	nodes    []Node
	users    []User
	catalogs []Catalog
	objects  []*Object
	audit    []AuditEntry
	gov      govSnapshot // snapshot_gov.go
}

// Snapshot captures the current state.
func (s *State) Snapshot() *Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sn := &Snapshot{applied: s.applied, objects: slices.Clone(s.order), audit: s.audit[:len(s.audit):len(s.audit)]}
	if s.fed != nil {
		f := *s.fed
		f.DefaultPlacement = clonePlacement(f.DefaultPlacement)
		sn.fed = &f
	}
	for _, m := range s.members {
		sn.members = append(sn.members, *m)
	}
	slices.SortFunc(sn.members, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	for _, n := range s.nodes {
		sn.nodes = append(sn.nodes, cloneNode(&n.Node))
	}
	slices.SortFunc(sn.nodes, func(a, b Node) int { return strings.Compare(a.PeerID, b.PeerID) })
	for _, u := range s.users {
		sn.users = append(sn.users, cloneUser(u))
	}
	slices.SortFunc(sn.users, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	for _, c := range s.catalogs {
		sn.catalogs = append(sn.catalogs, cloneCatalog(&c.Catalog))
	}
	slices.SortFunc(sn.catalogs, func(a, b Catalog) int { return strings.Compare(a.Name, b.Name) })
	sn.gov = s.govSnapshotLocked()
	return sn
}

// WriteSnapshot writes the whole state to w in the snapshot format (docs/catalog.md).
func (s *State) WriteSnapshot(w io.Writer) error {
	_, err := s.Snapshot().Write(w)
	return err
}

// Digest returns the sha256 of the state's snapshot encoding: replicas that applied the same
// log have the same digest, and any difference in state gives a different one.
func (s *State) Digest() [32]byte {
	d, _ := s.Snapshot().Write(io.Discard)
	return d
}

// Write encodes the snapshot to w and returns its digest, which is also its trailer.
func (sn *Snapshot) Write(w io.Writer) (Hash, error) {
	e := newEncoder(w)
	e.write([]byte(snapshotMagic))
	e.uvarint(SnapshotVersion)
	e.uvarint(sn.applied)
	e.bool(sn.fed != nil)
	if sn.fed != nil {
		e.str(sn.fed.Name)
		e.placement(&sn.fed.DefaultPlacement)
	}
	e.uvarint(uint64(len(sn.members)))
	for i := range sn.members {
		e.member(&sn.members[i])
	}
	e.uvarint(uint64(len(sn.nodes)))
	for i := range sn.nodes {
		e.node(&sn.nodes[i])
	}
	e.uvarint(uint64(len(sn.users)))
	for i := range sn.users {
		e.user(&sn.users[i])
	}
	e.uvarint(uint64(len(sn.catalogs)))
	for i := range sn.catalogs {
		e.catalog(&sn.catalogs[i])
	}
	e.uvarint(uint64(len(sn.objects)))
	for _, o := range sn.objects {
		e.object(o)
	}
	e.uvarint(uint64(len(sn.audit)))
	for i := range sn.audit {
		e.audit(&sn.audit[i])
	}
	e.gov(&sn.gov)
	sum, err := e.finish()
	if err == nil {
		_, err = w.Write(sum[:])
	}
	return sum, err
}

func (e *encoder) placement(p *Placement) {
	e.uvarint(uint64(p.K))
	e.uvarint(uint64(p.M))
	e.strs(p.AllowedRegions)
	e.strs(p.ExcludedMembers)
	e.bool(p.Jurisdiction)
}

func (e *encoder) member(m *Member) {
	e.str(m.ID)
	e.str(m.Name)
	e.str(m.Region)
	e.str(m.Recipient)
	e.bool(m.Retired)
}

func (e *encoder) node(n *Node) {
	e.str(n.PeerID)
	e.str(n.Member)
	e.strs(n.Addrs)
	e.bool(n.Voter)
	e.varint(n.Capacity)
	e.uvarint(uint64(n.State))
	e.str(n.API)
	e.str(n.TLSPin)
}

func (e *encoder) user(u *User) {
	e.str(u.ID)
	e.str(u.Member)
	e.uvarint(uint64(u.Roles))
	e.bytes(u.Key)
	e.uvarint(uint64(len(u.Tokens)))
	for _, t := range u.Tokens {
		e.write(t[:])
	}
}

func (e *encoder) catalog(c *Catalog) {
	e.str(c.Name)
	e.str(c.Owner)
	e.str(c.Scope.String())
	e.uvarint(uint64(len(c.Grants)))
	for _, g := range c.Grants {
		e.uvarint(uint64(g.Action))
		e.str(g.Member)
		e.str(g.User)
	}
	e.placement(&c.Placement)
	e.strs(c.Subscribers)
}

func (e *encoder) object(o *Object) {
	e.bytes(o.Record)
	e.str(o.Catalog)
	e.str(o.Name)
	e.bytes(o.Content.Bytes())
	e.bytes(o.Manifest.Bytes())
	e.varint(o.Size)
	e.str(o.When)
	e.str(o.BBox)
	e.str(o.Publisher)
	e.uvarint(uint64(len(o.Keys)))
	for _, k := range o.Keys {
		e.str(k.Member)
		e.bytes(k.Key)
	}
	e.uvarint(o.Index)
	e.varint(o.Time)
}

func (e *encoder) audit(a *AuditEntry) {
	e.uvarint(a.Index)
	e.varint(a.Time)
	e.str(a.Actor)
	e.str(string(a.Kind))
	e.write(a.Digest[:])
	e.write(a.Hash[:])
}
