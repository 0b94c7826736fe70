package testnet

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/consensus"
	"github.com/meridian-fed/meridian/errs"
)

// raftCluster is the catalog bench's federation core without the rest of the node: voters,
// each a real libp2p host on loopback TCP (noise, yamux), a consensus node with its bbolt log
// in its own directory, and a catalog state as the FSM.
type raftCluster struct {
	hosts  []host.Host
	nodes  []*consensus.Node
	states []*catalog.State
}

// catalogFSM adapts a catalog state to consensus.FSM, as node's adapter does minus the
// notifications.
type catalogFSM struct{ s *catalog.State }

func (f catalogFSM) Apply(index uint64, cmd []byte) ([]byte, error) {
	return nil, f.s.Apply(index, cmd).Err
}
func (f catalogFSM) Snapshot(w io.Writer) error { return f.s.WriteSnapshot(w) }
func (f catalogFSM) Restore(r io.Reader) error  { return f.s.Restore(r) }

// startRaftCluster starts n voters under dir: the first bootstraps, the others join it.
func startRaftCluster(ctx context.Context, dir string, n int) (*raftCluster, error) {
	const op = "testnet.catalogBench"
	c := &raftCluster{}
	for range n {
		h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.Transport(tcp.NewTCPTransport),
			libp2p.Security(noise.ID, noise.New), libp2p.Muxer(yamux.ID, yamux.DefaultTransport), libp2p.DisableRelay())
		if err != nil {
			c.close(ctx)
			return nil, errs.E(op, errs.Unavailable, err)
		}
		c.hosts = append(c.hosts, h)
	}
	for _, a := range c.hosts {
		for _, b := range c.hosts {
			if a != b {
				a.Peerstore().AddAddrs(b.ID(), b.Addrs(), peerstore.PermanentAddrTTL)
			}
		}
	}
	for i, h := range c.hosts {
		if err := c.startNode(i, h, filepath.Join(dir, fmt.Sprint("voter", i))); err != nil {
			c.close(ctx)
			return nil, err
		}
	}
	if err := c.join(ctx); err != nil {
		c.close(ctx)
		return nil, err
	}
	return c, nil
}

func (c *raftCluster) startNode(i int, h host.Host, dir string) error {
	cfg := consensus.DefaultConfig()
	s := catalog.New()
	cfg.Host, cfg.Dir, cfg.FSM, cfg.Bootstrap = h, dir, catalogFSM{s}, i == 0
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	// A raft snapshot of a million-object state takes seconds and ~1.7 GB; the default
	// threshold (8192 entries) would take one every two seconds of load on every voter. The
	// bench measures the catalog, and snapshots separately (see measureSnapshot).
	cfg.SnapshotThreshold, cfg.SnapshotInterval = 1<<40, time.Hour
	nd, err := consensus.New(cfg)
	if err != nil {
		return err
	}
	c.nodes, c.states = append(c.nodes, nd), append(c.states, s)
	return nil
}

// join waits for the first node to lead and adds the others as voters.
func (c *raftCluster) join(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.nodes[0].WaitLeader(wctx); err != nil {
		return err
	}
	for _, h := range c.hosts[1:] {
		if err := c.nodes[0].AddVoter(wctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
			return err
		}
	}
	return nil
}

// leader returns the node that leads now.
func (c *raftCluster) leader(ctx context.Context) (*consensus.Node, error) {
	id, err := c.nodes[0].WaitLeader(ctx)
	if err != nil {
		return nil, err
	}
	for i, h := range c.hosts {
		if h.ID() == id {
			return c.nodes[i], nil
		}
	}
	return nil, errs.Errorf("testnet.catalogBench", errs.Unavailable, "leader %s is not a bench voter", id)
}

// waitApplied waits until every state has applied index.
func (c *raftCluster) waitApplied(ctx context.Context, index uint64) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for _, s := range c.states {
		for s.Applied() < index {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return errs.E("testnet.catalogBench", errs.Timeout, ctx.Err())
			}
		}
	}
	return nil
}

func (c *raftCluster) close(ctx context.Context) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, n := range c.nodes {
		_ = n.Shutdown(sctx)
	}
	for _, h := range c.hosts {
		_ = h.Close()
	}
}
