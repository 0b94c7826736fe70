package repair

import "time"

// Health is how many shards of a stripe are present compared with k and k+m.
type Health uint8

// Stripe health, from best to worst.
const (
	Full     Health = iota + 1 // all k+m shards present
	Degraded                   // k < present < k+m
	Critical                   // present == k: one more loss loses data
	Lost                       // present < k: unreadable until holders come back
)

var healthNames = [...]string{"", "full", "degraded", "critical", "lost"}

func (h Health) String() string {
	if int(h) < len(healthNames) {
		return healthNames[h]
	}
	return "unknown"
}

// Classify returns the health of a stripe with present of k+m shards.
func Classify(present, k, m int) Health {
	switch {
	case present >= k+m:
		return Full
	case present > k:
		return Degraded
	case present == k:
		return Critical
	default:
		return Lost
	}
}

// Report counts what one pass saw and did. Health counts are after the pass's repairs; Found
// counts are before.
type Report struct {
	Start, End                     time.Time
	Stripes                        int // stripes this node was responsible for and checked
	NoManifest                     int // objects skipped: manifest unavailable (Object.Manifest nil) or k+m not the policy's
	Full, Degraded, Critical, Lost int

	FoundDegraded, FoundCritical, FoundLost int // stripes below k+m before repair

	Pending     int // stripes waiting for an unreachable holder's grace period to end
	Unplaceable int // stripes that need holders placement cannot find
	Failed      int // stripes whose repair failed (left as they were)
	Repaired    int // stripes whose repair succeeded
	Queued      int // stripes and manifests that still need work after the pass (pending, unplaceable, skipped or failed)

	Rebuilt, Copied, Deleted int   // shards
	ManifestCopies           int   // manifest replicas stored
	ManifestDeletes          int   // manifest replicas deleted from draining nodes
	BytesRebuilt             int64 // bytes of rebuilt shards

	Unbalanced        int // healthy stripes found with shards not where placement puts them
	RebalancedStripes int // of those, stripes whose shards were all moved this pass (at most Config.RebalanceStripes)
	Rebalanced        int // shards moved to their placement holder (copied, verified, old copy deleted)
	RebalanceFailed   int // stripes whose move was abandoned (new copies removed, old ones kept)

	DeletesRefused int // deletes a holder refused (errs.Permission): its copy stays as a surplus, retried next pass

	Draining    bool // this node is draining
	LocalShards int  // shards of committed objects still held here (counted only when draining)
	Drained     bool // draining, and holds no shard of any committed object: it may be removed

	// UnplaceableWhy is placement's reason for the first unplaceable stripe of the pass (which
	// constraint the nodes that answer cannot meet): repair waits rather than break it.
	UnplaceableWhy string
}

func (r *Report) count(h Health, before bool) {
	if before {
		switch h {
		case Degraded:
			r.FoundDegraded++
		case Critical:
			r.FoundCritical++
		case Lost:
			r.FoundLost++
		}
		return
	}
	switch h {
	case Full:
		r.Full++
	case Degraded:
		r.Degraded++
	case Critical:
		r.Critical++
	case Lost:
		r.Lost++
	}
}

// Status is a snapshot of the repair loop, shaped like api.Redundancy.
type Status struct {
	Full, Degraded, Critical, Lost int       // stripes of the last complete pass, after repair
	RepairQueue                    int       // stripes and manifests that still need work
	Measured                       time.Time // end of the last complete pass (zero before the first)
	Running                        bool      // a pass is under way
	Last                           Report    // the last complete pass
}
