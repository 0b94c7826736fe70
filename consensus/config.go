package consensus

import (
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/host"

	"github.com/meridian-fed/meridian/errs"
)

// Config configures a Node. Start from DefaultConfig and set Host, Dir and FSM.
type Config struct {
	Host   host.Host    // the libp2p host; its peer ID is the Raft server ID and address
	Dir    string       // data directory; Raft keeps raft.db and snapshots/ below Dir
	FSM    FSM          // the replicated state machine
	Logger *slog.Logger // nil means slog.Default()

	// Bootstrap makes this node the single voter of a new cluster when Dir holds no Raft
	// state yet. It is ignored when state exists, so it is safe to leave on for the first node.
	Bootstrap bool

	HeartbeatTimeout   time.Duration // follower: no contact for this long starts an election
	ElectionTimeout    time.Duration // candidate: no majority for this long restarts the election
	LeaderLeaseTimeout time.Duration // leader: steps down without majority contact for this long
	CommitTimeout      time.Duration // leader: longest wait before sending a heartbeat with new commit index

	MaxAppendEntries  int           // entries per AppendEntries RPC and per FSM batch (group commit)
	SnapshotInterval  time.Duration // how often to check whether to snapshot
	SnapshotThreshold uint64        // snapshot when this many entries are past the last snapshot
	TrailingLogs      uint64        // entries kept after a snapshot, so slow followers need no install
	SnapshotRetain    int           // snapshots kept on disk

	MaxCommandBytes int           // largest command accepted by Propose; larger ones are Invalid
	RPCTimeout      time.Duration // Raft RPC I/O deadline; deadline of calls whose ctx has none

	// Guard vets forwarded proposals and membership changes on the leader; nil trusts every
	// peer of the Raft configuration (tests only: production nodes must set it).
	Guard Guard
}

// DefaultConfig returns settings suited to a federation over the wide-area network.
func DefaultConfig() Config {
	return Config{
		HeartbeatTimeout:   time.Second,
		ElectionTimeout:    time.Second,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		CommitTimeout:      50 * time.Millisecond,
		MaxAppendEntries:   512,
		SnapshotInterval:   2 * time.Minute,
		SnapshotThreshold:  8192,
		TrailingLogs:       10240,
		SnapshotRetain:     2,
		MaxCommandBytes:    1 << 20,
		RPCTimeout:         10 * time.Second,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&c.HeartbeatTimeout, d.HeartbeatTimeout)
	setDur(&c.ElectionTimeout, d.ElectionTimeout)
	setDur(&c.LeaderLeaseTimeout, d.LeaderLeaseTimeout)
	setDur(&c.CommitTimeout, d.CommitTimeout)
	setDur(&c.SnapshotInterval, d.SnapshotInterval)
	setDur(&c.RPCTimeout, d.RPCTimeout)
	if c.MaxAppendEntries == 0 {
		c.MaxAppendEntries = d.MaxAppendEntries
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = d.SnapshotThreshold
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = d.TrailingLogs
	}
	if c.SnapshotRetain == 0 {
		c.SnapshotRetain = d.SnapshotRetain
	}
	if c.MaxCommandBytes == 0 {
		c.MaxCommandBytes = d.MaxCommandBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports the first problem with c, as an errs.Invalid error.
func (c Config) Validate() error {
	const op = "consensus.Config"
	switch {
	case c.Host == nil:
		return errs.Errorf(op, errs.Invalid, "Host is nil: pass the node's libp2p host")
	case c.Dir == "":
		return errs.Errorf(op, errs.Invalid, "Dir is empty: pass the node's data directory")
	case c.FSM == nil:
		return errs.Errorf(op, errs.Invalid, "FSM is nil: pass the state machine to replicate")
	case c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return errs.Errorf(op, errs.Invalid, "LeaderLeaseTimeout %v exceeds HeartbeatTimeout %v: lower it", c.LeaderLeaseTimeout, c.HeartbeatTimeout)
	case c.MaxAppendEntries < 1 || c.MaxAppendEntries > 1024:
		return errs.Errorf(op, errs.Invalid, "MaxAppendEntries %d out of range 1..1024", c.MaxAppendEntries)
	case c.MaxCommandBytes < 1 || c.MaxCommandBytes > maxFrameCap:
		return errs.Errorf(op, errs.Invalid, "MaxCommandBytes %d out of range 1..%d", c.MaxCommandBytes, maxFrameCap)
	}
	return nil
}
