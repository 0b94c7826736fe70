package api

import (
	"net/http"

	"github.com/meridian-fed/meridian/errs"
)

// guardMetrics serves h (the Prometheus handler) only to callers opts.Access admits.
func (s *server) guardMetrics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.mayScrape(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// mayScrape checks r against the metrics access mode.
func (s *server) mayScrape(r *http.Request) error {
	const op = "api.metrics"
	a := s.opts.Access
	switch a.Metrics {
	case MetricsOpen:
		return nil
	case MetricsToken:
		tok, err := bearer(r)
		if err != nil {
			return err
		}
		if tok == "" {
			return errs.Errorf(op, errs.Unauthenticated, "this node serves /metrics to token holders only (metrics_access: token): give the scraper a bearer token of a user of this node's member")
		}
		sub, err := s.b.Authenticate(r.Context(), tok)
		if err != nil {
			return err
		}
		if sub.Anonymous || (a.Member != "" && sub.Member != a.Member) {
			return errs.Errorf(op, errs.Permission, "this node serves /metrics to users of member %q only: use a token of that member", a.Member)
		}
		return nil
	default:
		if a.allowed(r) {
			return nil
		}
		return errs.Errorf(op, errs.Permission, "this node serves /metrics only to %s (metrics_access: network): scrape from there, or ask its operator to add your network to metrics_allow", a.allowList())
	}
}

// maySeeStatus applies the status access mode: under StatusToken an anonymous caller is
// refused; under StatusOpen it gets publicStatus. Token holders get the whole status, less
// the object count and redundancy, which the backend shows to its member's admins only.
func (s *server) maySeeStatus(sub Subject) error {
	if sub.Anonymous && s.opts.Access.Status != StatusOpen {
		return errs.Errorf("api.status", errs.Unauthenticated, "this node shows its status to token holders only (status_access: token): pass a token (the client config's token); /readyz and /livez need none")
	}
	return nil
}

// publicStatus is what an anonymous caller may see of a node's status: who the node is, how
// it serves its API, and the Raft position that /readyz already implies. Object counts,
// redundancy and warnings (full disks, expiring certificates) stay for token holders.
func publicStatus(st *Status) *Status {
	n := st.Node
	return &Status{
		Node:    NodeInfo{PeerID: n.PeerID, Member: n.Member, API: n.API, State: n.State},
		Leader:  st.Leader,
		Term:    st.Term,
		Applied: st.Applied,
		Peers:   st.Peers,
		TLS:     st.TLS,
	}
}
