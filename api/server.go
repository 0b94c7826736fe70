package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/meridian-fed/meridian/errs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure the HTTP server. The zero value is usable.
type Options struct {
	// Registry receives the HTTP metrics and is served at /metrics; nil: no /metrics route
	// and no metrics.
	Registry *prometheus.Registry
	// MaxObjectSize caps an upload's body in bytes (0: DefaultMaxObjectSize).
	MaxObjectSize int64
	// MaxJSON caps a JSON request body in bytes (0: DefaultMaxJSON).
	MaxJSON int64
	// Logger logs failed requests (nil: slog.Default()).
	Logger *slog.Logger
	// BaseURL is the public address of this node ("https://node.example.org") used in
	// citations, signposting links and PROV identifiers; "" derives it from each request.
	BaseURL string
	// KeepAlive is the interval of SSE comment lines that keep idle event streams open
	// through proxies (0: 15s).
	KeepAlive time.Duration
	// StreamRecheck is how often an idle event stream re-checks that its token is still valid
	// and may still read the catalog (0: 500ms); a stream also re-checks before every event.
	StreamRecheck time.Duration
	// Limits bound what one caller can make the node do (see Limits; zero: the defaults).
	Limits Limits
	// Access says who may read /metrics and /v1/status (zero: loopback and token holders).
	Access Access
}

// Defaults of Options.
const (
	DefaultMaxObjectSize int64 = 1 << 40 // 1 TiB
	DefaultMaxJSON       int64 = 1 << 20 // 1 MiB
	defaultKeepAlive           = 15 * time.Second
	defaultStreamRecheck       = 500 * time.Millisecond
	maxProvenanceDepth         = 64
)

type server struct {
	b       Backend
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	limits  Limits  // opts.Limits with defaults
	callers callers // expensive requests in progress per caller
}

// NewServer returns the handler of a node's HTTP API over b: /v1 (JSON, bearer tokens),
// /pid (resolver with content negotiation), /livez, /readyz and /metrics.
func NewServer(b Backend, opts Options) http.Handler {
	if opts.MaxObjectSize <= 0 {
		opts.MaxObjectSize = DefaultMaxObjectSize
	}
	if opts.MaxJSON <= 0 {
		opts.MaxJSON = DefaultMaxJSON
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = defaultKeepAlive
	}
	if opts.StreamRecheck <= 0 {
		opts.StreamRecheck = defaultStreamRecheck
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	s := &server{b: b, opts: opts, log: opts.Logger, mux: http.NewServeMux(), limits: opts.Limits.withDefaults()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if opts.Registry != nil {
		s.metrics = newMetrics(opts.Registry)
		s.mux.Handle("GET /metrics", s.guardMetrics(promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{})))
	}
	s.routes()
	return s
}

// handlerFunc is an API handler after authentication; a returned error is written as JSON.
type handlerFunc func(w http.ResponseWriter, r *http.Request, sub Subject) error

func (s *server) routes() {
	m := s.mux
	m.HandleFunc("GET /livez", s.livez)
	m.HandleFunc("GET /readyz", s.readyz)

	m.Handle("POST /v1/catalogs", s.auth(s.createCatalog))
	m.Handle("GET /v1/catalogs", s.auth(s.listCatalogs))
	m.Handle("GET /v1/catalogs/{name}", s.auth(s.getCatalog))
	m.Handle("PATCH /v1/catalogs/{name}", s.auth(s.updateCatalog))
	m.Handle("PUT /v1/catalogs/{name}/objects", s.auth(s.upload))
	m.Handle("POST /v1/catalogs/{name}/objects", s.auth(s.upload))
	m.Handle("GET /v1/catalogs/{name}/objects", s.auth(s.listObjects))
	m.Handle("GET /v1/catalogs/{name}/events", s.auth(s.events))

	m.Handle("GET /v1/objects/{pid}", s.auth(s.getObject))
	m.Handle("GET /v1/objects/{pid}/content", s.auth(s.content))
	m.Handle("GET /v1/objects/{pid}/provenance", s.auth(s.provenance))
	m.Handle("GET /v1/objects/{pid}/verify", s.auth(s.verify))
	m.Handle("POST /v1/objects/{pid}/verify", s.auth(s.verify))
	m.Handle("GET /v1/search", s.auth(s.search))

	m.Handle("POST /v1/users", s.auth(s.addUser))
	m.Handle("GET /v1/users", s.auth(s.listUsers))
	m.Handle("POST /v1/users/{id}/tokens", s.auth(s.addToken))
	m.Handle("DELETE /v1/users/{id}/tokens/{tid}", s.auth(s.revokeToken))
	m.Handle("GET /v1/members", s.auth(s.members))
	m.Handle("GET /v1/nodes", s.auth(s.nodes))
	m.Handle("PATCH /v1/nodes/{peer}", s.auth(s.setNodeState))
	m.Handle("GET /v1/status", s.auth(s.status))
	m.Handle("POST /v1/scrub", s.auth(s.scrub))
	m.Handle("GET /v1/audit", s.auth(s.audit))
	s.governanceRoutes()

	m.Handle("GET /pid/{pid}", s.auth(s.resolve))
	m.Handle("GET /pid/{pid}/content", s.auth(s.content))
}

// ServeHTTP routes r, records metrics and turns the mux's plain-text 404 and 405 into JSON.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, r: r, s: s}
	if s.metrics != nil {
		// deferred so aborted streams (panic(http.ErrAbortHandler)) are counted too
		defer func() { s.metrics.observe(r, sw.status(), time.Since(start)) }()
	}
	if s.refuseHeaders(sw, r) {
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// auth authenticates the bearer token before anything reads the body, then calls h within
// the caller's limits (see Limits).
func (s *server) auth(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, cancel := s.withDeadline(r)
		defer cancel()
		tok, err := bearer(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		sub, err := s.b.Authenticate(r.Context(), tok)
		if err == nil {
			err = s.limited(h, w, r, sub)
		}
		if err != nil {
			s.writeError(w, r, s.deadlineError(r, err))
		}
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" header ("" when absent).
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", nil
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", errs.Errorf("api.auth", errs.Unauthenticated,
			"the Authorization header must be \"Bearer <token>\"; get a token from an admin (meridian user token)")
	}
	return tok, nil
}

func (s *server) livez(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.b.Ready(ctx); err != nil {
		if errs.KindOf(err) == errs.Other || errs.KindOf(err) == errs.Internal {
			err = errs.E("api.readyz", errs.Unavailable, err)
		}
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}
