package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// pinSet is the client's trust: pinned public keys, grown by learning, plus CA roots. Pins
// the user gave open any endpoint; pins learned from the catalog open only the address the
// node registered with them, so one member's node cannot stand in for another's.
type pinSet struct {
	mu      sync.Mutex
	pins    map[string]bool            // guarded by mu: given by the user, for any host
	learned map[string]map[string]bool // guarded by mu: host:port -> pins registered for it
	roots   *x509.CertPool
	fetched atomic.Bool // the catalog's pins were fetched (once per client)
}

func newPinSet(roots *x509.CertPool) *pinSet {
	return &pinSet{pins: map[string]bool{}, learned: map[string]map[string]bool{}, roots: roots}
}

// has reports whether pin opens addr (host:port; "" when unknown: only the user's pins).
func (ps *pinSet) has(pin, addr string) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.pins[pin] || ps.learned[addr][pin]
}

// learn records pin for the node registered at apiURL and reports whether that trusts a key
// not trusted there before. Only
// https URLs count; the address is the URL's host:port (443 when none is given).
func (ps *pinSet) learn(apiURL, pin string) bool {
	addr := urlAddr(apiURL)
	q, err := ParsePin(pin)
	if addr == "" || err != nil {
		return false
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.pins[q] || ps.learned[addr][q] {
		return false // already trusted there
	}
	if ps.learned[addr] == nil {
		ps.learned[addr] = map[string]bool{}
	}
	ps.learned[addr][q] = true
	return true
}

// urlAddr is the host:port an https URL dials, as the transport passes it to dialTLS.
func urlAddr(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// tlsConfig verifies the server itself (VerifyConnection) instead of by Go's default, which
// knows no pins. The handshake is refused before any request byte is sent.
func (ps *pinSet) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by verify below: pins, then CA roots
		VerifyConnection:   ps.verify,
	}
}

// verify checks the server by cs.ServerName, which the TLS stack leaves empty for an IP
// address; the client's own dialer (dialTLS) knows the host and uses verifyHost instead.
func (ps *pinSet) verify(cs tls.ConnectionState) error { return ps.verifyHost(cs, cs.ServerName, "") }

// verifyHost accepts a key pinned for addr (host:port dialled; "" for the user's pins only),
// else a chain to the roots valid for host. Without a host (an IP address seen through a
// proxy) only a pin is accepted: the CA check would check no name at all.
func (ps *pinSet) verifyHost(cs tls.ConnectionState, host, addr string) error {
	if len(cs.PeerCertificates) == 0 {
		return &UntrustedCertError{Host: host, Reason: "no certificate"}
	}
	leaf := cs.PeerCertificates[0]
	pin := Pin(leaf)
	if ps.has(pin, addr) {
		return nil
	}
	if host == "" {
		return &UntrustedCertError{Pin: pin, Reason: "no host name to check it for"}
	}
	opts := x509.VerifyOptions{Roots: ps.roots, DNSName: host, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := leaf.Verify(opts)
	if err == nil {
		return nil
	}
	return &UntrustedCertError{Host: host, Pin: pin, Reason: shortCAError(err)}
}

func shortCAError(err error) string {
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		return "unknown authority"
	}
	var hn x509.HostnameError
	if errors.As(err, &hn) {
		return "issued for another host name"
	}
	return err.Error()
}

// untrusted reports whether err is a refused node certificate.
func untrusted(err error) bool {
	var ue *UntrustedCertError
	return errors.As(err, &ue)
}

// LearnPins adds the pins the catalog records for the federation's nodes (GET /v1/nodes,
// which needs a token) to the client's trust, each for the address of the API URL the node
// registered with it, and returns how many were new. The list is fetched from a node the
// client already trusts, so trust extends only through the catalog.
func (c *Client) LearnPins(ctx context.Context) (int, error) {
	if c.trust == nil {
		return 0, errs.Errorf("api.LearnPins", errs.Invalid, "the client has no pin set: create it with WithTLS")
	}
	ns, err := c.Nodes(ctx)
	if err != nil {
		return 0, err
	}
	return c.trust.learnNodes(ns), nil
}

// learnOnce learns the catalog's pins the first time a node's certificate is refused, and
// reports whether that added any; later refusals (and anonymous clients) learn nothing.
func (c *Client) learnOnce(ctx context.Context) bool {
	if c.trust == nil || c.token == "" || !c.trust.fetched.CompareAndSwap(false, true) {
		return false
	}
	n, err := c.LearnPins(ctx)
	return err == nil && n > 0
}

// ClientConfig returns a TLS client configuration that verifies servers as a Client made
// with WithTLS(t) does (for tools that speak HTTP to nodes without a Client: readiness
// probes, metrics scrapes).
func (t TLSTrust) ClientConfig() (*tls.Config, error) {
	ps := newPinSet(t.RootCAs)
	for _, p := range t.Pins {
		q, err := ParsePin(p)
		if err != nil {
			return nil, err
		}
		ps.pins[q] = true
	}
	return ps.tlsConfig(), nil
}

// dialTLS connects and runs the TLS handshake itself, so that verification knows the host
// the client dialled (also an IP address, for which the TLS stack records no server name).
func (ps *pinSet) dialTLS(dial func(ctx context.Context, network, addr string) (net.Conn, error), timeout time.Duration) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := ps.tlsConfig()
		cfg.ServerName = host // SNI is left out for an IP address by the TLS stack itself
		key := net.JoinHostPort(strings.ToLower(host), port)
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return ps.verifyHost(cs, host, key) }
		hctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		return tc, nil
	}
}
