package consensus

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
)

// Node is one member of a Raft group. All methods are safe for concurrent use.
type Node struct {
	cfg  Config
	log  *slog.Logger
	host host.Host
	self peer.ID
	raft *raft.Raft
	// raftReady is raft for goroutines that may run before New has set the field.
	raftReady atomic.Pointer[raft.Raft]
	fsm       *fsmAdapter
	trans     *raft.NetworkTransport
	store     *raftboltdb.BoltStore
	logFaults faultyLogs // store as raft's log store, failing writes on request (FailLogWrites)

	leaderSeen   *notifier      // bumped on every leader observation
	observer     *raft.Observer // feeds leaderSeen
	members      memberCache
	readRounds   rounds        // LinearizableRead: one call to the leader for many readers
	probeRounds  rounds        // CatchUp: the same, without the follower's barrier
	leaderRounds rounds        // on the leader, for its own readers: one VerifyLeader for many
	barrierTerm  atomic.Uint64 // the term in which this node, as leader, committed a Barrier
	// forwardRounds serves followers' read-index requests on the leader: VerifyLeader and a
	// Barrier, whose replication tells followers the commit index at once.
	forwardRounds rounds

	forwardSlots chan struct{}  // one token per forwarded call in flight
	forwardQueue chan *proposal // proposals waiting for the batcher

	ctx      context.Context // cancelled at shutdown; bounds forwarded work
	cancel   context.CancelFunc
	stopped  chan struct{} // closed at shutdown
	stopOnce sync.Once
	stopErr  error

	awaiting atomic.Int64 // helpers blocked on raft futures (see await)

	mu      sync.Mutex
	closing bool           // guarded by mu; no new tracked goroutines once set
	wg      sync.WaitGroup // tracked goroutines: future waiters, observer, stream handlers
}

// New opens (or creates) the Raft state in cfg.Dir and starts the node. With cfg.Bootstrap
// and no existing state, the node becomes the single voter of a new cluster.
func New(cfg Config) (*Node, error) {
	const op = "consensus.New"
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.Dir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	removeSpools(dir)
	n := &Node{cfg: cfg, log: cfg.Logger.With("component", "consensus"), host: cfg.Host, self: cfg.Host.ID(),
		fsm: newFSMAdapter(cfg.FSM, dir), leaderSeen: newNotifier(), stopped: make(chan struct{}),
		forwardSlots: make(chan struct{}, maxForwardInflight), forwardQueue: make(chan *proposal, forwardQueueLen)}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.readRounds.run, n.leaderRounds.run, n.forwardRounds.run = n.readIndex, n.leaderReadIndex, n.barrierReadIndex
	n.probeRounds.run = n.probeIndex
	if err := n.open(dir); err != nil {
		n.cancel()
		if n.raft != nil {
			_ = n.raft.Shutdown().Error()
		}
		n.closeStores()
		return nil, err
	}
	n.startObserver()
	n.goTracked(n.runBatcher)
	n.host.SetStreamHandler(ProposeProtocol, n.handleForward)
	return n, nil
}

// open creates the stores, the transport and the raft instance.
func (n *Node) open(dir string) error {
	const op = "consensus.New"
	hl := newHCLog(n.log, "raft")
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return errs.Errorf(op, errs.Unavailable, "open raft log %s: %w (is another node using this data dir?)", dir, err)
	}
	n.store = store
	n.logFaults.LogStore = store
	logs, err := raft.NewLogCache(2*n.cfg.MaxAppendEntries, &n.logFaults)
	if err != nil {
		return errs.E(op, errs.Internal, err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, n.cfg.SnapshotRetain, hl.Named("snapshots"))
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	if n.trans, err = newTransport(n.host, hl.Named("transport"), n.cfg.RPCTimeout, n.nonvoterSet); err != nil {
		return err
	}
	has, err := raft.HasExistingState(logs, store, snaps)
	if err != nil {
		return errs.E(op, errs.Corrupt, err)
	}
	if n.raft, err = raft.NewRaft(n.raftConfig(hl), n.fsm, logs, store, snaps, n.trans); err != nil {
		return errs.E(op, errs.Internal, err)
	}
	n.raftReady.Store(n.raft)
	if n.cfg.Bootstrap && !has {
		conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: serverID(n.self), Address: serverAddr(n.self)}}}
		if err := n.raft.BootstrapCluster(conf).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			return fromRaft(op, err)
		}
	}
	return nil
}

// closeStores releases what open acquired, for a failed New and for shutdown.
func (n *Node) closeStores() {
	if n.trans != nil {
		_ = n.trans.Close()
	}
	if n.store != nil {
		_ = n.store.Close()
	}
}

// goTracked runs f in a goroutine that Shutdown waits for; it refuses once shutdown began.
func (n *Node) goTracked(f func()) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closing {
		return false
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
	return true
}

// track registers the calling goroutine (a libp2p stream handler) with the node.
func (n *Node) track() (done func(), ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closing {
		return nil, false
	}
	n.wg.Add(1)
	return n.wg.Done, true
}
