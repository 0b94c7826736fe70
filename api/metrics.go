package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/meridian-fed/meridian/errs"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are labelled by route pattern ("GET /v1/objects/{pid}"), never by PID, CID or peer,
// so their cardinality is bounded by the route table.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meridian", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "meridian", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer HTTP requests (whole body included), by route pattern and status code.",
			Buckets: []float64{.001, .005, .02, .1, .5, 2, 10, 60, 300},
		}, []string{"route", "code"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *metrics) observe(r *http.Request, status int, d time.Duration) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, code).Inc()
	m.duration.WithLabelValues(route, code).Observe(d.Seconds())
}

// statusWriter remembers the status code and rewrites the mux's own 404/405 answers (which
// have no route pattern) as JSON errors.
type statusWriter struct {
	http.ResponseWriter
	r       *http.Request
	s       *server
	code    int
	swallow bool // the mux's plain-text body is being replaced
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code != 0 {
		w.ResponseWriter.WriteHeader(code) // let net/http report the superfluous call
		return
	}
	w.code = code
	if w.r.Pattern == "" && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		w.swallow = true
		kind, msg := errs.NotExist, "no such route; the API is described in docs/api.md"
		if code == http.StatusMethodNotAllowed {
			kind, msg = errs.Invalid, "method not allowed on this route; see the Allow header"
		}
		h := w.Header()
		h.Del("X-Content-Type-Options")
		h.Set("Content-Type", "application/json")
		w.ResponseWriter.WriteHeader(code)
		_ = json.NewEncoder(w.ResponseWriter).Encode(errorBody{errorDetail{Code: kind.String(), Message: msg}})
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Flush lets event streams flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (write deadlines for SSE).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// unwrap returns the server's own ResponseWriter under a statusWriter, so that
// http.MaxBytesReader can tell the server to close a connection whose body was too large.
func unwrap(w http.ResponseWriter) http.ResponseWriter {
	if sw, ok := w.(*statusWriter); ok {
		return sw.ResponseWriter
	}
	return w
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
