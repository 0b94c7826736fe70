package catalog

import (
	"io"
	"strings"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
)

// Decoding limits: generous, but they keep a damaged length from allocating the machine away.
const (
	maxEntities = 1 << 40
	maxSmall    = 1 << 16
)

// ReadSnapshot decodes a snapshot written by WriteSnapshot into a new State. It checks the
// trailing checksum, the canonical order of every table, every reference between entities and
// the audit hash chain, and rebuilds the indexes; errors are Corrupt.
func ReadSnapshot(r io.Reader) (*State, error) {
	d := newDecoder(r)
	s := New()
	d.header(s)
	for i, n := 0, d.count(maxEntities); i < n && d.err == nil; i++ {
		d.member(s)
	}
	for i, n := 0, d.count(maxEntities); i < n && d.err == nil; i++ {
		d.node(s)
	}
	for i, n := 0, d.count(maxEntities); i < n && d.err == nil; i++ {
		d.user(s)
	}
	for i, n := 0, d.count(maxEntities); i < n && d.err == nil; i++ {
		d.catalog(s)
	}
	for i, n := 0, d.count(maxEntities); i < n && d.err == nil; i++ {
		d.object(s)
	}
	for i, n := 0, d.count(maxEntities); i < n && d.err == nil; i++ {
		d.audit(s)
	}
	if d.version >= 2 {
		d.gov(s)
	}
	d.finish()
	if d.err == nil {
		d.checkApplied(s)
	}
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
}

// Restore replaces the state with the one a snapshot holds. On error the state is unchanged.
func (s *State) Restore(r io.Reader) error {
	n, err := ReadSnapshot(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied, s.fed, s.members, s.nodes, s.users = n.applied, n.fed, n.members, n.nodes, n.users
	s.tokens, s.catalogs, s.objects, s.order, s.audit = n.tokens, n.catalogs, n.objects, n.order, n.audit
	s.gov = n.gov
	s.idx = n.idx // rebuilt object by object while reading
	return nil
}

func (d *decoder) header(s *State) {
	magic := make([]byte, len(snapshotMagic))
	d.fixed(magic)
	if d.err == nil && string(magic) != snapshotMagic {
		d.fail("not a catalog snapshot")
	}
	if d.version = d.uvarint(); d.err == nil && (d.version < 1 || d.version > SnapshotVersion) {
		d.fail("version %d; this node reads versions 1 to %d: upgrade it", d.version, SnapshotVersion)
	}
	s.applied = d.uvarint()
	if d.bool() {
		f := &Federation{Name: d.str()}
		d.placement(&f.DefaultPlacement)
		d.check(validPlacement("", &f.DefaultPlacement))
		s.fed = f
	}
}

// check records a validation error as corruption.
func (d *decoder) check(err error) {
	if err != nil {
		d.fail("%v", err)
	}
}

func (d *decoder) placement(p *Placement) {
	p.K, p.M = int(d.count(MaxShards)), int(d.count(MaxShards))
	p.AllowedRegions = d.strs(maxSmall)
	p.ExcludedMembers = d.strs(maxSmall)
	p.Jurisdiction = d.bool()
}

func (d *decoder) member(s *State) {
	m := Member{ID: d.str(), Name: d.str(), Region: d.str(), Recipient: d.str()}
	retired := d.bool()
	if d.err != nil {
		return
	}
	d.check(validMember("", &m))
	if s.members[m.ID] != nil || !d.after(&d.lastMember, m.ID) {
		d.fail("member %q out of order or duplicated", m.ID)
	}
	m.Retired = retired
	s.members[m.ID] = &m
}

// after reports whether key sorts strictly after *last, and moves *last to key.
func (d *decoder) after(last *string, key string) bool {
	ok := *last == "" || *last < key
	*last = key
	return ok
}

func (d *decoder) node(s *State) {
	n := Node{PeerID: d.str(), Member: d.str(), Addrs: d.strs(MaxAddrs), Voter: d.bool(), Capacity: d.varint()}
	st := d.count(uint64(NodeGone))
	if d.version >= 2 {
		n.API, n.TLSPin = d.str(), d.str()
	}
	if d.err != nil {
		return
	}
	n.State = NodeActive
	key, err := validNode("", &n)
	d.check(err)
	n.State = NodeState(st)
	if n.State < NodeActive || s.members[n.Member] == nil || !d.after(&d.lastNode, n.PeerID) {
		d.fail("node %s: bad state, unknown member or out of order", n.PeerID)
	}
	s.nodes[n.PeerID] = &nodeEntry{Node: n, key: key}
}

func (d *decoder) user(s *State) {
	u := User{ID: d.str(), Member: d.str(), Roles: policy.Roles(d.count(0xff)), Key: d.bytes()}
	if len(u.Key) == 0 {
		u.Key = nil
	}
	for i, n := 0, d.count(64); i < n && d.err == nil; i++ {
		var h Hash
		d.fixed(h[:])
		u.Tokens = append(u.Tokens, h)
	}
	if d.err != nil {
		return
	}
	d.check(validUser("", &u))
	if s.members[u.Member] == nil || !d.after(&d.lastUser, u.ID) {
		d.fail("user %s: unknown member or out of order", u.ID)
	}
	p := &u
	s.users[u.ID] = p
	for _, t := range u.Tokens {
		if s.tokens[t] != nil {
			d.fail("token %s belongs to two users", t.ID())
		}
		s.tokens[t] = p
	}
}

func (d *decoder) catalog(s *State) {
	c := &catalogEntry{Catalog: Catalog{Name: d.str(), Owner: d.str()}}
	sc, err := policy.ParseScope(d.str())
	if d.err == nil {
		d.check(err)
	}
	c.Scope = sc
	for i, n := 0, d.count(MaxGrants); i < n && d.err == nil; i++ {
		c.Grants = append(c.Grants, policy.Grant{Action: policy.Action(d.count(uint64(policy.Admin))), Member: d.str(), User: d.str()})
	}
	d.placement(&c.Placement)
	c.Subscribers = d.strs(maxEntities)
	if d.err != nil {
		return
	}
	d.check(validID("", "catalog name", c.Name))
	d.check(validPlacement("", &c.Placement))
	for _, g := range c.Grants {
		d.check(g.Validate())
	}
	if s.members[c.Owner] == nil || !d.after(&d.lastCatalog, c.Name) ||
		!sortedUnique(c.Grants, policy.CompareGrants) || !sortedUnique(c.Subscribers, strings.Compare) {
		d.fail("catalog %s: unknown owner, out of order, or unsorted grants or subscribers", c.Name)
	}
	s.catalogs[c.Name] = c
}

func (d *decoder) cid() cid.Cid {
	b := d.bytes()
	if d.err != nil {
		return cid.Undef
	}
	n, c, err := cid.CidFromBytes(b)
	if err != nil || n != len(b) {
		d.fail("bad CID")
	}
	return c
}

func (d *decoder) object(s *State) {
	o := &Object{Record: d.bytes()}
	c := s.catalogs[string(d.view())] // string(view) in a lookup does not allocate
	o.Name, o.Content, o.Manifest, o.Size, o.When, o.BBox = d.str(), d.cid(), d.cid(), d.varint(), d.str(), d.str()
	u := s.users[string(d.view())]
	var last *Member
	nkeys := d.count(maxSmall)
	o.Keys = make([]WrappedKey, 0, min(nkeys, 64))
	for i := 0; i < nkeys && d.err == nil; i++ {
		m := s.members[string(d.view())]
		if m == nil || last != nil && last.ID >= m.ID {
			d.fail("wrapped key for an unknown or out-of-order member")
			return
		}
		last = m
		o.Keys = append(o.Keys, WrappedKey{Member: m.ID, Key: d.bytes()})
	}
	o.Index, o.Time = d.uvarint(), d.varint()
	if d.err != nil {
		return
	}
	o.PID = pid.Sum(o.Record)
	if c == nil || u == nil || s.objects[o.PID] != nil || len(s.order) > 0 && s.order[len(s.order)-1].Index >= o.Index {
		d.fail("object %s: unknown catalog or publisher, duplicate, or out of order", pid.Format(o.PID))
		return
	}
	o.Catalog, o.Publisher = c.Name, u.ID
	s.addObjectLocked(c, o)
}

func (d *decoder) audit(s *State) {
	e := AuditEntry{Index: d.uvarint(), Time: d.varint()}
	e.Actor = d.actor(s)
	e.Kind = internKind(d.view())
	d.fixed(e.Digest[:])
	d.fixed(e.Hash[:])
	if d.err != nil {
		return
	}
	var prev Hash
	if n := len(s.audit); n > 0 {
		prev = s.audit[n-1].Hash
		if s.audit[n-1].Index >= e.Index {
			d.fail("audit entry %d out of order", e.Index)
		}
	}
	if e.Kind == "" || chainHash(prev, &e) != e.Hash {
		d.fail("audit entry %d: unknown kind or broken hash chain", e.Index)
	}
	s.audit = append(s.audit, e)
}

// checkApplied checks that the applied index is that of the last audit entry and that every
// object's index is an audited publish.
func (d *decoder) checkApplied(s *State) {
	var last uint64
	if n := len(s.audit); n > 0 {
		last = s.audit[n-1].Index
	}
	if s.applied != last || (s.fed == nil) != (len(s.audit) == 0) {
		d.fail("applied index %d does not match the audit log (last entry %d)", s.applied, last)
	}
	if n := len(s.order); n > 0 && s.order[n-1].Index > last {
		d.fail("object published after the last audited command")
	}
}

// actor reads an audit entry's actor, sharing the string with the users table when it names
// a user (it almost always does), so a million entries do not hold a million copies.
func (d *decoder) actor(s *State) string {
	v := d.view()
	if u := s.users[string(v)]; u != nil {
		return u.ID
	}
	return string(v)
}

// internKind returns the Kind constant spelled b, or "" when there is none.
func internKind(b []byte) Kind {
	for k := range bodyTypes {
		if string(k) == string(b) {
			return k
		}
	}
	return ""
}
