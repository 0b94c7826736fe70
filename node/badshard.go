package node

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/repair"
)

// Corruption acted on at once (docs/repair.md, "Bad shards found by reads and scrubs"): a read
// that meets a corrupt or missing shard routes around it as before, and also counts it, logs
// it, and tells the stripe's repairing node (repair.Responsible over the nodes this node sees
// alive) with a repair kick naming the stripe: itself through its own loop, another node over
// p2p.KickID. The repairer's kicked pass starts after its KickDelay, so the stripe is back at
// k+m within seconds instead of at the next interval. The node that found the bad shard
// remembers the stripe as known bad until its next completed pass, and its status counts it
// as degraded meanwhile; a received kick only wakes the repair loop (its key, from a peer, is
// not trusted as a stripe of the catalog), and at most maxBadStripes stripes are remembered.

const (
	// kickResend is how long a stripe already reported is not reported again: one read of a
	// large object meets the same stripe's bad shard once, many reads do not flood the repairer.
	kickResend = 30 * time.Second
	kickQueue  = 256 // kicks waiting to be sent; more are dropped (and counted)
	// maxBadStripes bounds the stripes remembered as known bad between two passes; a stripe
	// found beyond it is still counted and logged, and found by the next pass.
	maxBadStripes = 4096
)

// badStripes remembers the stripes known short of a shard and queues the kicks to send.
type badStripes struct {
	mu   sync.Mutex
	seen map[[32]byte]time.Time // guarded by mu: when each stripe was last reported bad

	queue chan kickJob
	found *prometheus.CounterVec // bad shards found, by where (local, remote, scrub)
	kicks *prometheus.CounterVec // kicks by result (sent, local, received, failed, dropped)

	readRemoved atomic.Int64 // damaged local shards removed by reads
}

type kickJob struct {
	to peer.ID
	k  p2p.Kick
}

func newBadStripes(reg prometheus.Registerer) *badStripes {
	b := &badStripes{seen: make(map[[32]byte]time.Time), queue: make(chan kickJob, kickQueue),
		found: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meridian_bad_shards_total",
			Help: "Shards found corrupt or missing by reads (local, remote) and scrubs, each routed around and reported to its stripe's repairer."}, []string{"where"}),
		kicks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meridian_repair_kicks_total",
			Help: "Repair kicks for stripes found short of a shard, by result: local (this node repairs it), sent, received, failed, dropped."}, []string{"result"}),
	}
	reg.MustRegister(b.found, b.kicks)
	return b
}

// mark records stripe key as found bad at now and reports whether it should be reported
// (not reported within kickResend).
func (b *badStripes) mark(key [32]byte, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	last, ok := b.seen[key]
	if !ok && len(b.seen) >= maxBadStripes {
		return false
	}
	b.seen[key] = now
	return !ok || now.Sub(last) >= kickResend
}

// since counts the stripes reported bad after t (a pass that ended at t has not seen them),
// and forgets the older ones.
func (b *badStripes) since(t time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for k, at := range b.seen {
		if at.After(t) {
			n++
		} else if !t.IsZero() {
			delete(b.seen, k)
		}
	}
	return n
}

// shardBad acts on a bad shard of stripe k found by a read or a scrub (where): count, log,
// and report the stripe to its repairer once per kickResend.
func (n *Node) shardBad(plan *placement.Plan, k p2p.Kick, c cid.Cid, holder peer.ID, where string, err error) {
	n.bad.found.WithLabelValues(where).Inc()
	n.log.Warn("bad shard found and routed around; its stripe's repairer is told", "where", where, "cid", c, "holder", holder,
		"manifest", k.Manifest, "stripe", k.Stripe, "err", err)
	if !n.bad.mark(k.Key, n.now()) {
		return
	}
	to := repair.Responsible(plan.Ranked(k.Key), n.seesAlive)
	if to == "" || to == n.PeerID().String() {
		n.bad.kicks.WithLabelValues("local").Inc()
		n.kickRepair("a read or scrub found a bad shard of a stripe this node repairs")
		return
	}
	id, derr := peer.Decode(to)
	if derr != nil {
		return
	}
	select {
	case n.bad.queue <- kickJob{to: id, k: k}:
	default:
		n.bad.kicks.WithLabelValues("dropped").Inc()
	}
}

// seesAlive is this node's view of liveness for choosing a stripe's repairer: itself and the
// nodes it is connected to.
func (n *Node) seesAlive(id string) bool {
	if id == n.PeerID().String() {
		return true
	}
	p, err := peer.Decode(id)
	return err == nil && len(n.p2p.Host().Network().ConnsToPeer(p)) > 0
}

// kickSender sends queued kicks until ctx ends; owned by the node (started with the loops).
// A kick that cannot be delivered kicks this node's own loop instead, which does no harm.
func (n *Node) kickSender(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-n.bad.queue:
			if err := n.p2p.SendKick(ctx, j.to, j.k); err != nil {
				n.bad.kicks.WithLabelValues("failed").Inc()
				n.log.Info("repair kick not delivered; kicking the local loop", "to", j.to, "err", err)
				n.kickRepair("a repair kick could not be delivered")
				continue
			}
			n.bad.kicks.WithLabelValues("sent").Inc()
		}
	}
}

// kicked receives a repair kick from a member (p2p.KickID; non-members cannot open it, and
// p2p's limits allow each peer few at once). It only wakes the repair loop, which coalesces
// and paces kicks: the key is not remembered as a bad stripe, so kicks with made-up keys
// neither grow memory nor make status count stripes as degraded. Logged at Debug (counted
// in meridian_repair_kicks_total), so a member's kicks cannot flood the log.
func (n *Node) kicked(from peer.ID, k p2p.Kick) {
	n.bad.kicks.WithLabelValues("received").Inc()
	n.log.Debug("repair kicked by a peer that found a bad shard", "from", from, "manifest", k.Manifest, "stripe", k.Stripe)
	n.kickRepair("a peer found a bad shard")
}

// scrubFound reports the stripes of the blocks a scrub found damaged (and removed): the
// scrub knows only CIDs, so the committed objects' manifests are searched for them, through
// the same caught-up view of the catalog a repair pass walks. Scrubs are rare and their finds
// rarer; the walk stops at ctx.
func (n *Node) scrubFound(ctx context.Context, cids []cid.Cid) {
	bad := make(map[cid.Cid]bool, len(cids))
	for _, c := range cids {
		bad[c] = true
	}
	err := repairCatalog{n}.Objects(ctx, func(o repair.Object) error {
		n.scrubFoundIn(o, bad)
		return ctx.Err()
	})
	if err != nil {
		n.log.Info("scrub: the stripes of some damaged blocks were not reported; the next repair pass finds them", "err", err)
	}
}

// scrubFoundIn reports the stripes of o that hold a block of bad.
func (n *Node) scrubFoundIn(o repair.Object, bad map[cid.Cid]bool) {
	if o.Manifest == nil {
		return
	}
	plan, err := placement.NewPlan(n.placementNodesAll(), o.Policy)
	if err != nil {
		return
	}
	src := &stripeSource{n: n, plan: plan, manifest: o.ManifestCID}
	for i, st := range o.Manifest.Stripes {
		for _, c := range st.Shards {
			if bad[c] {
				n.shardBad(plan, src.kick(i, st.Shards), c, n.PeerID(), "scrub", errScrubbed)
				break
			}
		}
	}
}

var errScrubbed = errs.Errorf("node.scrub", errs.Corrupt, "the scrub found the stored bytes damaged and removed them")

// ReadRemovedShards returns how many damaged shards reads found in this node's store and
// removed (so repair rebuilds them), for the scorecard.
func (n *Node) ReadRemovedShards() int64 { return n.bad.readRemoved.Load() }
