//go:build integration

package testnet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
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
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // the node re-registers every 2 s
	defer cancel()
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
	// Bootstrap and join recorded them: no node had to register again.
	page, err := c.Client(0).Audit(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Entries {
		if e.Kind == "node.api" {
			t.Fatalf("%s re-registered its API after joining: the join did not record it", e.Actor)
		}
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
		if _, err := plain.Status(ctx); err == nil || !strings.Contains(err.Error(), "Use https://") {
			t.Fatalf("plain HTTP to a TLS node: %v", err)
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

	t.Run("operator certificate verified by its CA", func(t *testing.T) {
		certFile, keyFile, ca, leafPin := operatorCert(t)
		if err := c.Kill(1); err != nil {
			t.Fatal(err)
		}
		dir := c.cfgs[1].DataDir
		c.opts.Tune = func(cfg *node.Config) {
			if cfg.DataDir == dir {
				cfg.TLSCert, cfg.TLSKey = certFile, keyFile
			}
		}
		defer func() { c.opts.Tune = nil }()
		if err := c.Restart(ctx, 1); err != nil {
			t.Fatal(err)
		}
		waitRegistered(t, ctx, c, 1, c.URL(1), leafPin)
		cl, _ := api.NewClient([]string{c.URL(1)}, c.Token, api.WithTLS(api.TLSTrust{RootCAs: ca})) // status needs a token (status_access)
		st, err := cl.Status(ctx)
		if err != nil || st.TLS == nil || st.TLS.Mode != "operator" || st.TLS.Pin != leafPin {
			t.Fatalf("operator certificate through its CA: %+v, %v", st, err)
		}
		// Without the CA, the old self-signed pin no longer opens the node.
		old, _ := api.NewClient([]string{c.URL(1)}, "", api.WithTLS(api.TLSTrust{Pins: []string{pins[1]}}))
		if _, err := old.Status(ctx); !errs.Is(err, errs.Permission) {
			t.Fatalf("self-signed pin accepted for an operator certificate: %v", err)
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

// operatorCert writes a CA-signed certificate for 127.0.0.1 and its key, as an institution's
// PKI would issue, and returns their files, the CA pool and the certificate's pin.
func operatorCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool, pin string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test institution CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "node1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "node.crt"), filepath.Join(dir, "node.key")
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	if err := os.WriteFile(certFile, chain, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	return certFile, keyFile, pool, api.Pin(leaf)
}
