package repair

import (
	"context"
	"crypto/sha256"
	"slices"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// PlanReplicas decides where a replicated block (a manifest: m+1 whole copies, not erasure
// coded) must go so that copies non-draining nodes hold it. ranked is every node in rank order
// of the block's key, holders the reachable nodes that hold it, and usable reports whether a
// node may take a copy now (active and reachable). It returns the nodes to copy it to (the first
// usable ones in rank order that lack it) and the draining holders whose copy may be deleted
// once those copies are made.
func PlanReplicas(ranked []placement.Node, holders []string, copies int, usable func(id string) bool) (to, drop []string) {
	kept := 0
	for _, n := range ranked {
		if !slices.Contains(holders, n.ID) {
			continue
		}
		if n.Active {
			kept++
		} else {
			drop = append(drop, n.ID)
		}
	}
	for _, n := range ranked {
		if kept+len(to) >= copies {
			break
		}
		if n.Active && usable(n.ID) && !slices.Contains(holders, n.ID) {
			to = append(to, n.ID)
		}
	}
	if kept+len(to) < copies {
		drop = nil // too few places: keep every copy there is
	}
	return to, drop
}

// ManifestKey is the rank key of a manifest block: sha256 of its CID's bytes, as publish uses.
func ManifestKey(c cid.Cid) [32]byte { return sha256.Sum256(c.Bytes()) }

// manifestJob is one manifest this node keeps replicated.
type manifestJob struct {
	obj    string
	c      cid.Cid
	m      *chunker.Manifest
	copies int
	ranked []placement.Node
}

// queueManifest adds o's manifest to the batch when this node is responsible for it.
func (p *pass) queueManifest(o Object, pl *Planner) {
	if !o.ManifestCID.Defined() {
		return
	}
	if p.draining {
		p.local = append(p.local, o.ManifestCID)
		return
	}
	ranked := pl.full.Ranked(ManifestKey(o.ManifestCID))
	if Responsible(ranked, p.isTrusted) != p.r.cfg.Self {
		return
	}
	p.mbatch = append(p.mbatch, &manifestJob{obj: o.ID, c: o.ManifestCID, m: o.Manifest, copies: o.Policy.M + 1,
		ranked: allowedOnly(ranked, pl.Policy())})
}

// allowedOnly marks the nodes that the catalog's region allow-list or member exclusions keep
// from holding copies as inactive, so PlanReplicas treats them as draining: never a target, and
// their copies are dropped once allowed nodes hold enough. Publish uses the same rule
// (placement.Plan.CopyOrder: active and allowed).
func allowedOnly(ranked []placement.Node, pol placement.Policy) []placement.Node {
	out := slices.Clone(ranked)
	for i := range out {
		out[i].Active = out[i].Active && pol.Allowed(out[i])
	}
	return out
}

// fixManifests tops up the replicas of the batch's manifests, given who holds them.
func (p *pass) fixManifests(ctx context.Context, jobs []*manifestJob, has map[string][]bool) {
	for x, j := range jobs {
		var holders []string
		for _, n := range p.nodes {
			if bits, ok := has[n.ID]; ok && bits[x] {
				holders = append(holders, n.ID)
			}
		}
		to, drop := PlanReplicas(j.ranked, holders, j.copies, p.isTrusted)
		if len(to)+len(drop) == 0 {
			continue
		}
		var done Report // replicate counts here; stripe repairs update p.rep meanwhile
		err := p.r.replicate(ctx, j, to, drop, &done)
		p.count(func(rep *Report) {
			rep.ManifestCopies += done.ManifestCopies
			rep.ManifestDeletes += done.ManifestDeletes
			rep.DeletesRefused += done.DeletesRefused
			if done.DeletesRefused > 0 && err == nil {
				rep.Queued++ // the draining copy is retried next pass
			}
			if err != nil {
				rep.Failed++
				rep.Queued++
			}
		})
		if err != nil {
			p.r.cfg.Log.Warn("manifest replica repair failed", "object", j.obj, "err", err)
		}
	}
}

// replicate stores the manifest on every node of to, then deletes the draining copies of drop
// if every store succeeded. The bytes are re-encoded from the decoded manifest (the encoding is
// canonical) and must hash to the manifest's CID.
func (r *Repairer) replicate(ctx context.Context, j *manifestJob, to, drop []string, rep *Report) error {
	b, err := j.m.Encode()
	if err == nil && !chunker.ManifestMatches(j.c, b) {
		err = errMismatch(j.c)
	}
	if err != nil {
		return err
	}
	stored := map[string][]cid.Cid{}
	defer func() { r.announce(ctx, stored) }()
	for _, n := range to {
		if err := r.put(ctx, n, j.c, b); err != nil {
			return err
		}
		stored[n] = []cid.Cid{j.c}
		rep.ManifestCopies++
	}
	for _, n := range drop {
		err := r.cfg.Shards.Delete(ctx, n, j.c)
		if refusedDelete(err) {
			rep.DeletesRefused++
			r.cfg.Metrics.shards.WithLabelValues("delete_refused").Inc()
			r.cfg.Log.Info("holder refused to delete a manifest copy; it stays as a surplus copy", "object", j.obj, "node", n, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		rep.ManifestDeletes++
	}
	return nil
}

func errMismatch(c cid.Cid) error {
	return errs.Errorf("repair.replicate", errs.Corrupt, "manifest %s does not re-encode to its CID; it was not copied", c)
}
