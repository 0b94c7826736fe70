package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// testCert makes a self-signed certificate for 127.0.0.1 with a fresh key.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// tlsNode is an HTTPS server with its own key that counts the requests it handled.
type tlsNode struct {
	srv  *httptest.Server
	pin  string
	cert tls.Certificate
	hits atomic.Int32
}

func newTLSNode(t *testing.T, h http.HandlerFunc) *tlsNode {
	n := &tlsNode{cert: testCert(t)}
	n.pin = Pin(n.cert.Leaf)
	n.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.hits.Add(1)
		h(w, r)
	}))
	n.srv.TLS = &tls.Config{Certificates: []tls.Certificate{n.cert}}
	n.srv.StartTLS()
	t.Cleanup(n.srv.Close)
	return n
}

func okStatus(w http.ResponseWriter, r *http.Request) {
	_ = json.NewEncoder(w).Encode(Status{Leader: "x"})
}

func TestPinFormat(t *testing.T) {
	c := testCert(t)
	p := Pin(c.Leaf)
	if !strings.HasPrefix(p, "sha256:") || len(p) != len("sha256:")+64 {
		t.Fatalf("pin %q", p)
	}
	if q, err := ParsePin(strings.ToUpper(p[:7]) + strings.ToUpper(p[7:])); err != nil || q != p {
		t.Fatalf("ParsePin(upper) = %q, %v", q, err)
	}
	for _, bad := range []string{"", "sha256:", "sha256:zz", "md5:" + p[7:], p + "00"} {
		if _, err := ParsePin(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParsePin(%q) = %v", bad, err)
		}
	}
	if _, err := NewClient([]string{"127.0.0.1:1"}, "", WithTLS(TLSTrust{Pins: []string{"sha256:nope"}})); !errs.Is(err, errs.Invalid) {
		t.Fatalf("bad pin accepted by NewClient: %v", err)
	}
}

func TestClientPinsNodeCertificate(t *testing.T) {
	ctx := context.Background()
	n := newTLSNode(t, okStatus)
	ep := n.srv.URL // https://127.0.0.1:port
	// Unpinned, not signed by a trusted CA: refused with a Permission error saying what to do.
	c, _ := NewClient([]string{ep}, "", WithTLS(TLSTrust{}))
	_, err := c.Status(ctx)
	if !errs.Is(err, errs.Permission) || !strings.Contains(err.Error(), n.pin) || !strings.Contains(err.Error(), "pins") {
		t.Fatalf("unpinned node: %v", err)
	}
	if n.hits.Load() != 0 {
		t.Fatal("a request reached a node whose certificate was refused")
	}
	// The default client (no WithTLS) trusts the system roots only: refused as well.
	c, _ = NewClient([]string{ep}, "")
	if _, err := c.Status(ctx); err == nil {
		t.Fatal("default client accepted a self-signed certificate")
	}
	// Pinned: accepted, also when addressed as a bare host:port (https by default).
	c, _ = NewClient([]string{strings.TrimPrefix(ep, "https://")}, "", WithTLS(TLSTrust{Pins: []string{n.pin}}))
	if _, err := c.Status(ctx); err != nil {
		t.Fatalf("pinned node: %v", err)
	}
	// Signed by a CA the client trusts: accepted without a pin.
	pool := x509.NewCertPool()
	pool.AddCert(n.cert.Leaf)
	c, _ = NewClient([]string{ep}, "", WithTLS(TLSTrust{RootCAs: pool}))
	if _, err := c.Status(ctx); err != nil {
		t.Fatalf("CA-signed node: %v", err)
	}
	// ... but only for the names it was issued for: addressed as localhost it is refused.
	c, _ = NewClient([]string{strings.Replace(ep, "127.0.0.1", "localhost", 1)}, "", WithTLS(TLSTrust{RootCAs: pool}))
	if _, err := c.Status(ctx); !errs.Is(err, errs.Permission) || !strings.Contains(err.Error(), "another host name") {
		t.Fatalf("CA-signed certificate for another name: %v", err)
	}
	// A pin of another key does not help.
	other := testCert(t)
	c, _ = NewClient([]string{ep}, "", WithTLS(TLSTrust{Pins: []string{Pin(other.Leaf)}}))
	if _, err := c.Status(ctx); !errs.Is(err, errs.Permission) {
		t.Fatalf("node with another key: %v", err)
	}
}

// TestClientFailsOverUntrustedNode: a node whose certificate is refused gets nothing, and the
// request (with a body, too) goes to the next endpoint.
func TestClientFailsOverUntrustedNode(t *testing.T) {
	bad := newTLSNode(t, okStatus)
	good := newTLSNode(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(User{ID: "u1"})
	})
	c, _ := NewClient([]string{bad.srv.URL, good.srv.URL}, "tok", WithTLS(TLSTrust{Pins: []string{good.pin}}))
	c.trust.fetched.Store(true) // no learning here: see TestClientLearnsPinsFromCatalog
	if _, err := c.AddUser(context.Background(), User{ID: "u1", Member: "m1", Roles: []string{"read"}}); err != nil {
		t.Fatalf("request did not fail over: %v", err)
	}
	if bad.hits.Load() != 0 || good.hits.Load() != 1 {
		t.Fatalf("hits bad=%d good=%d", bad.hits.Load(), good.hits.Load())
	}
}

// TestClientLearnsPinsFromCatalog: the client knows one node's pin; a second node's
// certificate is refused until the client has fetched the catalog's pins from the first,
// and a learned pin opens only the address registered with it.
func TestClientLearnsPinsFromCatalog(t *testing.T) {
	var second, third *tlsNode
	first := newTLSNode(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/nodes" {
			_ = json.NewEncoder(w).Encode(nodesBody{Nodes: []NodeInfo{
				{PeerID: "p2", State: "active", API: second.srv.URL, TLSPin: second.pin},
				{PeerID: "p3", State: "active", API: "https://127.0.0.1:1", TLSPin: third.pin}, // registered elsewhere
			}})
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable) // the first node is busy: the second must serve
	})
	second = newTLSNode(t, okStatus)
	third = newTLSNode(t, okStatus)
	c, _ := NewClient([]string{second.srv.URL, first.srv.URL}, "tok", WithTLS(TLSTrust{Pins: []string{first.pin}}))
	if _, err := c.Status(context.Background()); err != nil {
		t.Fatalf("pins not learned: %v", err)
	}
	if second.hits.Load() != 1 {
		t.Fatalf("second node served %d requests", second.hits.Load())
	}
	// A pin learned for another address does not open this one: a node cannot stand in for
	// another node with its own registered key.
	c3, _ := NewClient([]string{third.srv.URL, first.srv.URL}, "tok", WithTLS(TLSTrust{Pins: []string{first.pin}}))
	if _, err := c3.Status(context.Background()); err == nil || third.hits.Load() != 0 {
		t.Fatalf("third node (pin registered for another address) served %d requests: %v", third.hits.Load(), err)
	}
	// Anonymous clients cannot list nodes: they learn nothing and are refused.
	anon, _ := NewClient([]string{second.srv.URL}, "", WithTLS(TLSTrust{Pins: []string{first.pin}}))
	if _, err := anon.Status(context.Background()); !errs.Is(err, errs.Permission) {
		t.Fatalf("anonymous client: %v", err)
	}
}

// TestPlainHTTPToTLSNodeSaysUseHTTPS: an http:// endpoint of a node that serves HTTPS gets
// an error that says to use https://.
func TestPlainHTTPToTLSNodeSaysUseHTTPS(t *testing.T) {
	n := newTLSNode(t, okStatus)
	c, _ := NewClient([]string{strings.Replace(n.srv.URL, "https://", "http://", 1)}, "")
	if _, err := c.Status(context.Background()); err == nil || !strings.Contains(err.Error(), "Use https://") {
		t.Fatalf("plain HTTP to a TLS node: %v", err)
	}
}
