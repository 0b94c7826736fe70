package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/prometheus/client_golang/prometheus"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestServer starts the API over a fresh fake backend.
func newTestServer(t *testing.T, opts Options) (*fakeBackend, *httptest.Server) {
	t.Helper()
	f := newFake()
	opts.Logger = quietLogger()
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	ts := httptest.NewServer(NewServer(f, opts))
	t.Cleanup(ts.Close)
	return f, ts
}

// serve runs one request through the handler in-process.
func serve(t *testing.T, h http.Handler, method, target string, body io.Reader, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	if eb.Error.Message == "" {
		t.Fatalf("error body %q has no message", body)
	}
	return eb.Error.Code
}

func TestErrorTable(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{errs.Errorf("x", errs.Invalid, "bad"), 400, "invalid"},
		{errs.Errorf("x", errs.Unauthenticated, "who"), 401, "unauthenticated"},
		{errs.Errorf("x", errs.Permission, "no"), 403, "permission_denied"},
		{errs.Errorf("x", errs.NotExist, "gone"), 404, "not_found"},
		{errs.Errorf("x", errs.Exist, "twice"), 409, "exists"},
		{errs.Errorf("x", errs.Conflict, "race"), 409, "conflict"},
		{errs.Errorf("x", errs.NoSpace, "full"), 507, "no_space"},
		{errs.Errorf("x", errs.Unavailable, "down"), 503, "unavailable"},
		{errs.Errorf("x", errs.NotLeader, "elsewhere"), 503, "not_leader"},
		{errs.Errorf("x", errs.Timeout, "slow"), 504, "timeout"},
		{errs.Errorf("x", errs.Corrupt, "bad hash"), 502, "corrupt"},
		{errs.Errorf("x", errs.Internal, "bug at /secret/path"), 500, "internal"},
		{errors.New("plain /secret/path"), 500, "internal"},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), 504, "timeout"},
		{fmt.Errorf("up: %w", &http.MaxBytesError{Limit: 10}), 413, "invalid"},
	}
	for _, c := range cases {
		f := newFake()
		f.fail["Status"] = c.err
		h := NewServer(f, Options{Logger: quietLogger(), Access: Access{Status: StatusOpen}}) // anonymous status reaches the backend
		w := serve(t, h, "GET", "/v1/status", nil, nil)
		if w.Code != c.status {
			t.Errorf("%v: status %d, want %d", c.err, w.Code, c.status)
		}
		if got := errorCode(t, w.Body.String()); got != c.code {
			t.Errorf("%v: code %q, want %q", c.err, got, c.code)
		}
		if strings.Contains(w.Body.String(), "/secret/path") {
			t.Errorf("%v: internal detail leaked: %s", c.err, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%v: Content-Type %q", c.err, ct)
		}
		// The client turns the answer back into the same kind.
		back := decodeError("op", &http.Response{StatusCode: w.Code, Body: io.NopCloser(w.Body), Request: &http.Request{}})
		if want := errs.KindFromString(c.code); errs.KindOf(back) != want {
			t.Errorf("%v: client decoded kind %v, want %v", c.err, errs.KindOf(back), want)
		}
	}
}

func TestKindOfStatusWithoutBody(t *testing.T) {
	for status, want := range map[int]errs.Kind{
		400: errs.Invalid, 401: errs.Unauthenticated, 403: errs.Permission, 404: errs.NotExist,
		409: errs.Conflict, 413: errs.Invalid, 502: errs.Corrupt, 503: errs.Unavailable,
		504: errs.Timeout, 507: errs.NoSpace, 500: errs.Internal, 599: errs.Unavailable, 418: errs.Invalid,
	} {
		if got := kindOfStatus(status); got != want {
			t.Errorf("kindOfStatus(%d) = %v, want %v", status, got, want)
		}
	}
}

// failingBody fails the test if anything reads it.
type failingBody struct{ t *testing.T }

func (b failingBody) Read([]byte) (int, error) {
	b.t.Error("request body read before authentication")
	return 0, io.ErrUnexpectedEOF
}

func TestNoBodyReadBeforeAuth(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	routes := []struct{ method, path string }{
		{"POST", "/v1/catalogs"},
		{"PATCH", "/v1/catalogs/open"},
		{"PUT", "/v1/catalogs/open/objects?name=a"},
		{"POST", "/v1/catalogs/open/objects?name=a"},
		{"POST", "/v1/users"},
		{"POST", "/v1/users/root/tokens"},
	}
	for _, rt := range routes {
		for _, auth := range []string{"Bearer wrong", "Basic dXNlcjpwdw==", "Bearer "} {
			w := serve(t, h, rt.method, rt.path, failingBody{t}, map[string]string{"Authorization": auth})
			if w.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with %q: status %d, want 401", rt.method, rt.path, auth, w.Code)
			}
			if errorCode(t, w.Body.String()) != "unauthenticated" || w.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: bad 401 answer %v %s", rt.method, rt.path, w.Header(), w.Body)
			}
		}
	}
}

func TestAnonymousIsRefusedWhereBackendSaysSo(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	w := serve(t, h, "POST", "/v1/catalogs", strings.NewReader(`{"name":"x","scope":"public"}`), nil)
	if w.Code != http.StatusForbidden {
		t.Fatalf("anonymous create: %d %s", w.Code, w.Body)
	}
}

func TestUnknownRouteAndMethodAreJSON(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v2/nothing", 404},
		{"DELETE", "/v1/catalogs", 405},
		{"PUT", "/v1/status", 405},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		errorCode(t, string(b))
		if c.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", c.method, c.path)
		}
	}
}

func TestJSONBodyLimitsAndStrictness(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger(), MaxJSON: 64})
	auth := map[string]string{"Authorization": "Bearer admin"}
	cases := []struct {
		body   string
		status int
	}{
		{`{"name":"a","scope":"public"}`, 201},
		{`{"name":"b","scope":"public","typo":1}`, 400},
		{`{"name":"c"} {"name":"d"}`, 400},
		{``, 400},
		{`{"name":"` + strings.Repeat("x", 100) + `"}`, 413},
		{`{"name":"a","scope":"public"}`, 409},
	}
	for _, c := range cases {
		w := serve(t, h, "POST", "/v1/catalogs", strings.NewReader(c.body), auth)
		if w.Code != c.status {
			t.Errorf("body %.30q: status %d, want %d (%s)", c.body, w.Code, c.status, w.Body)
		}
	}
	w := serve(t, h, "PATCH", "/v1/catalogs/open", strings.NewReader(`{}`), auth)
	if w.Code != 400 {
		t.Errorf("empty PATCH: %d", w.Code)
	}
}

func TestHealth(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	if w := serve(t, h, "GET", "/livez", nil, nil); w.Code != 200 {
		t.Fatalf("livez %d", w.Code)
	}
	if w := serve(t, h, "GET", "/readyz", nil, nil); w.Code != 200 {
		t.Fatalf("readyz %d", w.Code)
	}
	f.fail["Ready"] = errors.New("no leader known; waiting for a Raft election")
	w := serve(t, h, "GET", "/readyz", nil, nil)
	if w.Code != 503 || !strings.Contains(w.Body.String(), "no leader") {
		t.Fatalf("not ready: %d %s", w.Code, w.Body)
	}
	if w := serve(t, h, "GET", "/livez", nil, nil); w.Code != 200 {
		t.Fatalf("livez while not ready: %d", w.Code)
	}
}

func TestMetrics(t *testing.T) {
	f, ts := newTestServer(t, Options{})
	o := publish(t, f, "open", "a.bin", "hello")
	for _, p := range []string{"/v1/objects/" + o.PID, "/pid/" + o.PID, "/nothing"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		closeBody(resp)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		`meridian_http_requests_total{code="200",route="GET /v1/objects/{pid}"} 1`,
		`meridian_http_requests_total{code="404",route="unmatched"} 1`,
		`meridian_http_request_duration_seconds_bucket{code="200",route="GET /pid/{pid}"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, o.PID) {
		t.Error("a PID appears in a metric label")
	}
}

// publish adds an object to the fake directly.
func publish(t *testing.T, f *fakeBackend, catalog, name, content string, opts ...PutOption) *Object {
	t.Helper()
	req := PublishRequest{Catalog: catalog, Name: name, Type: "text/plain"}
	for _, o := range opts {
		o(&req)
	}
	o, err := f.Publish(context.Background(), Subject{Member: "aist", User: "root", Roles: []string{"publish"}}, req, strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestVerifyRoutes(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	o := publish(t, f, "open", "a", "b")
	for _, c := range []struct {
		method, query string
		status        int
		checked       bool
	}{
		{"GET", "", 200, false},
		{"POST", "?content=true", 200, true},
		{"GET", "?content=maybe", 400, false},
	} {
		w := serve(t, h, c.method, "/v1/objects/"+o.PID+"/verify"+c.query, nil, nil)
		if w.Code != c.status {
			t.Errorf("%s verify%s: %d", c.method, c.query, w.Code)
			continue
		}
		var v Verification
		if c.status == 200 && (json.Unmarshal(w.Body.Bytes(), &v) != nil || v.ContentChecked != c.checked || v.PID != o.PID) {
			t.Errorf("%s verify%s: %s", c.method, c.query, w.Body)
		}
	}
	if w := serve(t, h, "GET", "/v1/audit?limit=-1", nil, nil); w.Code != 400 {
		t.Errorf("negative limit: %d", w.Code)
	}
	if w := serve(t, h, "GET", "/v1/search?meta=novalue", nil, nil); w.Code != 400 {
		t.Errorf("bad meta filter: %d", w.Code)
	}
}
