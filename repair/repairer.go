package repair

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// Shards moves shard blocks between nodes. node is a peer ID as placement.Node.ID spells it;
// calls for Config.Self go to the local store. Put must verify the block against its CID and
// make it durable before it returns, as the shard protocol does.
type Shards interface {
	Has(ctx context.Context, node string, cids []cid.Cid) ([]bool, error)
	Get(ctx context.Context, node string, c cid.Cid) ([]byte, error)
	Put(ctx context.Context, node string, c cid.Cid, data []byte) error
	Delete(ctx context.Context, node string, c cid.Cid) error
}

// VerifyingShards is an optional interface of Shards: VerifiesGets reports that Get returns only
// bytes that hash to the CID asked for (as store.Store.Get and the shard protocol's GET do), so
// repair does not hash every fetched shard a second time. Without it, repair checks each one.
type VerifyingShards interface {
	VerifiesGets() bool
}

// Announcer is an optional interface of Shards: told which shards a node received from repair,
// it announces them (DHT provider records). Not needed where holders announce what they store.
type Announcer interface {
	Announce(ctx context.Context, node string, cids []cid.Cid) error
}

// Object is one committed object as repair sees it.
type Object struct {
	ID          string           // names the object in logs (its PID)
	Policy      placement.Policy // its catalog's placement policy
	Manifest    *chunker.Manifest
	ManifestCID cid.Cid // when defined, the manifest is kept on Policy.M+1 nodes too
}

// Catalog is repair's read-only view of the committed state.
type Catalog interface {
	// Nodes lists every node that may hold shards: active ones (Active true) and draining ones
	// (Active false). Gone nodes are absent.
	Nodes(ctx context.Context) ([]placement.Node, error)
	// Objects calls fn for every committed object in a stable order, and stops at fn's error.
	// An object whose manifest cannot be fetched is passed with a nil Manifest (counted, not
	// fatal), so one unreachable manifest does not stop the repair of every other object.
	Objects(ctx context.Context, fn func(Object) error) error
}

// Config configures a Repairer.
type Config struct {
	Self           string        // this node's peer ID
	Catalog        Catalog       // committed objects and nodes
	Shards         Shards        // shard I/O on any node
	Clock          Clock         // nil: SystemClock
	Log            *slog.Logger  // nil: discard
	Metrics        *Metrics      // nil: unregistered series
	Grace          time.Duration // how long shards of an unreachable node are waited for before they are rebuilt elsewhere
	Interval       time.Duration // between passes
	BytesPerSecond int64         // repair traffic (bytes fetched plus stored); 0: no limit
	Batch          int           // stripes per round of HAS requests
	Workers        int           // stripes checked and repaired at once
	ProbeTimeout   time.Duration // for the liveness probe of each node
	// KickDelay is how long a kicked pass waits after the kick that woke the loop, so a burst
	// of kicks (a stream of degraded publishes) and the commit that follows one are covered by
	// one pass. A kicked pass also waits at least as long as the last pass took (see Kick).
	KickDelay time.Duration
	// Ready, when set, is called before the first pass and retried with backoff until it
	// returns nil (a node passes its replica's catch-up with the leader), so the first pass
	// does not count an empty or stale catalog.
	Ready func(ctx context.Context) error
	// RebalanceStripes bounds how many healthy stripes per pass are moved to the holders
	// placement picks for the current membership (after a node joined); 0 disables it.
	// Rebalancing runs only in passes that repaired nothing, through the same rate limit.
	RebalanceStripes int
}

// DefaultConfig returns a configuration without the node-specific fields (Self, Catalog, Shards).
func DefaultConfig() Config {
	return Config{Grace: 10 * time.Minute, Interval: 10 * time.Minute, BytesPerSecond: 64 << 20,
		Batch: 256, Workers: 4, ProbeTimeout: 5 * time.Second, RebalanceStripes: 64, KickDelay: 2 * time.Second}
}

// Validate reports a configuration that cannot work, with kind Invalid.
func (c *Config) Validate() error {
	const op = "repair.Config"
	switch {
	case c.Self == "" || c.Catalog == nil || c.Shards == nil:
		return errs.Errorf(op, errs.Invalid, "Self, Catalog and Shards are required")
	case c.Grace < 0 || c.Interval <= 0 || c.Batch <= 0 || c.Workers <= 0 || c.ProbeTimeout <= 0 || c.BytesPerSecond < 0 || c.RebalanceStripes < 0 || c.KickDelay < 0:
		return errs.Errorf(op, errs.Invalid, "Grace, BytesPerSecond, RebalanceStripes and KickDelay must be ≥ 0, and Interval, Batch, Workers, ProbeTimeout > 0 (start from DefaultConfig)")
	}
	return nil
}

// Repairer runs repair passes: each pass recomputes, from the catalog and HAS answers, what every
// stripe this node is responsible for needs, and does it. Nothing is persisted: a restarted node
// simply runs a new pass (and waits a whole grace period again before rebuilding a down node's
// shards).
type Repairer struct {
	cfg     Config
	lim     *byteLimiter
	trigger chan struct{}
	passMu  sync.Mutex // one pass at a time
	act     activity
	// getsVerified: Shards.Get already checks bytes against their CID (VerifyingShards).
	getsVerified bool

	mu        sync.Mutex
	downSince map[string]time.Time // guarded by mu: first failed probe of each unreachable node
	status    Status               // guarded by mu
}

// New returns a Repairer; Run starts its loop, Pass runs one pass now.
func New(cfg Config) (*Repairer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	vs, ok := cfg.Shards.(VerifyingShards)
	return &Repairer{cfg: cfg, lim: newByteLimiter(cfg.BytesPerSecond, cfg.Clock),
		trigger: make(chan struct{}, 1), downSince: map[string]time.Time{},
		getsVerified: ok && vs.VerifiesGets()}, nil
}

// Status returns a snapshot of the last complete pass.
func (r *Repairer) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}
