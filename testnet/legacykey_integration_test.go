//go:build integration

package testnet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationLegacyKeyFilesAfterUpgrade: a federation whose nodes hold their key in the
// legacy pnet swarm key format (as written before the key moved into the Noise handshake)
// restarts with the new binary unchanged: every node reads its old file, all derive the same
// Noise prologue, and they serve what was published before and take new publishes.
func TestIntegrationLegacyKeyFilesAfterUpgrade(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	before := randomBytes(stripe + 1000)
	p := put(t, ctx, c.Client(0), "default", before)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range c.Len() {
		path := filepath.Join(c.cfgs[i].DataDir, node.SwarmKeyFile)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		const current, legacy = "/key/meridian/federation/1.0.0/", "/key/swarm/psk/1.0.0/"
		if !strings.HasPrefix(string(b), current+"\n") {
			t.Fatalf("node %d key file does not start with %s: %q", i, current, b[:min(len(b), 40)])
		}
		if err := os.WriteFile(path, []byte(legacy+strings.TrimPrefix(string(b), current)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i := range c.Len() {
		if err := c.Restart(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	mustGet(t, ctx, c.Client(c.Len()-1), p, before)
	after := randomBytes(1000)
	mustGet(t, ctx, c.Client(c.Len()-2), put(t, ctx, c.Client(0), "default", after), after)
}
