package node

import (
	"context"
	"crypto/sha256"
	"io"
	"time"

	"github.com/ipfs/go-cid"
	pool "github.com/libp2p/go-buffer-pool"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/chunker/crypt"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/store"
)

// ReadContent implements api.Backend: resolve locally, check read, unwrap the data key with
// this node's member identity, fetch the manifest, then decode only the stripes the range
// covers, k verified shards each, from the best holders.
func (n *Node) ReadContent(ctx context.Context, sub api.Subject, p string, off, length int64, w io.Writer) error {
	o, err := n.readable(ctx, sub, p)
	if err != nil {
		return err
	}
	if o.Key(n.cfg.Member) == nil {
		return wrongNodeForKey(n.cfg.Member) // before any manifest or shard is fetched
	}
	// The data key's unwrap (an X25519 exchange) runs beside the manifest lookup.
	var dek []byte
	var dekErr error
	unwrapped := make(chan struct{})
	go func() { defer close(unwrapped); dek, dekErr = n.dataKey(o) }()
	m, err := n.manifest(ctx, o.Manifest)
	<-unwrapped
	if err == nil {
		err = dekErr
	}
	if err != nil {
		return err
	}
	if !m.Content.Equals(o.Content) || m.Size != o.Size {
		return errs.Errorf("node.ReadContent", errs.Corrupt, "manifest %s describes %s (%d bytes), the record %s (%d bytes)", o.Manifest, m.Content, m.Size, o.Content, o.Size)
	}
	src, err := n.stripeSource(o.Catalog)
	if err != nil {
		return err
	}
	src.manifest = o.Manifest
	cw := &countingWriter{w: w}
	err = chunker.DecodeParallel(ctx, m, dek, src, cw, off, length, n.cfg.Transfers)
	n.metrics.readBytes.Add(float64(cw.n))
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n += int64(k)
	return k, err
}

// wrongNodeForKey refuses a read by a caller who may read the object through a node whose
// member holds no wrapped key for it (outside the catalog's scope): WrongNode, so the client
// moves on to its next endpoint. Only callers who passed the read check get here, so it
// tells nobody else that the object exists.
func wrongNodeForKey(member string) error {
	return errs.Errorf("node.ReadContent", errs.WrongNode,
		"this node belongs to member %s, which holds no key for this object (outside its catalog's scope): read it through a node of your member or of another member in the scope", member)
}

// dataKey unwraps the object's DEK with this node's member identity.
func (n *Node) dataKey(o *catalog.Object) ([]byte, error) {
	w := o.Key(n.cfg.Member)
	if w == nil {
		return nil, wrongNodeForKey(n.cfg.Member)
	}
	return crypt.UnwrapKey(w, n.memberKey.Load())
}

// manifest returns the decoded manifest, from the local store or from the nodes nearest its
// CID (where publish put its replicas), then the DHT.
// Decoded manifests are kept in a bounded in-memory cache: they are immutable and small.
func (n *Node) manifest(ctx context.Context, c cid.Cid) (*chunker.Manifest, error) {
	if m, ok := n.manifests.Get(c); ok {
		return m, nil
	}
	b, err := n.store.Get(ctx, c)
	if err != nil {
		if b, err = n.fetchBlock(ctx, c); err != nil {
			return nil, err
		}
	}
	m, err := chunker.DecodeManifest(b)
	if err != nil {
		return nil, err
	}
	if !chunker.ManifestMatches(c, b) {
		return nil, errs.Errorf("node.manifest", errs.Corrupt, "manifest bytes do not hash to %s", c)
	}
	n.manifests.Add(c, m)
	return m, nil
}

// fetchBlock gets a small block (a manifest) from any node that has it, nearest first.
func (n *Node) fetchBlock(ctx context.Context, c cid.Cid) ([]byte, error) {
	key := sha256.Sum256(c.Bytes())
	nodes := n.placementNodes()
	ranked, _ := placement.Ranked(key, nodes, placement.Policy{K: 1, M: 0})
	var cands []peer.ID
	for _, nd := range ranked {
		if id, err := peer.Decode(nd.ID); err == nil && id != n.PeerID() {
			cands = append(cands, id)
		}
	}
	var last error = errs.Errorf("node.fetchBlock", errs.Unavailable, "no node to ask for block %s", c)
	try := func(ps []peer.ID) []byte {
		for _, p := range ps {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			b, err := n.shards.get(cctx, p, c)
			cancel()
			if err == nil {
				return b
			}
			last = err
		}
		return nil
	}
	if b := try(cands); b != nil {
		return b, nil
	}
	// Not where placement says: ask the DHT for providers (slow, so only now).
	if provs, err := n.p2p.DHT().FindProviders(ctx, c); err == nil {
		var ps []peer.ID
		for _, p := range provs {
			ps = append(ps, p.ID)
		}
		if b := try(ps); b != nil {
			return b, nil
		}
	}
	return nil, errs.Errorf("node.fetchBlock", errs.Unavailable, "block %s not found on any reachable node (last error: %v); check 'meridian status'", c, last)
}

// stripeSource reads shards for the decoder: own store first, then the hedged fetcher over
// the holders placement computes from the current membership, each shard's first holder
// followed by every other node in XOR order as fallbacks.
type stripeSource struct {
	n        *Node
	plan     *placement.Plan
	manifest cid.Cid // named in the repair kicks of bad shards (badshard.go)
}

func (n *Node) stripeSource(cat string) (*stripeSource, error) {
	c, err := n.state.Catalog(cat)
	if err != nil {
		return nil, err
	}
	pol := toPlacementPolicy(c.Placement)
	plan, err := placement.NewPlan(n.placementNodesAll(), pol)
	if err != nil {
		return nil, err
	}
	return &stripeSource{n: n, plan: plan}, nil
}

// VerifiesShards tells the decoder not to hash shards again: the local store verifies on read
// and the fetcher verifies every shard it returns.
func (s *stripeSource) VerifiesShards() bool { return true }

// Shards reads the stripe's shards held here while it fetches the rest from other holders at
// the same time: the local reads (and their hashing) stay off the critical path of the
// network fetch. A local shard that turns out corrupt or gone is made up for by a second
// fetch.
func (s *stripeSource) Shards(ctx context.Context, stripe int, cids []cid.Cid, k int) ([][]byte, error) {
	start := time.Now()
	defer func() { s.n.metrics.stripeFetch.Observe(time.Since(start).Seconds()) }()
	out := make([][]byte, len(cids))
	here := make([]bool, len(cids))
	nHere := 0
	for i, c := range cids {
		if ok, err := s.n.store.Has(ctx, c); err == nil && ok {
			here[i] = true
			nHere++
		}
	}
	key := chunker.PlacementKey(cids)
	holders := s.holders(key, len(cids))
	var remote [][]byte
	var remoteErr error
	fetched := make(chan struct{})
	if need := k - min(nHere, k); need > 0 {
		go func() {
			defer close(fetched)
			remote, remoteErr = s.fetch(ctx, stripe, cids, holders, here, need)
		}()
	} else {
		close(fetched)
	}
	have := 0
	for i, c := range cids {
		if !here[i] || have == k {
			continue
		}
		if b, err := s.n.store.Get(ctx, c); err == nil {
			out[i] = b
			have++
		} else if errs.Is(err, errs.Corrupt) || errs.Is(err, errs.NotExist) {
			s.localBad(ctx, stripe, cids, i, err)
		}
	}
	<-fetched
	have += merge(out, remote)
	if have >= k {
		return out, nil
	}
	// A local shard was corrupt or gone, or the fetch fell short: ask for the rest, from
	// every holder of a shard not had yet.
	got := make([]bool, len(cids))
	for i := range out {
		got[i] = out[i] != nil
	}
	more, err := s.fetch(ctx, stripe, cids, holders, got, k-have)
	merge(out, more)
	if err == nil {
		err = remoteErr
	}
	return out, err
}

// fetch asks the fetcher for need shards other than the ones skip marks.
// Shards found bad on the way are reported to the stripe's repairer (badshard.go).
func (s *stripeSource) fetch(ctx context.Context, stripe int, cids []cid.Cid, holders [][]peer.ID, skip []bool, need int) ([][]byte, error) {
	hs := make([][]peer.ID, len(holders))
	for i := range holders {
		if !skip[i] {
			hs[i] = holders[i]
		}
	}
	return s.n.p2p.Fetcher().FetchStripeWatch(ctx, cids, hs, need, func(shard int, p peer.ID, err error) {
		s.n.shardBad(s.plan, s.kick(stripe, cids), cids[shard], p, "remote", err)
	})
}

// kick names stripe for its repairer.
func (s *stripeSource) kick(stripe int, cids []cid.Cid) p2p.Kick {
	return p2p.Kick{Key: chunker.PlacementKey(cids), Manifest: s.manifest, Stripe: stripe}
}

// localBad acts on a shard this node's store said it had but could not give intact: the
// damaged copy is removed (so this node answers "not here" and repair rebuilds it) and the
// stripe is reported.
func (s *stripeSource) localBad(ctx context.Context, stripe int, cids []cid.Cid, i int, err error) {
	if errs.Is(err, errs.Corrupt) {
		removed, rerr := store.RemoveCorrupt(ctx, s.n.store, cids[i])
		if rerr != nil {
			s.n.log.Warn("cannot remove a corrupt shard; the next scrub will", "cid", cids[i], "err", rerr)
		} else if removed {
			s.n.bad.readRemoved.Add(1)
		}
	}
	s.n.shardBad(s.plan, s.kick(stripe, cids), cids[i], s.n.PeerID(), "local", err)
}

// merge fills out's empty slots from got and returns how many it filled.
func merge(out, got [][]byte) int {
	n := 0
	for i := range got {
		if out[i] == nil && got[i] != nil {
			out[i] = got[i]
			n++
		}
	}
	return n
}

// ReleaseShards implements chunker.ShardReleaser: the buffers (fetched ones come from
// libp2p's pool, local ones are fresh) go to the shared pool for the next reads.
func (s *stripeSource) ReleaseShards(shards [][]byte) {
	for _, b := range shards {
		if b != nil {
			pool.Put(b)
		}
	}
}

// holders lists, per shard, the node placement assigns first and then the rest of the
// XOR order, so shards moved by a detour or a membership change are still found.
func (s *stripeSource) holders(key [32]byte, shards int) [][]peer.ID {
	assigned, _ := s.plan.Place(key)
	ranked := s.plan.Ranked(key)
	self := s.n.PeerID()
	out := make([][]peer.ID, shards)
	for i := range out {
		var first peer.ID
		if i < len(assigned) {
			if id, err := peer.Decode(assigned[i]); err == nil && id != self {
				first = id
				out[i] = append(out[i], id)
			}
		}
		for _, nd := range ranked {
			if id, err := peer.Decode(nd.ID); err == nil && id != self && id != first {
				out[i] = append(out[i], id)
			}
		}
	}
	return out
}
