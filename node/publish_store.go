package node

// Storing a publish's stripes and manifest on the nodes placement chooses, with detours
// around nodes that fail and the durability rule (settle) that decides when to acknowledge.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/sync/errgroup"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

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
	n        *Node
	plan     *placement.Plan
	policy   placement.Policy
	degraded atomic.Bool // some stripe was stored with shards missing: repair once committed
}

// store encodes body and stores its stripes and manifest; it returns once all are durable.
// The last stripe is stored in the background while its manifest replicas are written, so a
// one-stripe object waits for one round of fsynced writes instead of two.
func (v *placementView) store(ctx context.Context, body io.Reader, params chunker.Params, dek []byte, size int64) (*chunker.Result, error) {
	g, gctx := errgroup.WithContext(ctx)
	put := func(ctx context.Context, s *chunker.EncodedStripe) error {
		if !s.Last {
			return v.storeStripe(ctx, s)
		}
		last := cloneStripe(s) // Encode reuses s's buffers once put returns
		g.Go(func() error { return v.storeStripe(gctx, last) })
		return nil
	}
	res, err := chunker.Encode(gctx, body, params, dek, put)
	if err == nil && size > 0 && res.Size != size {
		err = errs.Errorf("node.Publish", errs.Invalid, "received %d bytes but the upload announced %d; upload again", res.Size, size)
	}
	if err == nil {
		g.Go(func() error { return v.storeManifest(gctx, res.ManifestCID, res.ManifestBytes) })
	}
	if gerr := g.Wait(); err == nil {
		err = gerr
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// cloneStripe copies an encoded stripe's shards and CIDs.
func cloneStripe(s *chunker.EncodedStripe) *chunker.EncodedStripe {
	c := *s
	c.CIDs = slices.Clone(s.CIDs)
	c.Shards = make([][]byte, len(s.Shards))
	for i, sh := range s.Shards {
		c.Shards[i] = slices.Clone(sh)
	}
	return &c
}

// storeStripe sends each shard of s to its holder in parallel. A holder that fails is replaced
// by the node placement.Plan.Detour picks, which keeps every constraint of the catalog (member
// and region caps, allowed regions, excluded members) given the other holders; the DHT announces
// the detour. A shard no node may take within the constraints stays missing, and the stripe is
// acknowledged only if placement.Plan.Accept allows it.
func (v *placementView) storeStripe(ctx context.Context, s *chunker.EncodedStripe) error {
	holders, err := v.plan.Place(s.PlacementKey)
	if err != nil {
		return err
	}
	sh := &stripeHolders{plan: v.plan, key: s.PlacementKey, assign: holders}
	var wg sync.WaitGroup
	errc := make([]error, len(s.Shards))
	for i := range s.Shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc[i] = v.storeShard(ctx, s.CIDs[i], s.Shards[i], i, sh)
		}()
	}
	wg.Wait()
	return v.settle(s, errc, sh)
}

// stripeHolders is one stripe's holders while its shards are being stored. Detours are chosen
// one at a time under mu, each from the current holders of the other shards, so parallel
// detours cannot together put more shards in a member or region than its cap.
type stripeHolders struct {
	plan   *placement.Plan
	key    [32]byte
	mu     sync.Mutex
	assign []string // guarded by mu: holder per shard, "" where no node may take it
	tried  []string // guarded by mu: nodes that failed to take a shard of this stripe
}

// detour records that failed did not take shard and returns the holder to try next.
func (h *stripeHolders) detour(shard int, failed string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Contains(h.tried, failed) {
		h.tried = append(h.tried, failed)
	}
	next, err := h.plan.Without(h.tried...).Detour(h.key, h.assign, shard)
	h.assign[shard] = next
	return next, err
}

// layout returns the final holders and the nodes that failed.
func (h *stripeHolders) layout() (assign, tried []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.assign), slices.Clone(h.tried)
}

// errNoHolder marks a shard that no reachable node could take within the constraints.
var errNoHolder = errs.Errorf("node.storeShard", errs.Unavailable, "no eligible node left to hold the shard")

// noHolder is errNoHolder with the last holder's error (a full disk, a dead node) and why no
// other node may take the shard (placement's answer, naming the constraint).
type noHolder struct{ last, why error }

func (e noHolder) Error() string {
	return fmt.Sprintf("no node could take the shard: %v (last error: %v)", e.why, e.last)
}
func (e noHolder) Is(target error) bool { return target == errNoHolder }
func (e noHolder) Unwrap() error        { return e.last }

// settle decides whether a stripe is durable enough to acknowledge. Every shard must be stored
// except those for which no reachable node was left within the constraints (nodes down: the
// failures the design tolerates), and placement.Plan.Accept must allow what was stored (at
// least k; in jurisdiction mode, k left after losing any one region). Missing shards are counted
// as degraded and restored by repair when nodes return.
func (v *placementView) settle(s *chunker.EncodedStripe, errc []error, sh *stripeHolders) error {
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
	if stored < v.policy.K && errs.Is(last, errs.NoSpace) {
		return errs.Errorf("node.storeStripe", errs.NoSpace, "stripe %d: only %d of %d shards could be stored, %d needed: the nodes are full (%v); free space or add nodes", s.Index, stored, len(errc), v.policy.K, last)
	}
	layout, tried := sh.layout()
	if err := v.plan.Accept(layout); err != nil {
		return errs.Errorf("node.storeStripe", errs.Unavailable, "stripe %d refused: %v. Nodes that did not take a shard: %s; %v. Bring those nodes back, or add nodes in other members or regions, and publish again",
			s.Index, err, strings.Join(tried, ", "), last)
	}
	if missing := len(errc) - stored; missing > 0 {
		v.n.metrics.degradedShards.Add(float64(missing))
		v.n.log.Warn("stripe stored degraded; repair restores it when nodes return", "stripe", s.Index, "stored", stored, "of", len(errc))
		v.degraded.Store(true) // Publish kicks the repairer once the object is committed
	}
	return nil
}

func (v *placementView) storeShard(ctx context.Context, c cid.Cid, data []byte, shard int, sh *stripeHolders) error {
	sh.mu.Lock()
	target := sh.assign[shard]
	sh.mu.Unlock()
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
		v.n.log.Warn("shard holder failed; trying the node placement picks within the catalog's constraints", "holder", target, "err", err)
		next, why := sh.detour(shard, target)
		if why != nil {
			return noHolder{last: err, why: why}
		}
		target = next
	}
}

// storeManifest replicates the manifest, in parallel, in m+1 copies: the local store and the m
// nearest other active nodes to its CID (readers look there first; see storeManifestRemote).
func (v *placementView) storeManifest(ctx context.Context, c cid.Cid, data []byte) error {
	local := make(chan error, 1)
	go func() { local <- v.n.putLocal(ctx, c, data) }() // beside the remote copies
	if err := v.storeManifestRemote(ctx, c, data); err != nil {
		<-local
		return err
	}
	return <-local
}

// storeManifestRemote puts the manifest on the m nearest other active nodes that the catalog's
// region allow-list and member exclusions allow, moving on along the XOR order past nodes that
// fail.
func (v *placementView) storeManifestRemote(ctx context.Context, c cid.Cid, data []byte) error {
	want := v.policy.M + 1
	self := v.n.PeerID().String()
	var targets []peer.ID
	key := sha256.Sum256(c.Bytes())
	for _, cand := range v.plan.CopyOrder(key) { // active nodes the catalog's constraints allow
		if id, err := peer.Decode(cand.ID); err == nil && cand.ID != self {
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
