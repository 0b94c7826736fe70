package node

import (
	"net"
	"net/url"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// validateTLS checks the TLS part of the config.
func (c *Config) validateTLS() error {
	const op = "node.Config"
	switch {
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errs.Errorf(op, errs.Invalid, "tls_cert and tls_key go together: give both PEM files, or neither for a self-signed certificate")
	case c.InsecurePlainHTTP && c.TLSCert != "":
		return errs.Errorf(op, errs.Invalid, "insecure_plain_http and tls_cert contradict each other: drop one")
	}
	if c.APIURL == "" {
		return nil
	}
	u, err := url.Parse(c.APIURL)
	if err != nil || u.Host == "" || u.RawQuery != "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errs.Errorf(op, errs.Invalid, "api_url %q is not a URL like https://node1.example.org:8480", c.APIURL)
	}
	if (u.Scheme == "http") != c.InsecurePlainHTTP {
		return errs.Errorf(op, errs.Invalid, "api_url %q: the scheme must be https (http only with insecure_plain_http)", c.APIURL)
	}
	return nil
}

// urlHost is the host of an absolute URL, without port ("" when s is not one).
func urlHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// apiURL is the URL this node registers for its API: api_url when set, else the scheme it
// serves and the address it listens on.
func (n *Node) apiURL() string {
	if n.cfg.APIURL != "" {
		return strings.TrimSuffix(n.cfg.APIURL, "/")
	}
	scheme := "https://"
	if n.cfg.InsecurePlainHTTP {
		scheme = "http://"
	}
	return scheme + advertisable(n.ownAPIAddr())
}

// advertisable replaces a wildcard listen host by the loopback address (set api_url to be
// reachable from elsewhere).
func advertisable(addr string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
		h = "127.0.0.1"
	}
	return net.JoinHostPort(h, p)
}
