package repair

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/ipfs/go-cid"
	"golang.org/x/sync/errgroup"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// probeCID is asked for in liveness probes: the raw block of no bytes, which no one needs to hold.
var probeCID = func() cid.Cid {
	d := sha256.Sum256(nil)
	return rawCID(d[:])
}()

// pass is the state of one pass.
type pass struct {
	ctx      context.Context // the Pass call's, for the Objects callback
	r        *Repairer
	nodes    []placement.Node
	alive    map[string]bool // answered the probe (self always): asked for HAS
	trusted  map[string]bool // alive, and answered every request of its last pass: may be responsible and take copies
	down     []string        // unreachable, within grace
	lost     []string        // unreachable past grace
	draining bool            // this node is draining
	planners map[string]*Planner
	batch    []*stripeJob
	mbatch   []*manifestJob
	local    []cid.Cid      // shards whose presence here is counted while draining
	rebal    []rebalanceJob // healthy stripes to move towards their placement, guarded by mu
	work     *pool          // stripe repairs of the whole pass, Config.Workers at once

	mu  sync.Mutex // guards rep and rebal while stripe repairs run in parallel
	rep Report
}

// Pass runs one repair pass over every committed object and returns what it saw and did. A
// stripe is checked only by its responsible node (see Responsible); a draining node checks none
// but counts the shards it still holds.
func (r *Repairer) Pass(ctx context.Context) (Report, error) {
	r.passMu.Lock()
	defer r.passMu.Unlock()
	r.setRunning(true)
	defer r.setRunning(false)
	p := &pass{ctx: ctx, r: r, planners: map[string]*Planner{}, rep: Report{Start: r.cfg.Clock.Now()}, work: newPool(r.cfg.Workers)}
	defer p.work.Wait() // no repair outlives its pass, whatever ends it
	nodes, err := r.cfg.Catalog.Nodes(ctx)
	if err != nil {
		return p.rep, err
	}
	p.nodes = nodes
	if err := p.probe(ctx); err != nil {
		return p.rep, err
	}
	err = r.cfg.Catalog.Objects(ctx, p.object)
	if err == nil {
		err = p.flush(ctx)
	}
	p.work.Wait()
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = p.flushLocal(ctx)
	}
	if err == nil {
		err = p.rebalance(ctx)
	}
	if err != nil {
		return p.rep, err
	}
	r.answered(p.alive)
	p.rep.End = r.cfg.Clock.Now()
	p.rep.Draining = p.draining
	p.rep.Drained = p.draining && p.rep.LocalShards == 0
	r.finish(&p.rep)
	return p.rep, nil
}

// count updates the pass's report under p.mu (stripe repairs update it at the same time).
func (p *pass) count(f func(*Report)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.rep)
}

func (r *Repairer) setRunning(on bool) {
	r.mu.Lock()
	r.status.Running = on
	r.mu.Unlock()
}

func (r *Repairer) finish(rep *Report) {
	r.cfg.Metrics.passDone(rep)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = Status{Full: rep.Full, Degraded: rep.Degraded, Critical: rep.Critical, Lost: rep.Lost,
		RepairQueue: rep.Queued, Measured: rep.End, Last: *rep}
}

// probe asks every other node for a HAS of probeCID and sorts them into alive, down (within
// grace) and lost (unreachable longer than Grace). A cancelled ctx changes nothing.
func (p *pass) probe(ctx context.Context) error {
	r := p.r
	ok := make([]bool, len(p.nodes))
	var g errgroup.Group
	g.SetLimit(16)
	for i, n := range p.nodes {
		if n.ID == r.cfg.Self {
			ok[i], p.draining = true, !n.Active
			continue
		}
		g.Go(func() error {
			cctx, cancel := context.WithTimeout(ctx, r.cfg.ProbeTimeout)
			defer cancel()
			_, err := r.cfg.Shards.Has(cctx, n.ID, []cid.Cid{probeCID})
			ok[i] = err == nil
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return err // every probe failed because of us, not of the nodes
	}
	now := r.cfg.Clock.Now()
	p.alive, p.trusted = map[string]bool{}, map[string]bool{}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.downSince {
		if !p.known(id) {
			delete(r.downSince, id) // left the membership
		}
	}
	for i, n := range p.nodes {
		if ok[i] {
			// Its grace clock stops only when it answers a whole pass; until then others
			// take the stripes it would be responsible for.
			p.alive[n.ID] = true
			_, failing := r.downSince[n.ID]
			p.trusted[n.ID] = !failing
			continue
		}
		since, seen := r.downSince[n.ID]
		if !seen {
			since = now
			r.downSince[n.ID] = now
		}
		if now.Sub(since) >= r.cfg.Grace {
			p.lost = append(p.lost, n.ID)
		} else {
			p.down = append(p.down, n.ID)
		}
	}
	return nil
}

func (p *pass) isTrusted(id string) bool { return p.trusted[id] }

// answered forgets the down-since time of the nodes that answered every request of a pass.
func (r *Repairer) answered(alive map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range alive {
		delete(r.downSince, id)
	}
}

func (p *pass) known(id string) bool {
	for _, n := range p.nodes {
		if n.ID == id {
			return true
		}
	}
	return false
}

// planner returns the planner for a policy, built once per pass.
func (p *pass) planner(pol placement.Policy) (*Planner, error) {
	key := fmt.Sprintf("%+v", pol)
	if pl, ok := p.planners[key]; ok {
		return pl, nil
	}
	full, err := placement.NewPlan(p.nodes, pol)
	if err != nil {
		return nil, err
	}
	pl := NewPlanner(full, p.down, p.lost)
	p.planners[key] = pl
	return pl, nil
}

// object queues the stripes of o that this node is responsible for.
func (p *pass) object(o Object) error {
	ctx := p.ctx
	m := o.Manifest
	if m == nil {
		p.count(func(rep *Report) { rep.NoManifest++ })
		return nil
	}
	if o.Policy.K != m.K || o.Policy.M != m.M {
		p.r.cfg.Log.Warn("object skipped: its manifest's k+m differs from its catalog's placement policy", "object", o.ID, "manifest", fmt.Sprintf("%d+%d", m.K, m.M), "policy", fmt.Sprintf("%d+%d", o.Policy.K, o.Policy.M))
		p.count(func(rep *Report) { rep.NoManifest++ })
		return nil
	}
	pl, err := p.planner(o.Policy)
	if err != nil {
		return errs.E("repair.Pass", errs.KindOf(err), err)
	}
	p.queueManifest(o, pl)
	for i := range m.Stripes {
		st := &m.Stripes[i]
		if pl, err = p.planner(o.Policy); err != nil { // rebuilt when a node stops answering
			return err
		}
		if p.draining {
			p.local = append(p.local, st.Shards...)
			continue
		}
		key := st.PlacementKey()
		if Responsible(pl.full.Ranked(key), p.isTrusted) != p.r.cfg.Self {
			continue
		}
		p.batch = append(p.batch, &stripeJob{obj: o.ID, index: i, k: m.K, m: m.M, st: st, key: key, planner: pl})
		if len(p.batch)+len(p.mbatch) >= p.r.cfg.Batch {
			if err := p.flush(ctx); err != nil {
				return err
			}
		}
	}
	return p.flushLocalIfFull(ctx)
}
