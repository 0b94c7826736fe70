package node

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/chunker/crypt"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/placement"
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
	if !sub.Anonymous && sub.Member != n.cfg.Member {
		// The record is signed with this node's key, which the catalog accepts only for the
		// node's own member's users.
		return nil, errs.Errorf(op, errs.Permission, "this node belongs to member %s and can sign only for its users; publish through a node of %s", n.cfg.Member, sub.Member)
	}
	if err := n.authorizeFresh(ctx, sub, policy.Publish, req.Catalog); err != nil {
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
	started := n.now()
	params := chunker.Params{K: view.policy.K, M: view.policy.M, StripeSize: n.cfg.StripeSize, Workers: n.cfg.Transfers}
	res, err := chunker.Encode(ctx, body, params, dek, view.storeStripe)
	if err != nil {
		return nil, err
	}
	if req.Size > 0 && res.Size != req.Size {
		return nil, errs.Errorf(op, errs.Invalid, "received %d bytes but the upload announced %d; upload again", res.Size, req.Size)
	}
	if err := view.storeManifest(ctx, res.ManifestCID, res.ManifestBytes); err != nil {
		return nil, err
	}
	// Holders collect unreferenced shards after orphan_grace; a publish that took a large part
	// of it must not commit, or its first shards could already be gone.
	if took := n.now().Sub(started); took > n.cfg.OrphanGrace/2 {
		return nil, errs.Errorf(op, errs.Timeout, "the upload took %v, more than half the orphan grace (%v): raise orphan_grace on every node for uploads this long", took.Round(time.Second), n.cfg.OrphanGrace)
	}
	rec, err := n.buildRecord(sub, req, res)
	if err != nil {
		return nil, err
	}
	recBytes, err := rec.Encode()
	if err != nil {
		return nil, err
	}
	p := pid.Sum(recBytes)
	body2 := &catalog.Publish{PID: pid.Format(p), Record: recBytes, Manifest: res.ManifestCID.String(), Keys: keys}
	if _, err := n.propose(ctx, actorOf(sub), body2); err != nil {
		return nil, err
	}
	n.metrics.publishBytes.Add(float64(res.Size))
	o, err := n.state.Resolve(p)
	if err != nil {
		return nil, err
	}
	return n.toAPIObject(o)
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

func (n *Node) newPlacementView(cat catalog.Catalog) (*placementView, error) {
	pol := toPlacementPolicy(cat.Placement)
	nodes := n.placementNodes()
	plan, err := placement.NewPlan(nodes, pol)
	if err != nil {
		return nil, err
	}
	if err := plan.Err(); err != nil {
		return nil, err
	}
	return &placementView{n: n, plan: plan, policy: pol}, nil
}

// placementView is the membership a publish places stripes on, fixed for the whole upload.
type placementView struct {
	n      *Node
	plan   *placement.Plan
	policy placement.Policy
}

// storeStripe sends each shard of s to its holder in parallel. A holder that fails is replaced
// by the next eligible node in XOR order (the DHT announces the detour), so a publish succeeds
// while enough nodes answer; it fails when fewer than k+m distinct nodes take the stripe.
func (v *placementView) storeStripe(ctx context.Context, s *chunker.EncodedStripe) error {
	holders, err := v.plan.Place(s.PlacementKey)
	if err != nil {
		return err
	}
	ranked := v.plan.Ranked(s.PlacementKey)
	var mu sync.Mutex
	used := make(map[string]bool, len(holders))
	for _, h := range holders {
		used[h] = true
	}
	var wg sync.WaitGroup
	errc := make([]error, len(s.Shards))
	for i := range s.Shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc[i] = v.storeShard(ctx, s.CIDs[i], s.Shards[i], holders[i], ranked, &mu, used)
		}()
	}
	wg.Wait()
	return v.settle(s, errc)
}

// errNoHolder marks a shard that no reachable node could take.
var errNoHolder = errs.Errorf("node.storeShard", errs.Unavailable, "no eligible node left to hold the shard")

// noHolder is errNoHolder with the last holder's error (a full disk, a dead node).
type noHolder struct{ last error }

func (e noHolder) Error() string {
	return fmt.Sprintf("no node could take the shard (last error: %v)", e.last)
}
func (e noHolder) Is(target error) bool { return target == errNoHolder }
func (e noHolder) Unwrap() error        { return e.last }

// settle decides whether a stripe is durable enough to acknowledge. Every shard must be stored
// except those for which no reachable node was left (nodes down: the failures the design
// tolerates); at least k must be stored, so the object reads back. Missing shards are counted as
// degraded and restored by repair when nodes return.
func (v *placementView) settle(s *chunker.EncodedStripe, errc []error) error {
	stored := 0
	var first, last error
	for i, err := range errc {
		switch {
		case err == nil:
			stored++
		case errors.Is(err, errNoHolder):
			last = err
		case first == nil:
			first = errs.Errorf("node.storeStripe", errs.KindOf(err), "stripe %d shard %d: %v", s.Index, i, err)
		}
	}
	if first != nil {
		return first
	}
	if stored < v.policy.K {
		if errs.Is(last, errs.NoSpace) {
			return errs.Errorf("node.storeStripe", errs.NoSpace, "stripe %d: only %d of %d shards could be stored, %d needed: the nodes are full (%v); free space or add nodes", s.Index, stored, len(errc), v.policy.K, last)
		}
		return errs.Errorf("node.storeStripe", errs.Unavailable, "stripe %d: only %d of %d shards could be stored, %d needed (%v); bring nodes back", s.Index, stored, len(errc), v.policy.K, last)
	}
	if missing := len(errc) - stored; missing > 0 {
		v.n.metrics.degradedShards.Add(float64(missing))
		v.n.log.Warn("stripe stored degraded; repair restores it when nodes return", "stripe", s.Index, "stored", stored, "of", len(errc))
	}
	return nil
}

func (v *placementView) storeShard(ctx context.Context, c cid.Cid, data []byte, first string, ranked []placement.Node, mu *sync.Mutex, used map[string]bool) error {
	target := first
	var lastErr error
	for {
		id, err := peer.Decode(target)
		if err == nil {
			err = v.n.shards.put(ctx, id, c, data)
		}
		if err == nil {
			return nil // a detour is found by readers: they fall back along the XOR order
		}
		if ctx.Err() != nil || errs.Is(err, errs.Corrupt) {
			return err
		}
		lastErr = err
		v.n.log.Warn("shard holder failed; trying the next node in placement order", "holder", target, "err", err)
		mu.Lock()
		target = ""
		for _, cand := range ranked {
			if cand.Active && v.policy.Eligible(cand) && !used[cand.ID] {
				used[cand.ID] = true
				target = cand.ID
				break
			}
		}
		mu.Unlock()
		if target == "" {
			return noHolder{last: lastErr}
		}
	}
}

// storeManifest replicates the manifest, in parallel, on the m+1 active nodes nearest to its
// CID (readers look there first), plus the local store.
func (v *placementView) storeManifest(ctx context.Context, c cid.Cid, data []byte) error {
	if err := v.n.store.Put(ctx, c, data); err != nil {
		return err
	}
	want := v.policy.M + 1
	self := v.n.PeerID().String()
	var targets []peer.ID
	key := sha256.Sum256(c.Bytes())
	for _, cand := range v.plan.Ranked(key) {
		if id, err := peer.Decode(cand.ID); err == nil && cand.Active && cand.ID != self {
			targets = append(targets, id)
		}
	}
	stored := 1 // the local copy
	var mu sync.Mutex
	var lastErr error
	for len(targets) > 0 && stored < want {
		batch := targets[:min(want-stored, len(targets))]
		targets = targets[len(batch):]
		var wg sync.WaitGroup
		for _, id := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := v.n.shards.put(ctx, id, c, data)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					lastErr = err
				} else {
					stored++
				}
			}()
		}
		wg.Wait()
	}
	if stored < want {
		return errs.Errorf("node.storeManifest", errs.Unavailable, "manifest stored on %d of %d nodes (last error: %v); bring nodes back and retry", stored, want, lastErr)
	}
	return nil
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
	if err := rec.Sign(n.signKey); err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	if err := rec.Validate(); err != nil {
		return nil, err
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
