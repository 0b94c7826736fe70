package repair

import (
	"context"
	"slices"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

// check plans one stripe, repairs it when it needs it, and counts it in the report. Several
// checks run at once (Config.Workers); only the counting holds p.mu.
func (p *pass) check(ctx context.Context, j *stripeJob, holders [][]string) {
	sp := j.planner.PlanStripe(j.key, holders)
	var res fixResult
	if sp.Work() {
		res = p.r.fix(ctx, j, holders, &sp)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.record(j, &sp, &res)
	p.considerRebalance(j, holders, &sp)
}

// record counts one checked stripe; the caller holds p.mu.
func (p *pass) record(j *stripeJob, sp *StripePlan, res *fixResult) {
	r, rep := p.r, &p.rep
	before := Classify(sp.Present, j.k, j.m)
	rep.Stripes++
	rep.count(before, true)
	r.cfg.Metrics.checked.Inc()
	if before != Full {
		r.cfg.Metrics.found.WithLabelValues(before.String()).Inc()
	}
	queued := len(sp.Pending) > 0 || sp.Err != nil || res.refused > 0 // a refused draining copy is retried
	if len(sp.Pending) > 0 {
		rep.Pending++
	}
	if sp.Err != nil {
		rep.Unplaceable++
		if rep.UnplaceableWhy == "" {
			rep.UnplaceableWhy = sp.Err.Error()
		}
		r.cfg.Log.Warn("stripe cannot be fully repaired", "object", j.obj, "stripe", j.index, "err", sp.Err)
	}
	if sp.Work() {
		rep.Rebuilt += res.rebuilt
		rep.Copied += res.copied
		rep.Deleted += res.deleted
		rep.DeletesRefused += res.refused
		rep.BytesRebuilt += res.bytes
		if res.err != nil {
			rep.Failed++
			queued = true
			r.cfg.Metrics.failures.Inc()
			r.cfg.Log.Warn("stripe repair failed; the stripe is left as it was", "object", j.obj, "stripe", j.index, "err", res.err)
		} else {
			rep.Repaired++
		}
	}
	if queued {
		rep.Queued++
	}
	rep.count(Classify(sp.Present+res.rebuilt, j.k, j.m), false)
}

type fixResult struct {
	rebuilt, copied, deleted int
	refused                  int // deletes of draining copies their holder refused
	bytes                    int64
	err                      error
	stored                   map[string][]cid.Cid // node → shards it received
}

// fix carries out a stripe plan: copies first (a copy whose source fails turns into a rebuild),
// then one reconstruction for every shard to rebuild, then deletes from draining nodes, each
// only once the shard's new holder has a verified copy.
func (r *Repairer) fix(ctx context.Context, j *stripeJob, holders [][]string, sp *StripePlan) fixResult {
	res := fixResult{stored: map[string][]cid.Cid{}}
	placed := make([]bool, len(j.st.Shards))
	rebuild := slices.Clone(sp.Rebuild)
	for _, mv := range sp.Copy {
		if err := r.copyShard(ctx, j, mv, holders[mv.Shard]); err != nil {
			if ctx.Err() != nil {
				res.err = ctx.Err()
				return res
			}
			r.cfg.Log.Info("shard copy failed; rebuilding it instead", "object", j.obj, "stripe", j.index, "shard", mv.Shard, "err", err)
			rebuild = append(rebuild, Move{Shard: mv.Shard, To: mv.To})
			continue
		}
		placed[mv.Shard] = true
		res.copied++
		res.stored[mv.To] = append(res.stored[mv.To], j.st.Shards[mv.Shard])
	}
	r.cfg.Metrics.shards.WithLabelValues("copied").Add(float64(res.copied))
	if len(rebuild) > 0 {
		res.err = r.rebuild(ctx, j, holders, rebuild, placed, &res)
	}
	r.deleteDrained(ctx, j, sp.Delete, placed, &res)
	r.announce(ctx, res.stored)
	return res
}

// copyShard moves one verified shard from any holder that may give it (mv.From first) to mv.To.
func (r *Repairer) copyShard(ctx context.Context, j *stripeJob, mv Move, hs []string) error {
	order := append([]string{mv.From}, hs...)
	data, err := r.fetch(ctx, j, mv.Shard, order)
	if err != nil {
		return err
	}
	return r.put(ctx, mv.To, j.st.Shards[mv.Shard], data)
}

// fetch returns shard i of j from the first of nodes that gives bytes matching its CID.
func (r *Repairer) fetch(ctx context.Context, j *stripeJob, i int, nodes []string) ([]byte, error) {
	c := j.st.Shards[i]
	err := errs.Errorf("repair.fetch", errs.Unavailable, "no reachable node holds shard %d of stripe %d", i, j.index)
	tried := map[string]bool{}
	for _, n := range r.selfFirst(nodes) {
		if tried[n] {
			continue
		}
		tried[n] = true
		if werr := r.lim.wait(ctx, ShardSize(j.st, j.k)); werr != nil {
			return nil, werr
		}
		data, gerr := r.cfg.Shards.Get(ctx, n, c)
		if gerr == nil {
			r.cfg.Metrics.transferred.Add(float64(len(data)))
			if !r.getsVerified {
				gerr = store.Verify(c, data)
			}
		}
		if gerr == nil {
			return data, nil
		}
		err = gerr
	}
	return nil, err
}

func (r *Repairer) put(ctx context.Context, node string, c cid.Cid, data []byte) error {
	if err := r.lim.wait(ctx, len(data)); err != nil {
		return err
	}
	if err := r.cfg.Shards.Put(ctx, node, c, data); err != nil {
		return err
	}
	r.cfg.Metrics.transferred.Add(float64(len(data)))
	return nil
}

// selfFirst orders nodes with this node first: a local read costs no network.
func (r *Repairer) selfFirst(nodes []string) []string {
	if !slices.Contains(nodes, r.cfg.Self) {
		return nodes
	}
	out := []string{r.cfg.Self}
	for _, n := range nodes {
		if n != r.cfg.Self {
			out = append(out, n)
		}
	}
	return out
}

func (r *Repairer) announce(ctx context.Context, stored map[string][]cid.Cid) {
	a, ok := r.cfg.Shards.(Announcer)
	if !ok {
		return
	}
	for node, cids := range stored {
		if err := a.Announce(ctx, node, cids); err != nil {
			r.cfg.Log.Info("announcing repaired shards failed; readers fall back along the placement order", "node", node, "err", err)
		}
	}
}
