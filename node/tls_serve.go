package node

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/meridian-fed/meridian/catalog"
)

// plainHTTPWarning is logged and shown in status when the API runs without TLS.
const plainHTTPWarning = "the API serves plain HTTP (--insecure-plain-http): tokens and data cross the network in clear; remove the flag to serve HTTPS"

// serveTLS loads the API's certificate and returns the listener the HTTP server serves:
// ln wrapped in TLS, or ln itself with a warning when plain HTTP was asked for.
func (n *Node) serveTLS(ln net.Listener) (net.Listener, error) {
	t, err := loadAPITLS(&n.cfg, certHosts(&n.cfg), n.now())
	if err != nil {
		return nil, err
	}
	n.tls = t
	if t.cert == nil {
		n.log.Warn(plainHTTPWarning)
		return ln, nil
	}
	n.log.Info("api serves https", "cert", t.mode, "pin", t.pin(), "not_after", t.leaf.NotAfter.UTC().Format(time.RFC3339))
	return tls.NewListener(ln, t.serverConfig()), nil
}

// TLSPin returns the public-key pin of the API's certificate ("" for plain HTTP).
func (n *Node) TLSPin() string { return n.tls.pin() }

// APIURL returns the URL this node registers for its API.
func (n *Node) APIURL() string { return n.apiURL() }

func (n *Node) tlsWarnings() []string {
	if n.tls != nil && n.tls.cert == nil {
		return []string{plainHTTPWarning}
	}
	return nil
}

// registerAPILoop makes the catalog's registration of this node carry the API URL and pin
// it serves now: after an upgrade from a version without TLS, a new api_url, or a rotated
// operator key. It tries until the registration matches (or the node is gone), every few
// seconds, as the node catches up and a leader is known.
func (n *Node) registerAPILoop(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		done, err := n.registerAPIOnce(ctx)
		if done {
			return
		}
		if err != nil {
			n.log.Debug("cannot register the API yet", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (n *Node) registerAPIOnce(ctx context.Context) (bool, error) {
	self := n.PeerID().String()
	nd, err := n.state.Node(self)
	if err != nil {
		return false, nil // not registered yet (joining)
	}
	want := catalog.SetNodeAPI{PeerID: self, API: n.apiURL(), TLSPin: n.TLSPin()}
	if nd.State == catalog.NodeGone || (nd.API == want.API && nd.TLSPin == want.TLSPin) {
		return true, nil
	}
	if err := n.catchingUp(); err != nil {
		return false, err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := n.propose(cctx, catalog.NodePrefix+self, &want); err != nil {
		return false, err
	}
	n.log.Info("registered the API in the catalog", "api", want.API, "pin", want.TLSPin)
	return true, nil
}
