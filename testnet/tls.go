package testnet

import (
	"net/http"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/node"
)

// pinsOf reads the API certificate pins of the nodes in dirs (nodes never started have none).
func pinsOf(dirs []string) []string {
	var pins []string
	for _, d := range dirs {
		if p, err := node.ReadTLSPin(d); err == nil {
			pins = append(pins, p)
		}
	}
	return pins
}

// pinnedHTTPClient is a plain HTTP client that trusts exactly pins (for /readyz and /metrics).
func pinnedHTTPClient(pins []string) *http.Client {
	cfg, err := api.TLSTrust{Pins: pins}.ClientConfig()
	if err != nil {
		panic(err) // pins read from certificates we made: cannot be malformed
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// Pins returns the public-key pins of the nodes' API certificates.
func (c *Cluster) Pins() []string {
	var dirs []string
	for _, cfg := range c.cfgs {
		dirs = append(dirs, cfg.DataDir)
	}
	return pinsOf(dirs)
}

// TLS is the client option that pins every node of the cluster.
func (c *Cluster) TLS() api.Option { return api.WithTLS(api.TLSTrust{Pins: c.Pins()}) }

// HTTPClient returns an HTTP client that trusts the cluster's nodes.
func (c *Cluster) HTTPClient() *http.Client { return pinnedHTTPClient(c.Pins()) }

// URL returns node i's API base URL (https://host:port; http:// with Options.PlainHTTP).
func (c *Cluster) URL(i int) string {
	if c.opts.PlainHTTP {
		return "http://" + c.Endpoint(i)
	}
	return "https://" + c.Endpoint(i)
}

// Pins returns the public-key pins of the nodes' API certificates.
func (pc *ProcCluster) Pins() []string {
	var dirs []string
	for _, n := range pc.Nodes {
		dirs = append(dirs, n.Dir)
	}
	return pinsOf(dirs)
}

// TLS is the client option that pins every node of the process cluster.
func (pc *ProcCluster) TLS() api.Option { return api.WithTLS(api.TLSTrust{Pins: pc.Pins()}) }

// HTTPClient returns an HTTP client that trusts the cluster's nodes.
func (pc *ProcCluster) HTTPClient() *http.Client { return pinnedHTTPClient(pc.Pins()) }
