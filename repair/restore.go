package repair

import (
	"context"
	"slices"
	"sync"

	"github.com/meridian-fed/meridian/errs"
)

// rebuild reconstructs the shards of moves from k verified others and stores each on its new
// holder. Nothing is stored unless every rebuilt shard matches its CID.
func (r *Repairer) rebuild(ctx context.Context, j *stripeJob, holders [][]string, moves []Move, placed []bool, res *fixResult) error {
	defer r.act.begin(r.cfg.Clock.Now())()
	want := make([]int, len(moves))
	for x, mv := range moves {
		want[x] = mv.Shard
	}
	shards, err := r.gather(ctx, j, holders, want)
	if err != nil {
		return err
	}
	out, err := rebuildVerified(j.st, j.k, j.m, shards, want)
	if err != nil {
		return err
	}
	var failed error
	for x, mv := range moves {
		c := j.st.Shards[mv.Shard]
		if err := r.put(ctx, mv.To, c, out[x]); err != nil {
			failed = errs.Errorf("repair.rebuild", errs.KindOf(err), "storing rebuilt shard %d on %s: %w", mv.Shard, mv.To, err)
			continue
		}
		r.act.stored(len(out[x]), r.cfg.Clock.Now())
		placed[mv.Shard] = true
		res.rebuilt++
		res.bytes += int64(len(out[x]))
		res.stored[mv.To] = append(res.stored[mv.To], c)
	}
	r.cfg.Metrics.shards.WithLabelValues("rebuilt").Add(float64(res.rebuilt))
	r.cfg.Metrics.rebuilt.Add(float64(res.bytes))
	return failed
}

// gather fetches verified shards of j, other than want, until it has k of them: in rounds of as
// many parallel fetches as are still needed, shards held here first. Slots it could not fill
// stay nil; rebuildVerified reports a shortfall.
func (r *Repairer) gather(ctx context.Context, j *stripeJob, holders [][]string, want []int) ([][]byte, error) {
	shards := make([][]byte, j.k+j.m)
	var cands []int
	for i := range shards {
		if !slices.Contains(want, i) && len(holders[i]) > 0 {
			cands = append(cands, i)
		}
	}
	slices.SortStableFunc(cands, func(a, b int) int {
		return boolRank(slices.Contains(holders[b], r.cfg.Self)) - boolRank(slices.Contains(holders[a], r.cfg.Self))
	})
	have := 0
	for have < j.k && len(cands) > 0 {
		take := cands[:min(j.k-have, len(cands))]
		cands = cands[len(take):]
		var wg sync.WaitGroup
		for _, i := range take {
			wg.Go(func() {
				if data, err := r.fetch(ctx, j, i, holders[i]); err == nil {
					shards[i] = data
				}
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		have = 0
		for _, sh := range shards {
			if sh != nil {
				have++
			}
		}
	}
	return shards, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// deleteDrained deletes copies on draining nodes once the shard's holder-to-be has a verified
// copy: one this pass stored, or one read back and checked now.
func (r *Repairer) deleteDrained(ctx context.Context, j *stripeJob, dels []Move, placed []bool, res *fixResult) {
	verified := map[int]bool{}
	for _, d := range dels {
		if !placed[d.Shard] && !verified[d.Shard] {
			if _, err := r.fetch(ctx, j, d.Shard, []string{d.To}); err != nil {
				r.cfg.Log.Info("draining copy kept: its new holder has no good copy yet", "object", j.obj, "stripe", j.index, "shard", d.Shard, "err", err)
				continue
			}
			verified[d.Shard] = true
		}
		if err := r.cfg.Shards.Delete(ctx, d.From, j.st.Shards[d.Shard]); refusedDelete(err) {
			res.refused++
			r.keptCopy(j, d.Shard, d.From, err)
			continue
		} else if err != nil {
			r.cfg.Log.Info("deleting a drained copy failed; the next pass retries", "node", d.From, "err", err)
			if res.err == nil {
				res.err = err
			}
			continue
		}
		res.deleted++
		r.cfg.Metrics.shards.WithLabelValues("deleted").Inc()
	}
}
