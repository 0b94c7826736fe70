package node

import (
	"context"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
)

// refIndexMaxRefs bounds the references the delete index holds. An entry costs about 20–25
// bytes (a uint64 → uint64 map slot plus map overhead), so the bound is about 100 MB: 4 Mi
// shard references, e.g. 800 Ki stripes of 3+2, 3.2 TiB of objects at 4 MiB stripes. Beyond it
// the index stops growing and remote deletes of blocks it does not know are refused.
const refIndexMaxRefs = 1 << 22

// refIndexRetry is how often manifests that could not be fetched are tried again.
const refIndexRetry = time.Minute

// manifestStripe marks a reference to an object's manifest in a packed reference.
const manifestStripe = 1<<24 - 1

// objectSource is what the index reads from the committed state (*catalog.State).
type objectSource interface {
	Len() int
	Objects(cursor string, limit int) (catalog.Page, error)
	Resolve(pid cid.Cid) (*catalog.Object, error)
}

// indexedObject is one committed object as the index remembers it.
type indexedObject struct {
	catalog  string
	manifest cid.Cid
}

// blockRef is one verified reference to a block: shard Shard of stripe Stripe of an object, or
// (Stripe < 0) the object's manifest.
type blockRef struct {
	Catalog  string
	Manifest cid.Cid
	Stripe   int
	Shard    int
	K, M     int      // the manifest's codec parameters (0 for a manifest reference)
	Key      [32]byte // the stripe's placement key (zero for a manifest reference)
}

// refIndex maps block CIDs to the committed objects that reference them, so a remote DELETE is
// judged without walking every manifest. Objects are only ever appended to the catalog, so the
// index is extended from the last object it saw when the catalog's object count grows, and
// rebuilt when the count shrinks or the last object it saw is gone (a snapshot of another
// history). Keys are the last 8 bytes of the CID's digest and values pack (object slot, stripe,
// shard), 16 bytes an entry; a hit is checked against the manifest before it is believed, so
// a shared prefix can only cost a lookup, never a wrong answer.
type refIndex struct {
	src      objectSource
	manifest func(context.Context, cid.Cid) (*chunker.Manifest, error)
	now      func() time.Time
	maxRefs  int

	sem       chan struct{}       // held (one token) to use the fields below; waits honour ctx
	objs      []indexedObject     // slot → object
	refs      map[uint64]uint64   // digest tail → packed reference
	more      map[uint64][]uint64 // further references under the same digest tail
	nrefs     int
	cursor    string   // Objects cursor after the last object seen
	lastPID   cid.Cid  // the last object seen, to notice another history
	seen      int      // objects seen (indexed or missing)
	missing   []uint32 // slots whose manifest could not be fetched
	lastRetry time.Time
	full      bool // stopped at maxRefs
}

func newRefIndex(src objectSource, manifest func(context.Context, cid.Cid) (*chunker.Manifest, error), now func() time.Time) *refIndex {
	x := &refIndex{src: src, manifest: manifest, now: now, maxRefs: refIndexMaxRefs, sem: make(chan struct{}, 1)}
	x.resetLocked()
	return x
}

func (x *refIndex) resetLocked() {
	x.objs, x.refs, x.more = nil, map[uint64]uint64{}, map[uint64][]uint64{}
	x.nrefs, x.cursor, x.lastPID, x.seen, x.missing, x.full = 0, "", cid.Undef, 0, nil, false
}

// lock takes the index, or gives up when ctx ends (a first build may take a while).
func (x *refIndex) lock(ctx context.Context) error {
	select {
	case x.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (x *refIndex) unlock() { <-x.sem }

// sync brings the index up to the committed objects. It keeps what it did when ctx ends.
func (x *refIndex) sync(ctx context.Context) error {
	if err := x.lock(ctx); err != nil {
		return err
	}
	defer x.unlock()
	return x.syncLocked(ctx)
}

func (x *refIndex) syncLocked(ctx context.Context) error {
	n := x.src.Len()
	if n < x.seen || (x.lastPID.Defined() && !x.stillThereLocked()) {
		x.resetLocked()
	}
	for x.seen < n && !x.full {
		page, err := x.src.Objects(x.cursor, catalog.MaxLimit)
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if err := x.addLocked(ctx, o); err != nil {
				return err
			}
		}
		if page.Next == "" {
			break
		}
	}
	if len(x.missing) > 0 && x.now().Sub(x.lastRetry) >= refIndexRetry {
		x.lastRetry = x.now()
		x.retryLocked(ctx)
	}
	return ctx.Err()
}

func (x *refIndex) stillThereLocked() bool {
	o, err := x.src.Resolve(x.lastPID)
	return err == nil && strconv.FormatUint(o.Index, 10) == x.cursor
}

// addLocked indexes one object; a manifest it cannot fetch is remembered and tried again later.
func (x *refIndex) addLocked(ctx context.Context, o *catalog.Object) error {
	m, err := x.manifest(ctx, o.Manifest)
	if ctx.Err() != nil {
		return ctx.Err() // not seen: the next sync starts here again
	}
	slot := uint32(len(x.objs))
	x.objs = append(x.objs, indexedObject{catalog: o.Catalog, manifest: o.Manifest})
	x.cursor, x.lastPID = strconv.FormatUint(o.Index, 10), o.PID
	x.seen++
	if err != nil {
		x.missing = append(x.missing, slot)
		return nil
	}
	x.addRefsLocked(slot, m)
	return nil
}

func (x *refIndex) retryLocked(ctx context.Context) {
	still := x.missing[:0]
	for _, slot := range x.missing {
		m, err := x.manifest(ctx, x.objs[slot].manifest)
		if err != nil || x.full {
			still = append(still, slot)
			continue
		}
		x.addRefsLocked(slot, m)
	}
	x.missing = still
}

// addRefsLocked adds the manifest and shard references of the object in slot.
func (x *refIndex) addRefsLocked(slot uint32, m *chunker.Manifest) {
	total := 1
	for _, st := range m.Stripes {
		total += len(st.Shards)
	}
	if x.nrefs+total > x.maxRefs || len(m.Stripes) >= manifestStripe {
		x.full = true // never half an object: its blocks are all known, or none
		return
	}
	x.put(x.objs[slot].manifest, pack(slot, manifestStripe, 0))
	for s, st := range m.Stripes {
		for i, c := range st.Shards {
			x.put(c, pack(slot, s, i))
		}
	}
}

func (x *refIndex) put(c cid.Cid, ref uint64) {
	k := tail(c)
	if _, dup := x.refs[k]; dup {
		x.more[k] = append(x.more[k], ref)
	} else {
		x.refs[k] = ref
	}
	x.nrefs++
}

// lookup returns the references of c, each checked against its object's manifest. known is
// false when the index is incomplete, so an empty answer proves nothing.
func (x *refIndex) lookup(ctx context.Context, c cid.Cid) (refs []blockRef, known bool, err error) {
	if err := x.lock(ctx); err != nil {
		return nil, false, err
	}
	if err := x.syncLocked(ctx); err != nil && ctx.Err() != nil {
		x.unlock()
		return nil, false, err
	}
	k := tail(c)
	var packed []uint64
	if r, ok := x.refs[k]; ok {
		packed = append([]uint64{r}, x.more[k]...)
	}
	objs := make([]indexedObject, len(packed))
	for i, r := range packed {
		objs[i] = x.objs[r>>32]
	}
	known = !x.full && len(x.missing) == 0 && x.seen == x.src.Len()
	x.unlock()
	for i, r := range packed {
		ref, ok, err := x.verify(ctx, c, objs[i], r)
		if err != nil {
			return nil, false, err
		}
		if ok {
			refs = append(refs, ref)
		}
	}
	return refs, known, nil
}

// verify checks a packed reference against the object's manifest.
func (x *refIndex) verify(ctx context.Context, c cid.Cid, o indexedObject, r uint64) (blockRef, bool, error) {
	stripe, shard := int(r>>8&manifestStripe), int(r&0xff)
	ref := blockRef{Catalog: o.catalog, Manifest: o.manifest, Stripe: -1}
	if stripe == manifestStripe {
		return ref, o.manifest.Equals(c), nil
	}
	m, err := x.manifest(ctx, o.manifest)
	if err != nil {
		return ref, false, errs.E("node.refIndex", errs.KindOf(err), err)
	}
	if stripe >= len(m.Stripes) || shard >= len(m.Stripes[stripe].Shards) || !m.Stripes[stripe].Shards[shard].Equals(c) {
		return ref, false, nil
	}
	ref.Stripe, ref.Shard, ref.K, ref.M = stripe, shard, m.K, m.M
	ref.Key = m.Stripes[stripe].PlacementKey()
	return ref, true, nil
}

func pack(slot uint32, stripe, shard int) uint64 {
	return uint64(slot)<<32 | uint64(stripe)<<8 | uint64(shard&0xff)
}

// tail returns the last 8 bytes of c's multihash (its digest's end) as the index key.
func tail(c cid.Cid) uint64 {
	h := c.Hash()
	if len(h) < 8 {
		var b [8]byte
		copy(b[8-len(h):], h)
		return binary.BigEndian.Uint64(b[:])
	}
	return binary.BigEndian.Uint64(h[len(h)-8:])
}
