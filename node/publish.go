package node

import (
	"context"
	"crypto/ed25519"
	"io"
	"time"

	"filippo.io/age"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/chunker/crypt"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
	"github.com/meridian-fed/meridian/store"
)

// Publish implements api.Backend: check, encode and store shards on their placement, replicate
// the manifest, commit the record through Raft. It answers only after the commit, when every
// shard that a reachable node could take is durable on a distinct node (all k+m while the
// federation is whole, never fewer than k; see settle), so the object reads back. A failure
// before the commit leaves no catalog entry; its shards are orphans that garbage collection
// removes after the grace period.
func (n *Node) Publish(ctx context.Context, sub api.Subject, req api.PublishRequest, body io.Reader) (_ *api.Object, err error) {
	defer func() { n.metrics.publishes.WithLabelValues(resultLabel(err)).Inc() }()
	const op = "node.Publish"
	pp, err := n.preparePublish(ctx, sub, req)
	if err != nil {
		return nil, err
	}
	started := n.now()
	params := chunker.Params{K: pp.view.policy.K, M: pp.view.policy.M, StripeSize: n.cfg.StripeSize, Workers: n.cfg.Transfers}
	res, err := pp.view.store(ctx, body, params, pp.dek, req.Size)
	if err != nil {
		return nil, err
	}
	stored := n.now()
	// Holders collect unreferenced shards after orphan_grace; a publish that took a large part
	// of it must not commit, or its first shards could already be gone.
	if took := stored.Sub(started); took > n.cfg.OrphanGrace/2 {
		return nil, errs.Errorf(op, errs.Timeout, "the upload took %v, more than half the orphan grace (%v): raise orphan_grace on every node for uploads this long", took.Round(time.Second), n.cfg.OrphanGrace)
	}
	p, err := n.commitPublish(ctx, sub, req, res, pp.keys)
	if err != nil {
		return nil, err
	}
	if pp.view.degraded.Load() {
		// Only now can a repair pass see the object; a kick before the commit could miss it.
		n.kickRepair("a publish with missing shards committed")
	}
	n.metrics.publishPhase.WithLabelValues("store").Observe(stored.Sub(started).Seconds())
	n.metrics.publishPhase.WithLabelValues("commit").Observe(n.now().Sub(stored).Seconds())
	n.metrics.publishBytes.Add(float64(res.Size))
	o, err := n.state.Resolve(p)
	if err != nil {
		return nil, err
	}
	return n.toAPIObject(o)
}

// publishPrep is what a publish decides before it reads the body: where its stripes go, its
// data key and that key wrapped for every reader member.
type publishPrep struct {
	view *placementView
	dek  []byte
	keys []catalog.WrappedKey
}

// preparePublish checks that sub may publish req into its catalog through this node and
// prepares the placement and keys, all before the body is read.
func (n *Node) preparePublish(ctx context.Context, sub api.Subject, req api.PublishRequest) (*publishPrep, error) {
	const op = "node.Publish"
	if !sub.Anonymous && sub.Member != n.cfg.Member {
		// The record is signed with this node's key, which the catalog accepts only for the
		// node's own member's users. WrongNode, not Permission: a node of the user's member
		// can sign, and nothing was done here, so a client moves on to its next endpoint.
		return nil, errs.Errorf(op, errs.WrongNode, "this node belongs to member %s and can sign only for its users; publish through a node of %s", n.cfg.Member, sub.Member)
	}
	if err := n.mayAct(ctx, sub, policy.Publish, req.Catalog); err != nil {
		return nil, err
	}
	cat, err := n.state.Catalog(req.Catalog)
	if err != nil {
		return nil, err
	}
	readers, err := n.state.Readers(req.Catalog)
	if err != nil {
		return nil, err
	}
	view, err := n.newPlacementView(cat)
	if err != nil {
		return nil, err
	}
	if limit := maxObjectSize(n.cfg.StripeSize, view.policy.Shards()); req.Size > limit {
		return nil, errs.Errorf(op, errs.Invalid, "an object of %d bytes needs a manifest larger than a block may be; with %d-byte stripes objects may have up to %d bytes: raise stripe_size or split the object", req.Size, n.cfg.StripeSize, limit)
	}
	dek, err := crypt.NewDEK()
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	keys, err := n.wrapKey(dek, readers)
	if err != nil {
		return nil, err
	}
	return &publishPrep{view: view, dek: dek, keys: keys}, nil
}

// commitPublish signs the record of a stored object and commits it through Raft; it returns
// the PID once the local replica has applied it.
func (n *Node) commitPublish(ctx context.Context, sub api.Subject, req api.PublishRequest, res *chunker.Result, keys []catalog.WrappedKey) (cid.Cid, error) {
	rec, err := n.buildRecord(sub, req, res)
	if err != nil {
		return cid.Undef, err
	}
	recBytes, err := rec.Encode()
	if err != nil {
		return cid.Undef, err
	}
	p := pid.Sum(recBytes)
	body := &catalog.Publish{PID: pid.Format(p), Record: recBytes, Manifest: res.ManifestCID.String(), Keys: keys}
	if _, err := n.propose(ctx, actorOf(sub), body); err != nil {
		return cid.Undef, err
	}
	return p, nil
}

func resultLabel(err error) string {
	if err == nil {
		return "ok"
	}
	return errs.KindOf(err).String()
}

// wrapKey wraps dek for each reader member with its age recipient from the catalog.
func (n *Node) wrapKey(dek []byte, readers []string) ([]catalog.WrappedKey, error) {
	out := make([]catalog.WrappedKey, 0, len(readers))
	for _, m := range readers {
		mem, err := n.state.Member(m)
		if err != nil {
			return nil, err
		}
		r, err := age.ParseX25519Recipient(mem.Recipient)
		if err != nil {
			return nil, errs.Errorf("node.wrapKey", errs.Corrupt, "member %s has a bad age recipient: %v", m, err)
		}
		w, err := crypt.WrapKey(dek, r)
		if err != nil {
			return nil, err
		}
		out = append(out, catalog.WrappedKey{Member: m, Key: w})
	}
	return out, nil
}

func (n *Node) buildRecord(sub api.Subject, req api.PublishRequest, res *chunker.Result) (*pid.Record, error) {
	const op = "node.buildRecord"
	rec := &pid.Record{
		V:         pid.Version,
		Content:   res.ContentCID,
		SHA256:    res.SHA256[:],
		Size:      res.Size,
		Type:      req.Type,
		Name:      req.Name,
		Catalog:   req.Catalog,
		Publisher: pid.Publisher{Member: sub.Member, User: sub.User, Key: n.signKey.Public().(ed25519.PublicKey)},
		Created:   n.now().UTC().Format(time.RFC3339Nano),
	}
	if rec.Type == "" {
		rec.Type = "application/octet-stream"
	}
	if len(req.Meta) > 0 {
		rec.Meta = make(map[string]any, len(req.Meta))
		for k, v := range req.Meta {
			rec.Meta[k] = v
		}
	}
	for _, s := range req.DerivedFrom {
		c, err := pid.Parse(s)
		if err != nil {
			return nil, errs.Errorf(op, errs.Invalid, "derived_from %q: %v", s, err)
		}
		rec.DerivedFrom = append(rec.DerivedFrom, c)
	}
	if a := req.Activity; a != nil {
		rec.Activity = &pid.Activity{Name: a.Name, Software: a.Software, Params: a.Params}
	}
	// Sign validates the record first: its Invalid errors name a field the caller gave (meta,
	// name, type…) and must reach the user as 400, so they keep their kind. Its key checks cannot
	// fail: Publisher.Key is derived from the signing key just above.
	if err := rec.Sign(n.signKey); err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	if err := rec.Validate(); err != nil {
		return nil, errs.E(op, errs.Other, err)
	}
	return rec, nil
}

// manifestBytesPerStripe bounds a stripe's share of an encoded manifest from above: a tagged
// 41-byte CID per shard plus the stripe's lengths and CBOR framing (measured: 233 bytes at 3+2).
func manifestBytesPerStripe(shards int) int64 { return int64(shards)*44 + 40 }

// maxObjectSize is the largest object whose manifest still fits in one block (store and shard
// protocol cap), so a too-large upload is refused before any byte is read.
func maxObjectSize(stripeSize, shards int) int64 {
	return (store.MaxBlockSize - 4096) / manifestBytesPerStripe(shards) * int64(stripeSize)
}
