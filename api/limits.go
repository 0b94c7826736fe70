package api

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// Limits bound what one caller can make a node do; docs/api.md "Limits per caller" states
// them. The zero value of each field selects its default. The mapstructure tags name them in
// a node's configuration file (under api_limits).
type Limits struct {
	// PerCaller is how many expensive requests (listings, search, content reads, provenance,
	// verify) one caller (an authenticated user, or a remote IP for anonymous requests) may
	// have in progress at once; more answer 429 with Retry-After (0: DefaultPerCaller).
	PerCaller int `mapstructure:"per_caller"`
	// PerCallerUploads is how many uploads one caller may have in progress at once; each
	// holds a publish pipeline (stripes in flight to their holders). More answer 429
	// (0: DefaultPerCallerUploads).
	PerCallerUploads int `mapstructure:"per_caller_uploads"`
	// PerCallerEvents is how many event streams (GET /v1/catalogs/{name}/events) one caller
	// may hold open at once; more answer 429 (0: DefaultPerCallerEvents).
	PerCallerEvents int `mapstructure:"per_caller_events"`
	// RequestTimeout is the deadline of every request but the streams (uploads, content,
	// events, verify with content); a request still waiting then answers 503 unavailable with
	// the reason (0: DefaultRequestTimeout).
	RequestTimeout time.Duration `mapstructure:"request_timeout"`
	// BodyWindow and BodyMinRate govern upload bodies instead: each BodyWindow of time spent
	// waiting for the body must bring at least BodyWindow×BodyMinRate bytes, or the upload is
	// cut with 408 (0: DefaultBodyWindow, DefaultBodyMinRate bytes per second).
	BodyWindow  time.Duration `mapstructure:"body_window"`
	BodyMinRate int64         `mapstructure:"body_min_rate"`
	// MaxHeaderBytes caps a request's URL and header fields; more answer 431 as JSON
	// (0: DefaultMaxHeaderBytes). Beyond net/http's own limit (http.Server.MaxHeaderBytes,
	// 1 MiB by default) Go answers 431 in plain text before any handler runs.
	MaxHeaderBytes int `mapstructure:"max_header_bytes"`
	// MaxPageBytes caps the JSON of the objects of one listing or search page; a page that
	// would be larger ends early with a next cursor (0: DefaultMaxPageBytes).
	MaxPageBytes int `mapstructure:"max_page_bytes"`
}

// Defaults of Limits.
const (
	DefaultPerCaller        = 8
	DefaultPerCallerUploads = 4
	DefaultPerCallerEvents  = 16
	DefaultRequestTimeout   = 30 * time.Second
	DefaultBodyWindow       = 30 * time.Second
	DefaultBodyMinRate      = 1 << 10 // bytes per second
	DefaultMaxHeaderBytes   = 256 << 10
	DefaultMaxPageBytes     = 4 << 20
)

func (l Limits) withDefaults() Limits {
	if l.PerCaller <= 0 {
		l.PerCaller = DefaultPerCaller
	}
	if l.PerCallerUploads <= 0 {
		l.PerCallerUploads = DefaultPerCallerUploads
	}
	if l.PerCallerEvents <= 0 {
		l.PerCallerEvents = DefaultPerCallerEvents
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = DefaultRequestTimeout
	}
	if l.BodyWindow <= 0 {
		l.BodyWindow = DefaultBodyWindow
	}
	if l.BodyMinRate <= 0 {
		l.BodyMinRate = DefaultBodyMinRate
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxPageBytes <= 0 {
		l.MaxPageBytes = DefaultMaxPageBytes
	}
	return l
}

// expensiveRoutes are the routes whose answers cost the node work or memory in proportion to
// the data: each holds one of its caller's PerCaller slots while it runs.
var expensiveRoutes = map[string]bool{
	"GET /v1/catalogs/{name}/objects":  true,
	"GET /v1/search":                   true,
	"GET /v1/objects/{pid}/content":    true,
	"GET /pid/{pid}/content":           true,
	"GET /v1/objects/{pid}/provenance": true,
	"GET /v1/objects/{pid}/verify":     true,
	"POST /v1/objects/{pid}/verify":    true,
	"GET /v1/audit":                    true,
}

// uploadRoutes each hold one of the caller's PerCallerUploads slots while they run.
var uploadRoutes = map[string]bool{
	"PUT /v1/catalogs/{name}/objects":  true,
	"POST /v1/catalogs/{name}/objects": true,
}

// limited runs h holding one of the caller's slots when the route is expensive, an upload or
// an event stream (three separate counts).
func (s *server) limited(h handlerFunc, w http.ResponseWriter, r *http.Request, sub Subject) error {
	var release func()
	var err error
	switch {
	case expensiveRoutes[r.Pattern]:
		release, err = s.callers.acquire(callerKey(r, sub), s.limits.PerCaller,
			"expensive requests (listings, searches, downloads, provenance, verify)")
	case uploadRoutes[r.Pattern]:
		release, err = s.callers.acquire("upload "+callerKey(r, sub), s.limits.PerCallerUploads, "uploads")
	case r.Pattern == "GET /v1/catalogs/{name}/events":
		release, err = s.callers.acquire("events "+callerKey(r, sub), s.limits.PerCallerEvents, "open event streams")
	default:
		return h(w, r, sub)
	}
	if err != nil {
		return err
	}
	defer release()
	return h(w, r, sub)
}

// callerKey names whose slots a request takes: the user, or the remote IP when anonymous.
func callerKey(r *http.Request, sub Subject) string {
	if !sub.Anonymous && sub.User != "" {
		return "user:" + sub.Member + "/" + sub.User
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// callers counts the expensive requests in progress per caller.
type callers struct {
	mu      sync.Mutex
	running map[string]int // guarded by mu; callers with none are deleted
}

// acquire takes one of key's limit slots, or answers 429 when all are taken.
func (c *callers) acquire(key string, limit int, what string) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		c.running = map[string]int{}
	}
	if c.running[key] >= limit {
		return nil, &statusError{status: http.StatusTooManyRequests,
			err: errs.Errorf("api.limit", errs.Unavailable,
				"you already have %d %s in progress on this node, the limit per caller; wait for one to finish, then retry", limit, what),
			header: http.Header{"Retry-After": {"1"}}}
	}
	c.running[key]++
	var once sync.Once
	return func() { once.Do(func() { c.release(key) }) }, nil
}

func (c *callers) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running[key]--; c.running[key] <= 0 {
		delete(c.running, key)
	}
}
