package repair

import (
	"cmp"
	"context"
	"slices"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

// Rebalance returns the moves that bring a healthy stripe's shards to the holders Place picks
// for the current membership (after a node joined, say): for every shard not on its ideal
// holder, a copy from one of its holders (Move.From) to the ideal one (Move.To), after which
// From's copy is deleted. A shard already on its ideal holder is left alone, and so is a shard
// whose ideal holder is down or lost. It returns nil when the stripe is not healthy (a shard
// nobody holds, a copy on a draining node: PlanStripe's work comes first) or placement cannot
// place it. holders[i] lists the reachable nodes holding shard i, as for PlanStripe.
func (p *Planner) Rebalance(key [32]byte, holders [][]string) []Move {
	ideal, err := p.full.Place(key)
	if err != nil || len(ideal) != p.full.Policy().Shards() {
		return nil
	}
	var moves []Move
	for i, to := range ideal {
		hs := at(holders, i)
		if len(hs) == 0 || slices.ContainsFunc(hs, func(h string) bool { return p.drain[h] }) {
			return nil
		}
		if slices.Contains(hs, to) || p.gone[to] || p.drain[to] {
			continue
		}
		moves = append(moves, Move{Shard: i, From: hs[0], To: to})
	}
	if !p.keepsConstraints(ideal, holders, moves) {
		return nil // a partial move (some ideal holders are down) would break a cap: wait
	}
	return moves
}

// keepsConstraints reports whether the stripe's layout after moves keeps every constraint of
// the catalog, judged by placement's Check over the nodes that answer: a shard whose ideal
// holder is down stays where it is, and next to the moved ones it could put its member or
// region over the cap.
func (p *Planner) keepsConstraints(ideal []string, holders [][]string, moves []Move) bool {
	after := make([]string, len(ideal))
	for i := range after {
		hs := at(holders, i)
		switch {
		case slices.Contains(hs, ideal[i]):
			after[i] = ideal[i]
		case len(hs) > 0:
			after[i] = hs[0]
		}
	}
	for _, mv := range moves {
		after[mv.Shard] = mv.To
	}
	bad, err := p.avail.Check(after)
	return err == nil && len(bad) == 0
}

// rebalanceJob is a healthy stripe whose shards are not where placement puts them.
type rebalanceJob struct {
	j       *stripeJob
	holders [][]string
	moves   []Move
}

// considerRebalance queues a healthy, unbalanced stripe for the end of the pass, up to
// Config.RebalanceStripes of them; the caller holds p.mu.
func (p *pass) considerRebalance(j *stripeJob, holders [][]string, sp *StripePlan) {
	limit := p.r.cfg.RebalanceStripes
	if limit == 0 || sp.Work() || len(sp.Pending) > 0 || sp.Err != nil || sp.Present < j.k+j.m {
		return
	}
	moves := j.planner.Rebalance(j.key, holders)
	if len(moves) == 0 {
		return
	}
	p.rep.Unbalanced++
	if len(p.rebal) < limit {
		p.rebal = append(p.rebal, rebalanceJob{j: j, holders: holders, moves: moves})
	}
}

// rebalance moves the queued stripes, after every repair of the pass and through the same rate
// limiter. A pass that repaired anything, or failed to, leaves rebalancing to the next pass so
// repair traffic never competes with it.
func (p *pass) rebalance(ctx context.Context) error {
	jobs := p.rebal
	p.rebal = nil
	rep := &p.rep
	if len(jobs) == 0 {
		return nil
	}
	if rep.Rebuilt+rep.Copied+rep.Deleted+rep.Failed > 0 {
		p.r.cfg.Log.Info("rebalancing waits for a pass without repairs", "stripes", len(jobs))
		return nil
	}
	defer p.work.Wait()
	for _, rj := range jobs {
		if slices.ContainsFunc(rj.moves, func(mv Move) bool { return !p.isTrusted(mv.To) }) {
			continue // a target stopped answering during the pass: the next pass replans
		}
		err := p.work.Go(ctx, func() {
			moved, refused, err := p.r.move(ctx, rj)
			p.mu.Lock()
			defer p.mu.Unlock()
			rep.Rebalanced += moved
			rep.DeletesRefused += refused
			if err != nil {
				rep.RebalanceFailed++
				p.r.cfg.Log.Info("rebalancing a stripe failed; the next pass retries", "object", rj.j.obj, "stripe", rj.j.index, "err", err)
				return
			}
			rep.RebalancedStripes++
		})
		if err != nil {
			return err
		}
	}
	p.work.Wait()
	return ctx.Err()
}

// move copies every shard of rj to its ideal holder and, only once all of them are verified
// stored there, deletes the old copies. If any copy fails, the copies it made are deleted again
// (From still holds each of them), so a half-moved stripe never puts two shards on one node.
// A holder that refuses a delete keeps a surplus copy: counted in refused, not an error.
func (r *Repairer) move(ctx context.Context, rj rebalanceJob) (moved, refused int, _ error) {
	j := rj.j
	var done []Move
	stored := map[string][]cid.Cid{}
	for _, mv := range rj.moves {
		if err := r.copyShard(ctx, j, mv, rj.holders[mv.Shard]); err != nil {
			refused = r.undo(ctx, j, done)
			return 0, refused, err
		}
		done = append(done, mv)
		stored[mv.To] = append(stored[mv.To], j.st.Shards[mv.Shard])
	}
	r.announce(ctx, stored)
	var first error
	for _, mv := range done {
		err := r.cfg.Shards.Delete(ctx, mv.From, j.st.Shards[mv.Shard])
		switch {
		case refusedDelete(err):
			refused++
			r.keptCopy(j, mv.Shard, mv.From, err)
		case err != nil:
			first = cmp.Or(first, errs.Errorf("repair.rebalance", errs.KindOf(err), "deleting shard %d from %s after its move: %w", mv.Shard, mv.From, err))
		default:
			moved++
		}
	}
	r.cfg.Metrics.shards.WithLabelValues("rebalanced").Add(float64(moved))
	return moved, refused, first
}

// undo deletes the new copies of an abandoned move; their sources still hold the shards. It
// returns how many deletes the new holders refused.
func (r *Repairer) undo(ctx context.Context, j *stripeJob, done []Move) (refused int) {
	for _, mv := range done {
		err := r.cfg.Shards.Delete(ctx, mv.To, j.st.Shards[mv.Shard])
		if refusedDelete(err) {
			refused++
			r.keptCopy(j, mv.Shard, mv.To, err)
		} else if err != nil {
			r.cfg.Log.Info("removing the copy of an abandoned move failed; it stays as a surplus copy", "node", mv.To, "err", err)
		}
	}
	return refused
}

// refusedDelete reports whether a holder refused a delete (errs.Permission: its own catalog
// view says the copy must stay). A surplus copy costs space, never data: callers log it and go
// on, and the next pass plans with the copy where it is.
func refusedDelete(err error) bool { return err != nil && errs.Is(err, errs.Permission) }

// keptCopy logs and counts a refused delete.
func (r *Repairer) keptCopy(j *stripeJob, shard int, node string, err error) {
	r.cfg.Metrics.shards.WithLabelValues("delete_refused").Inc()
	r.cfg.Log.Info("holder refused to delete a shard copy; it stays as a surplus copy", "object", j.obj, "stripe", j.index, "shard", shard, "node", node, "err", err)
}
