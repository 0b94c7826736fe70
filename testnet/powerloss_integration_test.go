//go:build integration

package testnet

import (
	"context"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/node"
	"github.com/meridian-fed/meridian/store/strictfs"
)

// TestIntegrationPowerLossKeepsPublishes publishes objects through a federation whose nodes
// keep their shards on store/strictfs disks, cuts the power under every node's shard store at
// once (everything not fsynced is lost), restarts every node and reads every acknowledged
// object back, byte for byte. A publish is acknowledged only after its shards and manifest are
// durable on their holders: a store that skips the file fsync or the directory fsync fails
// this (tried). The Raft log stays on the real disk (bbolt cannot run on strictfs); that its
// appends are synced is TestRaftLogIsSynced's job (consensus).
func TestIntegrationPowerLossKeepsPublishes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	disks := &strictDisks{t: t, mem: map[string]*strictfs.Mem{}}
	c, err := Start(ctx, Options{Dir: t.TempDir(), StripeSize: stripe, Tune: disks.tune})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	type object struct {
		pid  string
		data []byte
	}
	var acked []object
	for i := range 4 {
		data := randomBytes(2*stripe + 1000*i + 7)
		acked = append(acked, object{put(t, ctx, c.Client(i%c.Len()), "default", data), data})
	}
	disks.cutPower()
	for i := range c.Len() {
		if err := c.Kill(i); err != nil {
			t.Logf("stopping node %d after the power cut: %v", i, err)
		}
	}
	for i := range c.Len() {
		if err := c.Restart(ctx, i); err != nil {
			t.Fatalf("restart node %d: %v", i, err)
		}
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	for j, o := range acked {
		mustGet(t, ctx, c.Client((j+1)%c.Len()), o.pid, o.data)
	}
	t.Logf("%d acknowledged publishes read back after a power cut under all %d shard stores", len(acked), c.Len())
}

// strictDisks gives each node (by data dir) a simulated disk for its shard store.
type strictDisks struct {
	t   *testing.T
	mu  sync.Mutex
	mem map[string]*strictfs.Mem // guarded by mu; by data dir
}

// tune is Options.Tune: a node starting (or restarting) gets a new handle on its disk.
func (d *strictDisks) tune(cfg *node.Config) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.mem[cfg.DataDir]
	if m == nil {
		m = strictfs.New()
		durableDir(d.t, m, cfg.DataDir)
		d.mem[cfg.DataDir] = m
	}
	cfg.StoreFS = m.FS()
}

// cutPower crashes every disk at once.
func (d *strictDisks) cutPower() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range d.mem {
		m.Crash()
	}
}

// durableDir makes dir and its parents exist durably on m, as a node's data dir does.
func durableDir(t *testing.T, m *strictfs.Mem, dir string) {
	h := m.FS()
	if err := h.MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	for p := dir; p != "/"; p = path.Dir(p) {
		if err := h.SyncDir(path.Dir(p)); err != nil {
			t.Fatal(err)
		}
	}
}
