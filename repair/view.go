package repair

import (
	"cmp"
	"context"
	"time"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"golang.org/x/sync/errgroup"
)

func rawCID(sha256Digest []byte) cid.Cid {
	h, err := mh.Encode(sha256Digest, mh.SHA2_256)
	if err != nil {
		panic(err) // a 32-byte digest always encodes
	}
	return cid.NewCidV1(cid.Raw, h)
}

// stripeJob is one stripe this node is responsible for, waiting for its HAS round.
type stripeJob struct {
	obj     string
	index   int
	k, m    int
	st      *chunker.Stripe
	key     [32]byte
	planner *Planner
}

// flush asks every reachable node which shards of the queued stripes it holds, in one HAS
// request per node, then hands each stripe to the pass's workers (without waiting for them:
// the next batch is collected while they run) and tops up the batch's manifests.
func (p *pass) flush(ctx context.Context) error {
	jobs, mjobs := p.batch, p.mbatch
	p.batch, p.mbatch = nil, nil
	if len(jobs)+len(mjobs) == 0 {
		return nil
	}
	var cids []cid.Cid
	for _, j := range jobs {
		cids = append(cids, j.st.Shards...)
	}
	for _, j := range mjobs {
		cids = append(cids, j.c)
	}
	has, err := p.hasAll(ctx, cids)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if has == nil {
		return err
	}
	if err != nil {
		// A node stopped answering: it is down (or lost) now; plan the batch around it.
		p.r.cfg.Log.Info("a node stopped answering during the repair pass; planning around it", "err", err)
		for _, j := range jobs {
			pl, perr := p.planner(j.planner.Policy())
			if perr != nil {
				return perr
			}
			j.planner = pl
		}
	}
	off := 0
	for _, j := range jobs {
		holders := make([][]string, len(j.st.Shards))
		for i := range j.st.Shards {
			for id, bits := range has {
				if bits[off+i] {
					holders[i] = append(holders[i], id)
				}
			}
		}
		off += len(j.st.Shards)
		holders = p.sortHolders(holders)
		if err := p.work.Go(ctx, func() { p.check(ctx, j, holders) }); err != nil {
			return err
		}
	}
	for id, bits := range has {
		has[id] = bits[off:]
	}
	p.fixManifests(ctx, mjobs, has)
	return ctx.Err()
}

// hasAll returns, for every reachable node, which of cids it holds. A node that fails to answer
// is left out of the answer and counts as down from then on (its grace period starts, or goes
// on), so its shards are pending rather than missing; the error says which node failed.
func (p *pass) hasAll(ctx context.Context, cids []cid.Cid) (map[string][]bool, error) {
	ids := make([]string, 0, len(p.alive))
	for _, n := range p.nodes {
		if p.alive[n.ID] {
			ids = append(ids, n.ID)
		}
	}
	res := make([][]bool, len(ids))
	fails := make([]error, len(ids))
	var g errgroup.Group
	g.SetLimit(8)
	for i, id := range ids {
		g.Go(func() error {
			res[i], fails[i] = p.r.cfg.Shards.Has(ctx, id, cids)
			if fails[i] == nil && len(res[i]) != len(cids) {
				fails[i] = errUnexpected(id, len(res[i]), len(cids))
			}
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var first error
	out := make(map[string][]bool, len(ids))
	for i, id := range ids {
		if fails[i] != nil && id == p.r.cfg.Self {
			return nil, fails[i] // this node's own store: nothing to plan around
		}
		if fails[i] != nil {
			first = cmp.Or(first, fails[i])
			p.stopAnswering(id)
			continue
		}
		out[id] = res[i]
	}
	return out, first
}

// stopAnswering moves a node that stopped answering during the pass from alive to down, or
// to lost when it has been failing for longer than the grace period (a node that answers
// probes but not real requests is not reset by its probes).
func (p *pass) stopAnswering(id string) {
	delete(p.alive, id)
	delete(p.trusted, id)
	if p.r.cfg.Clock.Now().Sub(p.r.markDown(id)) >= p.r.cfg.Grace {
		p.lost = append(p.lost, id)
	} else {
		p.down = append(p.down, id)
	}
	clear(p.planners) // rebuilt with the new down and lost sets
}

// sortHolders orders each shard's holders as the catalog lists the nodes, so plans do not
// depend on map order.
func (p *pass) sortHolders(holders [][]string) [][]string {
	for i, hs := range holders {
		if len(hs) < 2 {
			continue
		}
		in := set(hs)
		hs = hs[:0]
		for _, n := range p.nodes {
			if in[n.ID] {
				hs = append(hs, n.ID)
			}
		}
		holders[i] = hs
	}
	return holders
}

// flushLocalIfFull counts the queued local shards once enough are queued.
func (p *pass) flushLocalIfFull(ctx context.Context) error {
	if len(p.local) < 8*p.r.cfg.Batch {
		return nil
	}
	return p.flushLocal(ctx)
}

// flushLocal counts how many of the queued shards this (draining) node still holds.
func (p *pass) flushLocal(ctx context.Context) error {
	if len(p.local) == 0 {
		return nil
	}
	bits, err := p.r.cfg.Shards.Has(ctx, p.r.cfg.Self, p.local)
	if err != nil {
		return err
	}
	held := 0
	for _, b := range bits {
		if b {
			held++
		}
	}
	p.count(func(rep *Report) { rep.LocalShards += held })
	p.local = p.local[:0]
	return nil
}

func errUnexpected(id string, got, want int) error {
	return errs.Errorf("repair.Has", errs.Internal, "node %s answered %d HAS bits for %d shards", id, got, want)
}

// markDown starts the grace period of a node that stopped answering, and returns its start.
func (r *Repairer) markDown(id string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	since, ok := r.downSince[id]
	if !ok {
		since = r.cfg.Clock.Now()
		r.downSince[id] = since
	}
	return since
}
