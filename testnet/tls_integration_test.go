//go:build integration

package testnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// registration returns what the catalog (as node 0 lists it) records for node i.
func registration(ctx context.Context, c *Cluster, i int) (api.NodeInfo, error) {
	ns, err := c.Client(0).Nodes(ctx)
	if err != nil {
		return api.NodeInfo{}, err
	}
	id := c.Node(i).PeerID().String()
	for _, n := range ns {
		if n.PeerID == id {
			return n, nil
		}
	}
	return api.NodeInfo{}, fmt.Errorf("node %d not listed", i)
}

// waitRegistered waits until the catalog records url and pin for node i.
func waitRegistered(t *testing.T, ctx context.Context, c *Cluster, i int, url, pin string) {
	t.Helper()
	err := waitFor(ctx, func() error {
		n, err := registration(ctx, c, i)
		if err == nil && (n.API != url || n.TLSPin != pin) {
			err = fmt.Errorf("catalog records %s %q, want %s %q", n.API, n.TLSPin, url, pin)
		}
		return err
	})
	if err != nil {
		t.Fatalf("node %d: %v", i, err)
	}
}

// TestIntegrationTLS: nodes serve HTTPS with self-signed certificates whose pins the catalog
// records at bootstrap and join; a client that pins one node learns the others' pins from
// the catalog; an unpinned certificate is refused; a node keeps its key across restarts, and
// a new key (or plain HTTP, only when asked for) is registered again.
func TestIntegrationTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), Nodes: 3, Members: 3, StripeSize: stripe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	pins := map[int]string{}
	for i := 0; i < c.Len(); i++ {
		pins[i] = c.Node(i).TLSPin()
		if p, err := node.ReadTLSPin(c.cfgs[i].DataDir); err != nil || p != pins[i] || !strings.HasPrefix(p, api.PinPrefix) {
			t.Fatalf("node %d serves pin %s, data dir has %s (%v)", i, pins[i], p, err)
		}
		waitRegistered(t, ctx, c, i, c.URL(i), pins[i])
	}

	t.Run("pins learned from the catalog", func(t *testing.T) {
		cl, err := api.NewClient([]string{c.URL(1)}, c.Token, api.WithTLS(api.TLSTrust{Pins: []string{pins[1]}}))
		if err != nil {
			t.Fatal(err)
		}
		// Node 2 is not pinned: the client learns its pin through node 1 (listed second).
		both, _ := api.NewClient([]string{c.URL(2), c.URL(1)}, c.Token, api.WithTLS(api.TLSTrust{Pins: []string{pins[1]}}))
		st, err := both.Status(ctx)
		if err != nil || st.Node.PeerID != c.Node(2).PeerID().String() {
			t.Fatalf("status through node 2 after learning: %+v, %v", st, err)
		}
		if st.TLS == nil || st.TLS.Mode != "self-signed" || st.TLS.Pin != pins[2] || len(st.Warnings) != 0 {
			t.Fatalf("status TLS %+v, warnings %v", st.TLS, st.Warnings)
		}
		if n, err := cl.LearnPins(ctx); err != nil || n != 2 {
			t.Fatalf("LearnPins = %d, %v; want the 2 other nodes", n, err)
		}
	})

	t.Run("unpinned certificate refused", func(t *testing.T) {
		cl, _ := api.NewClient([]string{c.URL(0)}, "", api.WithTLS(api.TLSTrust{Pins: []string{pins[1]}}))
		_, err := cl.Status(ctx)
		if !errs.Is(err, errs.Permission) || !strings.Contains(err.Error(), pins[0]) {
			t.Fatalf("unpinned node: %v", err)
		}
		plain, _ := api.NewClient([]string{"http://" + c.Endpoint(0)}, c.Token)
		if _, err := plain.Status(ctx); err == nil {
			t.Fatal("a TLS node answered plain HTTP")
		}
	})

	t.Run("restart keeps the pin; a new key is registered", func(t *testing.T) {
		if err := c.Kill(2); err != nil {
			t.Fatal(err)
		}
		if err := c.Restart(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if got := c.Node(2).TLSPin(); got != pins[2] {
			t.Fatalf("pin changed across a restart: %s -> %s", pins[2], got)
		}
		if err := c.Kill(2); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{node.TLSKeyFile, node.TLSCertFile} {
			if err := os.Remove(filepath.Join(c.cfgs[2].DataDir, f)); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Restart(ctx, 2); err != nil {
			t.Fatal(err)
		}
		rotated := c.Node(2).TLSPin()
		if rotated == pins[2] {
			t.Fatal("a new key kept the old pin")
		}
		waitRegistered(t, ctx, c, 2, c.URL(2), rotated)
		cl, _ := api.NewClient([]string{c.URL(2), c.URL(0)}, c.Token, api.WithTLS(api.TLSTrust{Pins: []string{pins[0]}}))
		if st, err := cl.Status(ctx); err != nil || st.Node.PeerID != c.Node(2).PeerID().String() {
			t.Fatalf("rotated node not reached through the catalog's pin: %v", err)
		}
		stale, _ := api.NewClient([]string{c.URL(2)}, "", api.WithTLS(api.TLSTrust{Pins: []string{pins[2]}}))
		if _, err := stale.Status(ctx); !errs.Is(err, errs.Permission) {
			t.Fatalf("the old pin still accepted: %v", err)
		}
	})

	t.Run("plain HTTP only when asked, with warnings", func(t *testing.T) {
		if err := c.Kill(2); err != nil {
			t.Fatal(err)
		}
		dir := c.cfgs[2].DataDir
		c.opts.Tune = func(cfg *node.Config) { cfg.InsecurePlainHTTP = cfg.DataDir == dir }
		if err := c.Restart(ctx, 2); err != nil {
			t.Fatal(err)
		}
		url := "http://" + c.Endpoint(2)
		waitRegistered(t, ctx, c, 2, url, "")
		cl, _ := api.NewClient([]string{url}, c.Token)
		st, err := cl.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.TLS == nil || st.TLS.Mode != "plain-http" || len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "plain HTTP") {
			t.Fatalf("plain-HTTP node status: %+v %v", st.TLS, st.Warnings)
		}
	})
}
