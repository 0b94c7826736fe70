package api

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Access says who may read /metrics and /v1/status (docs/api.md, "Who may see metrics and
// status"). The zero value is the careful default: metrics for loopback callers only, status
// for token holders only.
type Access struct {
	// Metrics is MetricsNetwork (""), MetricsToken or MetricsOpen.
	Metrics string
	// MetricsAllow are the networks MetricsNetwork serves (empty: loopback only). The address
	// checked is the TCP peer's: behind a proxy, allow the proxy or use MetricsToken.
	MetricsAllow []netip.Prefix
	// Member, when set, is the only member whose tokens MetricsToken accepts (the node's own).
	Member string
	// Status is StatusToken ("") or StatusOpen.
	Status string
}

// Metrics and status access modes.
const (
	MetricsNetwork = "network" // the caller's address must be in MetricsAllow
	MetricsToken   = "token"   // a valid token (of Access.Member when set)
	MetricsOpen    = "open"    // anyone who reaches the port
	StatusToken    = "token"   // GET /v1/status needs a token
	StatusOpen     = "open"    // anonymous callers get the public part of the status
)

// loopback is MetricsAllow's default.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// ParseAccess builds an Access from a node's settings (metrics_access, metrics_allow as CIDRs
// or single addresses, status_access), saying what to fix when one is wrong.
func ParseAccess(metrics string, allow []string, status string) (Access, error) {
	const op = "api.ParseAccess"
	a := Access{Metrics: metrics, Status: status}
	switch metrics {
	case "", MetricsNetwork, MetricsToken, MetricsOpen:
	default:
		return a, errs.Errorf(op, errs.Invalid, "metrics_access %q: use network, token or open", metrics)
	}
	switch status {
	case "", StatusToken, StatusOpen:
	default:
		return a, errs.Errorf(op, errs.Invalid, "status_access %q: use token or open", status)
	}
	for _, s := range allow {
		p, err := parsePrefix(strings.TrimSpace(s))
		if err != nil {
			return a, errs.Errorf(op, errs.Invalid, "metrics_allow %q: give a CIDR such as 10.0.0.0/8 or an address such as 192.0.2.7", s)
		}
		a.MetricsAllow = append(a.MetricsAllow, p)
	}
	return a, nil
}

// parsePrefix reads a CIDR or a single address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// allowed reports whether the TCP peer of r is in the allowed networks.
func (a Access) allowed(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap().WithZone("") // an IPv4 caller on a dual-stack listener; a link-local zone
	allow := a.MetricsAllow
	if len(allow) == 0 {
		allow = loopback
	}
	for _, p := range allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// allowList names the allowed networks for a refusal.
func (a Access) allowList() string {
	allow := a.MetricsAllow
	if len(allow) == 0 {
		allow = loopback
	}
	s := make([]string, len(allow))
	for i, p := range allow {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
