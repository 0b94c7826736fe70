package api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// Client talks to a federation through the HTTP APIs of one or more nodes. It tries the
// endpoints in order, starting with the one that answered last, and moves on when a node is
// down (connection refused, 503, or for reads a timeout) with the same token — any node can
// authenticate any user (FedIDS contingency plan). See do for exactly which requests are
// retried. A Client is safe for concurrent use.
type Client struct {
	endpoints []string
	token     string
	hc        *http.Client
	progress  Progress
	pref      *atomic.Int32 // index of the endpoint that answered last
	noDigest  bool          // downloads are not hashed against Repr-Digest (SkipDigest)
	trust     *pinSet       // pinned node keys and CA roots (WithTLS); nil: system roots only
	optErr    error         // the first bad option
}

// SkipDigest returns a client like c whose downloads are not hashed against the node's
// Repr-Digest: for callers that verify the content themselves ('meridian get' checks the
// record's content CID and sha256), so that no byte is hashed twice on the same check.
func (c *Client) SkipDigest() *Client {
	d := *c
	d.noDigest = true
	return &d
}

// Progress is called as a transfer moves: done bytes so far of total (-1 when unknown). It
// runs on the transferring goroutine and must be quick.
type Progress func(done, total int64)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client (for TLS settings or tests). Its Timeout, if any,
// bounds whole transfers; leave it zero and use contexts instead.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithProgress reports the progress of content uploads and downloads.
func WithProgress(p Progress) Option { return func(c *Client) { c.progress = p } }

// NewClient returns a client for the given node API addresses ("https://node1:8080"; a bare
// "host:port" means https; "http://" reaches only a node run with --insecure-plain-http)
// using token (may be empty: anonymous).
func NewClient(endpoints []string, token string, opts ...Option) (*Client, error) {
	if len(endpoints) == 0 {
		return nil, errs.Errorf("api.NewClient", errs.Invalid, "no endpoint given; pass at least one node address such as https://127.0.0.1:8480")
	}
	c := &Client{token: token, pref: new(atomic.Int32)}
	for _, e := range endpoints {
		u, err := normalizeEndpoint(e)
		if err != nil {
			return nil, err
		}
		c.endpoints = append(c.endpoints, u)
	}
	for _, o := range opts {
		o(c)
	}
	if c.optErr != nil {
		return nil, c.optErr
	}
	if c.hc == nil {
		t := defaultTransport()
		if c.trust != nil {
			t.TLSClientConfig = c.trust.tlsConfig() // used through a proxy only
			t.DialTLSContext = c.trust.dialTLS(t.DialContext, t.TLSHandshakeTimeout)
		}
		c.hc = &http.Client{Transport: t}
	}
	return c, nil
}

// WithProgress returns a copy of c that reports transfer progress to p (sharing connections).
func (c *Client) WithProgress(p Progress) *Client {
	cp := *c
	cp.progress = p
	return &cp
}

// Only returns a copy of c that talks to endpoint alone (no failover), sharing its token and
// connections: for asking each node of a list in turn.
func (c *Client) Only(endpoint string) (*Client, error) {
	u, err := normalizeEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	cp := *c
	cp.endpoints, cp.pref = []string{u}, new(atomic.Int32)
	return &cp, nil
}

// Endpoints returns the endpoints in the order given.
func (c *Client) Endpoints() []string { return append([]string(nil), c.endpoints...) }

func normalizeEndpoint(e string) (string, error) {
	e = strings.TrimSpace(e)
	if !strings.Contains(e, "://") {
		e = "https://" + e
	}
	u, err := url.Parse(e)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return "", errs.Errorf("api.NewClient", errs.Invalid, "endpoint %q is not an http(s) address like https://node1.example.org:8080", e)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// defaultTransport fails fast on dead nodes (short dial timeout) so failover is quick, and
// waits for "100 Continue" before sending an upload body so a node that refuses (401, 503)
// never receives a byte — which is what makes retrying the upload elsewhere safe.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = time.Minute
	t.ExpectContinueTimeout = 3 * time.Second
	t.MaxIdleConnsPerHost = 16
	t.DisableCompression = true // content is opaque bytes with ranges and digests; never re-encoded
	return t
}
