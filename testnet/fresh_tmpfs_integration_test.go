//go:build integration && linux

package testnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
)

// TestIntegrationRevocationHoldsOnRealFullDisk is TestIntegrationRevocationHoldsOnFullRaftDisk
// on a real file system: the victim's raft/ directory is a small tmpfs, which the test fills
// with a ballast file, then writes through another node until the victim stops applying
// (bbolt first reuses pages it freed). It needs the privilege to mount (root where the
// container allows it) and is skipped otherwise; the ENOSPC-injecting test runs everywhere.
func TestIntegrationRevocationHoldsOnRealFullDisk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const victim = 1 // never the bootstrapping node 0; re-checked below against the leader
	parent := t.TempDir()
	raftDir := filepath.Join(parent, "node1", "raft")
	if err := os.MkdirAll(raftDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", raftDir, "tmpfs", 0, "size=16m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs for the victim's Raft log (%v); needs root", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(raftDir, syscall.MNT_DETACH) })
	c, err := Start(ctx, Options{Dir: parent, StripeSize: stripe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if leaderIndex(t, ctx, c) == victim {
		t.Skip("the victim leads; this test wants a follower that hears heartbeats")
	}
	checkRevocationHolds(t, ctx, c, victim,
		func() {
			fill(t, filepath.Join(raftDir, "ballast"))
			n := writeUntilBehind(t, ctx, c, victim)
			t.Logf("node %d stopped applying after %d more catalog writes on a full disk", victim, n)
		},
		func() { _ = os.Remove(filepath.Join(raftDir, "ballast")) },
		func() { // it still hears the leader's heartbeats
			st, err := c.Node(victim).Status(ctx, api.Subject{})
			if err != nil || st.Leader == "" || st.Leader == c.peerID(victim).String() {
				t.Fatalf("the node with the full disk should still follow a leader: %+v, %v", st, err)
			}
		})
}

// writeUntilBehind adds users through node 0 until node victim no longer applies them (its
// bbolt store first reuses pages it freed, then needs new ones and fails), and returns how
// many it added.
func writeUntilBehind(t *testing.T, ctx context.Context, c *Cluster, victim int) int {
	t.Helper()
	for i := 1; i <= 2000; i++ {
		if _, err := c.Client(0).AddUser(ctx, api.User{ID: fmt.Sprintf("filler-%d", i), Roles: []string{"read"}}); err != nil {
			t.Fatal(err)
		}
		st, err := c.Node(0).Status(ctx, api.Subject{})
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		err = waitFor(wctx, func() error {
			vs, err := c.Node(victim).Status(wctx, api.Subject{})
			if err == nil && vs.Applied < st.Applied {
				err = fmt.Errorf("applied %d of %d", vs.Applied, st.Applied)
			}
			return err
		})
		cancel()
		if err != nil {
			return i
		}
	}
	t.Fatalf("node %d kept applying 2000 writes on a full disk", victim)
	return 0
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", path, err)
			}
			return
		}
	}
}
