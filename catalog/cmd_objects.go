package catalog

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
)

// Publish adds an object to the catalog its record names. It is accepted only when the record
// verifies against the PID (hash and signature), the actor is the record's publisher and may
// publish into that catalog, the signing key is the user's own key or the key of one of its
// member's nodes, and the wrapped keys are for exactly the catalog's readers.
type Publish struct {
	PID      string       `json:"pid"`
	Record   []byte       `json:"record"`   // canonical DAG-CBOR record bytes
	Manifest string       `json:"manifest"` // CID of the storage manifest
	Keys     []WrappedKey `json:"keys"`     // sorted by member

	pid, manifest cid.Cid
	rec           *pid.Record
}

// Kind implements Body.
func (*Publish) Kind() Kind { return KindPublish }

func (b *Publish) check(s *State, x *exec) error {
	const op = "catalog.Publish"
	var err error
	if b.pid, err = pid.Parse(b.PID); err != nil {
		return err
	}
	if b.manifest, err = cid.Decode(b.Manifest); err != nil {
		return invalid(op, "manifest %q is not a CID: %v", b.Manifest, err)
	}
	if s.objects[b.pid] != nil {
		return errs.Errorf(op, errs.Exist, "%s is already published", pid.Format(b.pid))
	}
	if b.rec, err = pid.VerifyRecord(b.pid, b.Record); err != nil {
		return err
	}
	if err := checkRecordLimits(op, x, b.Record, b.rec); err != nil {
		return err
	}
	c, err := s.catalogFor(op, x, b.rec.Catalog, policy.Publish)
	if err != nil {
		return err
	}
	if err := s.checkPublisherLocked(op, x, &b.rec.Publisher); err != nil {
		return err
	}
	return checkKeys(op, b.Keys, s.readersLocked(&c.Catalog), nil)
}

// checkPublisherLocked checks that the record's publisher is the actor and that its key is
// the user's own or one of its member's live nodes'.
func (s *State) checkPublisherLocked(op string, x *exec, p *pid.Publisher) error {
	u := s.users[x.sub.User]
	if u == nil || p.User != u.ID || p.Member != u.Member {
		return errs.Errorf(op, errs.Permission,
			"the record names publisher %s/%s but the request is by %q; sign the record as the publishing user", p.Member, p.User, x.sub.User)
	}
	if len(u.Key) > 0 && bytes.Equal(u.Key, p.Key) {
		return nil
	}
	for _, n := range s.nodes {
		if n.Member == u.Member && n.State != NodeGone && bytes.Equal(n.key, p.Key) {
			return nil
		}
	}
	return errs.Errorf(op, errs.Permission,
		"the record is signed by a key that is neither user %s's key nor a node of %s; sign it with one of those", u.ID, u.Member)
}

// checkKeys checks that keys are sorted by member, sized sanely, and that together with the
// members in have they cover exactly want.
func checkKeys(op string, keys []WrappedKey, want, have []string) error {
	got := slices.Clone(have)
	for i, k := range keys {
		if i > 0 && keys[i-1].Member >= k.Member {
			return invalid(op, "wrapped keys must be sorted by member, one per member")
		}
		if len(k.Key) == 0 || len(k.Key) > MaxWrappedKey {
			return invalid(op, "wrapped key for %s must be 1 to %d bytes", k.Member, MaxWrappedKey)
		}
		if slices.Contains(have, k.Member) {
			return errs.Errorf(op, errs.Exist, "the object already has a wrapped key for %s", k.Member)
		}
		got = append(got, k.Member)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return errs.Errorf(op, errs.Permission,
			"wrapped keys are for [%s] but the catalog's readers are [%s]; wrap the data key for exactly the readers",
			strings.Join(got, ","), strings.Join(want, ","))
	}
	return nil
}

func (b *Publish) apply(s *State, x *exec) {
	c := s.catalogs[b.rec.Catalog]
	o := &Object{
		PID:       b.pid,
		Record:    slices.Clone(b.Record),
		Catalog:   c.Name,
		Name:      b.rec.Name,
		Content:   b.rec.Content,
		Manifest:  b.manifest,
		Size:      b.rec.Size,
		When:      b.rec.Created,
		BBox:      metaText(b.rec.Meta, pid.MetaBBox),
		Publisher: s.users[x.sub.User].ID,
		Keys:      s.internKeys(b.Keys),
		Index:     x.index,
		Time:      x.cmd.Time,
	}
	if dt := metaText(b.rec.Meta, pid.MetaDatetime); dt != "" {
		o.When = dt
	}
	s.addObjectLocked(c, o)
	x.object = o
}

// addObjectLocked indexes a new object, whose Index is above every other's.
func (s *State) addObjectLocked(c *catalogEntry, o *Object) {
	s.idx.add(uint32(len(s.order)), o)
	s.objects[o.PID] = o
	s.order = append(s.order, o)
	c.objs = append(c.objs, o)
	c.Objects = len(c.objs)
}

// internKeys copies keys, sharing the member id strings with the members table.
func (s *State) internKeys(keys []WrappedKey) []WrappedKey {
	out := make([]WrappedKey, len(keys))
	for i, k := range keys {
		out[i] = WrappedKey{Member: s.members[k.Member].ID, Key: slices.Clone(k.Key)}
	}
	return out
}

// AddKeys adds wrapped data keys for readers an object's keys do not cover yet (after a scope
// widened or a member joined). An admin of the catalog, typically the owner's node running the
// re-wrap job, may do it.
type AddKeys struct {
	PID  string       `json:"pid"`
	Keys []WrappedKey `json:"keys"` // sorted by member

	pid cid.Cid
}

// Kind implements Body.
func (*AddKeys) Kind() Kind { return KindAddKeys }

func (b *AddKeys) check(s *State, x *exec) error {
	const op = "catalog.AddKeys"
	var err error
	if b.pid, err = pid.Parse(b.PID); err != nil {
		return err
	}
	o := s.objects[b.pid]
	if o == nil {
		return errs.Errorf(op, errs.NotExist, "%s is not published", pid.Format(b.pid))
	}
	c, err := s.catalogFor(op, x, o.Catalog, policy.Admin)
	if err != nil {
		return err
	}
	if len(b.Keys) == 0 {
		return invalid(op, "no keys to add")
	}
	readers := s.readersLocked(&c.Catalog)
	var have []string
	for _, k := range o.Keys {
		have = append(have, k.Member)
	}
	// The result must stay within the readers; it need not cover them all yet.
	want := slices.Clone(have)
	for _, k := range b.Keys {
		if slices.Contains(readers, k.Member) {
			want = append(want, k.Member)
		}
	}
	slices.Sort(want)
	return checkKeys(op, b.Keys, want, have)
}

func (b *AddKeys) apply(s *State, x *exec) {
	old := s.objects[b.pid]
	o := *old
	o.Keys = append(slices.Clone(old.Keys), s.internKeys(b.Keys)...)
	slices.SortFunc(o.Keys, func(a, b WrappedKey) int { return strings.Compare(a.Member, b.Member) })
	s.replaceObjectLocked(&o)
	x.object = &o
}

// replaceObjectLocked swaps in a changed copy of an object (same PID and Index) everywhere it
// is referenced. Objects are copied on write so that a snapshot taken earlier keeps the old one.
func (s *State) replaceObjectLocked(o *Object) {
	s.objects[o.PID] = o
	byIndex := func(p *Object, idx uint64) int { return cmp.Compare(p.Index, idx) }
	if i, ok := slices.BinarySearchFunc(s.order, o.Index, byIndex); ok {
		s.order[i] = o
	}
	c := s.catalogs[o.Catalog]
	if i, ok := slices.BinarySearchFunc(c.objs, o.Index, byIndex); ok {
		c.objs[i] = o
	}
}

// dropUnreadableKeysLocked deletes, from every object of c, the wrapped keys of members that
// are no longer readers of c.
func (s *State) dropUnreadableKeysLocked(c *catalogEntry) {
	readers := s.readersLocked(&c.Catalog)
	for _, old := range c.objs {
		keep := func(k WrappedKey) bool { _, ok := slices.BinarySearch(readers, k.Member); return ok }
		if !slices.ContainsFunc(old.Keys, func(k WrappedKey) bool { return !keep(k) }) {
			continue
		}
		o := *old
		o.Keys = slices.DeleteFunc(slices.Clone(old.Keys), func(k WrappedKey) bool { return !keep(k) })
		s.replaceObjectLocked(&o)
	}
}

// metaText returns a string meta value, or "".
func metaText(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}
