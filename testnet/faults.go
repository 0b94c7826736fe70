package testnet

import (
	"context"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// Faults a test injects into a running Cluster: kill and restart a node, cut the federation
// into groups that cannot reach each other and heal it.

// Kill stops node i abruptly as far as an in-process node can be (no leadership transfer
// guarantees are relied on); its data dir stays.
func (c *Cluster) Kill(i int) error {
	c.mu.Lock()
	n := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if n == nil {
		return nil
	}
	return n.Close()
}

// Restart starts a killed node i again from its data dir.
func (c *Cluster) Restart(ctx context.Context, i int) error {
	if c.Node(i) != nil {
		return errs.Errorf("testnet.Restart", errs.Conflict, "node %d is running", i)
	}
	cfg, err := node.LoadConfig(c.cfgs[i].DataDir, nil)
	if err != nil {
		return err
	}
	cfg.Logger = c.cfgs[i].Logger
	if c.opts.Tune != nil {
		c.opts.Tune(&cfg)
	}
	n, err := node.Start(ctx, cfg, false)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nodes[i] = n
	c.mu.Unlock()
	return nil
}

// Partition splits the running nodes into groups that cannot reach each other; nodes not
// named in any group keep talking to everyone. Heal undoes it.
func (c *Cluster) Partition(groups ...[]int) {
	group := map[int]int{}
	for g, ns := range groups {
		for _, i := range ns {
			group[i] = g
		}
	}
	for i := range c.cfgs {
		n := c.Node(i)
		gi, ok := group[i]
		if n == nil || !ok {
			continue
		}
		var cut []peer.ID
		for j := range c.cfgs {
			if gj, ok := group[j]; ok && gj != gi {
				if id := c.peerID(j); id != "" {
					cut = append(cut, id)
				}
			}
		}
		n.Partition(cut...)
	}
}

// Heal removes every partition.
func (c *Cluster) Heal() {
	for i := range c.cfgs {
		if n := c.Node(i); n != nil {
			n.Heal()
		}
	}
}

// peerID returns node i's peer ID (from its identity key, so it works while the node is down).
func (c *Cluster) peerID(i int) peer.ID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ids[i]
}

// FillRaftDisk makes node i's Raft log unable to append, as when its disk is full (see
// node.FillRaftDisk); full=false frees it again.
func (c *Cluster) FillRaftDisk(i int, full bool) {
	if n := c.Node(i); n != nil {
		n.FillRaftDisk(full)
	}
}
