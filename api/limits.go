package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meridian-fed/meridian/catalog"
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

// streams are the routes governed by the body rate or by the client's own pace instead of
// RequestTimeout: they may rightly run for hours. An admin's scrub re-hashes the whole store.
var streams = map[string]bool{
	"POST /v1/scrub":                   true,
	"PUT /v1/catalogs/{name}/objects":  true,
	"POST /v1/catalogs/{name}/objects": true,
	"GET /v1/catalogs/{name}/events":   true,
	"GET /v1/objects/{pid}/content":    true,
	"GET /pid/{pid}/content":           true,
}

// isStream tells whether r runs without RequestTimeout: a stream, or a verify that re-reads
// the whole content.
func isStream(r *http.Request) bool {
	if streams[r.Pattern] {
		return true
	}
	if r.Pattern == "GET /v1/objects/{pid}/verify" || r.Pattern == "POST /v1/objects/{pid}/verify" {
		ok, _ := strconv.ParseBool(r.URL.Query().Get("content"))
		return ok
	}
	return false
}

// errDeadline is the cause of a request's context ending at RequestTimeout.
var errDeadline = errors.New("request deadline")

// withDeadline gives r the RequestTimeout deadline unless it is a stream.
func (s *server) withDeadline(r *http.Request) (*http.Request, context.CancelFunc) {
	if isStream(r) {
		return r, func() {}
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), s.limits.RequestTimeout, errDeadline)
	return r.WithContext(ctx), cancel
}

// deadlineError turns the failure of a request whose RequestTimeout passed into 503
// unavailable with the reason; other errors are returned as they are.
func (s *server) deadlineError(r *http.Request, err error) error {
	if context.Cause(r.Context()) != errDeadline {
		return err
	}
	// the backend's own reason, unless it only says that the deadline passed
	why := publicMessage(err)
	if strings.HasSuffix(why, context.DeadlineExceeded.Error()) {
		why = "its catalog replica could not confirm it is up to date; it may be cut off from the Raft leader"
	}
	return errs.Errorf("api.deadline", errs.Unavailable,
		"the node could not answer within %s (%s): retry later or ask another node", s.limits.RequestTimeout, why)
}

// uploadRoutes each hold one of the caller's PerCallerUploads slots while they run.
var uploadRoutes = map[string]bool{
	"PUT /v1/catalogs/{name}/objects":  true,
	"POST /v1/catalogs/{name}/objects": true,
}

// limited runs h holding one of the caller's slots when the route is expensive or an upload.
func (s *server) limited(h handlerFunc, w http.ResponseWriter, r *http.Request, sub Subject) error {
	var release func()
	var err error
	switch {
	case expensiveRoutes[r.Pattern]:
		release, err = s.callers.acquire(callerKey(r, sub), s.limits.PerCaller,
			"expensive requests (listings, searches, downloads, provenance, verify)")
	case uploadRoutes[r.Pattern]:
		release, err = s.callers.acquire("upload "+callerKey(r, sub), s.limits.PerCallerUploads, "uploads")
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

// headerBytes is the size of r's request line and header fields as they were sent (about).
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + 12
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// refuseHeaders answers 431 as JSON when r's header is over MaxHeaderBytes, and reports it.
func (s *server) refuseHeaders(w http.ResponseWriter, r *http.Request) bool {
	n := headerBytes(r)
	if n <= s.limits.MaxHeaderBytes {
		return false
	}
	s.writeError(w, r, &statusError{status: http.StatusRequestHeaderFieldsTooLarge,
		err: errs.Errorf("api.header", errs.Invalid,
			"the request's URL and headers take %d bytes, more than the limit of %d; send less metadata (see docs/api.md, Limits per caller)", n, s.limits.MaxHeaderBytes)})
	return true
}

// errTooSlow marks an upload body cut by slowBody.
var errTooSlow = errors.New("upload body too slow")

// slowBody cuts an upload body that brings less than min bytes in a window of time spent
// waiting for it (a silent or trickling client holding a connection and a publish pipeline).
// Only time inside Read counts, so a publish pipeline that is slow to consume is not blamed on
// the client. The deadline is set on the connection (http.ResponseController), so a Read that
// waits is interrupted; where that is not supported, the check runs between reads.
type slowBody struct {
	r      io.ReadCloser
	rc     *http.ResponseController
	window time.Duration
	min    int64
	now    func() time.Time

	waited time.Duration // time inside Read in this window
	got    int64         // bytes in this window
	cut    bool          // the body was cut
}

// slowBody wraps r's body with the limits' window and minimum.
func (s *server) slowBody(w http.ResponseWriter, r *http.Request) *slowBody {
	win := s.limits.BodyWindow
	return &slowBody{r: r.Body, rc: http.NewResponseController(w), window: win,
		min: max(1, int64(float64(s.limits.BodyMinRate)*win.Seconds())), now: time.Now}
}

func (b *slowBody) Close() error { return b.r.Close() }

func (b *slowBody) Read(p []byte) (int, error) {
	if b.cut {
		return 0, errTooSlow
	}
	left := b.window - b.waited
	deadlineSet := b.rc.SetReadDeadline(b.now().Add(left)) == nil
	start := b.now()
	n, err := b.r.Read(p)
	b.waited += b.now().Sub(start)
	b.got += int64(n)
	if b.got >= b.min {
		b.waited, b.got = 0, 0
	}
	if deadlineSet {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	var ne net.Error
	if (err != nil && errors.As(err, &ne) && ne.Timeout()) || b.waited >= b.window {
		b.cut = true
		return n, errTooSlow
	}
	return n, err
}

// slowError is the answer to an upload cut by slowBody.
func (s *server) slowError() error {
	return &statusError{status: http.StatusRequestTimeout,
		err: errs.Errorf("api.upload", errs.Invalid,
			"the upload body brought fewer than %d bytes in %s; nothing was published. Send the body at least %d bytes/s, without pauses of %s",
			max(1, int64(float64(s.limits.BodyMinRate)*s.limits.BodyWindow.Seconds())), s.limits.BodyWindow, s.limits.BodyMinRate, s.limits.BodyWindow)}
}

// fitPage keeps a listing or search page within MaxPageBytes: when p's objects would take
// more, it asks the backend again (again) for only as many as fit, at least one, so the
// backend still makes the next cursor. Objects are immutable and listed in a stable order, so
// the shorter page holds the same first objects.
func (s *server) fitPage(p *ObjectPage, again func(limit int) (*ObjectPage, error)) (*ObjectPage, error) {
	if p == nil {
		return p, nil
	}
	total := 0
	for i := range p.Objects {
		total += jsonLen(&p.Objects[i]) + 1
		if total > s.limits.MaxPageBytes && i > 0 {
			return again(i)
		}
	}
	return p, nil
}

// jsonLen is the length of v's JSON encoding (0 if it has none).
func jsonLen(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

// checkLimits applies the catalog's publication limits (metadata size, no control or
// bidirectional characters) to an upload's metadata before its body is read; the state
// machine applies them again to the record.
func checkLimits(req PublishRequest) error {
	var meta map[string]any
	if len(req.Meta) > 0 {
		meta = make(map[string]any, len(req.Meta))
		for k, v := range req.Meta {
			meta[k] = v
		}
	}
	var params map[string]string
	if req.Activity != nil {
		params = req.Activity.Params
	}
	return catalog.CheckPublishText(req.Name, meta, params)
}
