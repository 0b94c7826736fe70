package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// stuckBackend is a fake whose listings and searches wait like a node whose Raft cannot
// apply: until their context ends, or until release is closed.
type stuckBackend struct {
	*fakeBackend
	entered chan string   // receives the method name when a call starts waiting
	release chan struct{} // closed: waiting calls go on
}

func newStuck() *stuckBackend {
	return &stuckBackend{fakeBackend: newFake(), entered: make(chan string, 64), release: make(chan struct{})}
}

func (b *stuckBackend) wait(ctx context.Context, method string) error {
	b.entered <- method
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		// what consensus.LinearizableRead returns when its context ends
		return errs.E("consensus.readIndex", errs.Timeout, ctx.Err())
	}
}

func (b *stuckBackend) ListObjects(ctx context.Context, sub Subject, catalog, cursor string, limit int) (*ObjectPage, error) {
	if err := b.wait(ctx, "ListObjects"); err != nil {
		return nil, err
	}
	return b.fakeBackend.ListObjects(ctx, sub, catalog, cursor, limit)
}

func (b *stuckBackend) Search(ctx context.Context, sub Subject, q Query) (*ObjectPage, error) {
	if err := b.wait(ctx, "Search"); err != nil {
		return nil, err
	}
	return b.fakeBackend.Search(ctx, sub, q)
}

func getWith(t *testing.T, ctx context.Context, url, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestRequestDeadlineAnswers503 checks that a listing or search blocked on a read that cannot
// complete answers 503 unavailable with a reason once RequestTimeout passes, instead of
// hanging for as long as the client waits.
func TestRequestDeadlineAnswers503(t *testing.T) {
	b := newStuck()
	ts := httptest.NewServer(NewServer(b, Options{Logger: quietLogger(), Limits: Limits{RequestTimeout: 200 * time.Millisecond}}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, path := range []string{"/v1/catalogs/open/objects", "/v1/search?name=x"} {
		start := time.Now()
		resp, body := getWith(t, ctx, ts.URL+path, "")
		if ctx.Err() != nil {
			t.Fatalf("%s: no answer within 10 s", path)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || errorCode(t, body) != "unavailable" ||
			!strings.Contains(body, "could not answer within 200ms") || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if strings.Contains(body, "consensus.") {
			t.Fatalf("%s: the reason names an internal op: %s", path, body)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s answered after %s", path, d)
		}
	}
}

// TestPerCallerLimit checks that one caller's expensive requests beyond PerCaller answer 429
// with Retry-After and a JSON error, that other callers are not affected, and that slots come
// back when requests end.
func TestPerCallerLimit(t *testing.T) {
	b := newStuck()
	ts := httptest.NewServer(NewServer(b, Options{Logger: quietLogger(), Limits: Limits{PerCaller: 2}}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, _ := getWith(t, ctx, ts.URL+"/v1/catalogs/open/objects", "admin")
			done <- resp.StatusCode
		}()
	}
	for range 2 {
		select {
		case <-b.entered:
		case <-ctx.Done():
			t.Fatal("the first two listings never reached the backend")
		}
	}
	resp, body := getWith(t, ctx, ts.URL+"/v1/search?name=x", "admin")
	if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, body) != "unavailable" ||
		resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("third expensive request of the same user: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// a cheap route is not limited
	if resp, body := getWith(t, ctx, ts.URL+"/v1/catalogs", "admin"); resp.StatusCode != http.StatusOK {
		t.Fatalf("cheap route under the limit: %d %s", resp.StatusCode, body)
	}
	// another user has slots of its own (its request waits in the backend like the others)
	other := make(chan int, 1)
	go func() {
		resp, _ := getWith(t, ctx, ts.URL+"/v1/catalogs/open/objects", "reader")
		other <- resp.StatusCode
	}()
	select {
	case <-b.entered:
	case <-ctx.Done():
		t.Fatal("another user's listing was held back by the first user's limit")
	}
	close(b.release)
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("a limited-in listing answered %d", code)
		}
	}
	if code := <-other; code != http.StatusOK && code != http.StatusNotFound && code != http.StatusForbidden {
		t.Fatalf("other user's listing: %d", code)
	}
	// slots were given back
	if resp, body := getWith(t, ctx, ts.URL+"/v1/search?name=x", "admin"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the listings ended: %d %s", resp.StatusCode, body)
	}
}

// TestHeaderLimitIsJSON checks that a request whose headers pass Limits.MaxHeaderBytes (but
// not net/http's own limit) answers 431 with the JSON error, before any handler runs.
func TestHeaderLimitIsJSON(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	meta := map[string]string{}
	for i := range 40 {
		meta[fmt.Sprintf("k%d", i)] = strings.Repeat("v", 8000)
	}
	hdr, err := EncodeMetaHeader(PublishRequest{Name: "x", Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	body := &countingReader{r: strings.NewReader("x")}
	w := serve(t, h, "PUT", "/v1/catalogs/open/objects", body, map[string]string{"Authorization": "Bearer admin", MetaHeader: hdr})
	if w.Code != http.StatusRequestHeaderFieldsTooLarge || w.Header().Get("Content-Type") != "application/json" ||
		errorCode(t, w.Body.String()) != "invalid" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if body.n.Load() != 0 || f.published != 0 {
		t.Fatal("the body was read or published")
	}
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestUploadMetaLimitsBeforeBody checks that metadata over the publication limits, or with
// control or bidirectional characters, is refused before a byte of the body is read.
func TestUploadMetaLimitsBeforeBody(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	big := map[string]string{}
	for i := range 5 {
		big[fmt.Sprintf("k%d", i)] = strings.Repeat("v", 4000)
	}
	for name, req := range map[string]PublishRequest{
		"meta over 16 KiB": {Name: "x", Meta: big},
		"escape in meta":   {Name: "x", Meta: map[string]string{"k": "\x1b[2J"}},
		"bidi in name":     {Name: "report\u202efdp.exe"},
		"escape in name":   {Name: "a\x1bb"},
		"long value":       {Name: "x", Meta: map[string]string{"k": strings.Repeat("v", 5000)}},
		"bidi in activity": {Name: "x", Activity: &Activity{Name: "run", Software: "tool\u202ev1"}},
	} {
		hdr, err := EncodeMetaHeader(req)
		if err != nil {
			t.Fatal(err)
		}
		body := &countingReader{r: strings.NewReader("x")}
		w := serve(t, h, "PUT", "/v1/catalogs/open/objects", body, map[string]string{"Authorization": "Bearer admin", MetaHeader: hdr})
		if w.Code != http.StatusBadRequest || errorCode(t, w.Body.String()) != "invalid" {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
		if body.n.Load() != 0 {
			t.Errorf("%s: %d bytes of the body were read", name, body.n.Load())
		}
	}
	if f.published != 0 {
		t.Fatalf("%d published", f.published)
	}
}

// TestListingPageBytes checks that a listing whose objects would pass MaxPageBytes ends early
// with a cursor, and that paging on returns every object once.
func TestListingPageBytes(t *testing.T) {
	f := newFake()
	ts := httptest.NewServer(NewServer(f, Options{Logger: quietLogger(), Limits: Limits{MaxPageBytes: 20 << 10}}))
	defer ts.Close()
	want := map[string]bool{}
	for i := range 12 {
		o := publish(t, f, "open", fmt.Sprintf("o%d", i), "c", func(r *PublishRequest) {
			r.Meta = map[string]string{"pad": strings.Repeat("p", 4000)}
		})
		want[o.PID] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, base := range []string{"/v1/catalogs/open/objects?limit=1000", "/v1/search?catalog=open&limit=1000"} {
		seen := map[string]bool{}
		cursor, pages := "", 0
		for {
			resp, body := getWith(t, ctx, ts.URL+base+"&cursor="+cursor, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", base, resp.StatusCode, body)
			}
			if len(body) > 20<<10+200 {
				t.Fatalf("%s: page of %d bytes, over the 20 KiB limit", base, len(body))
			}
			var p ObjectPage
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			for _, o := range p.Objects {
				if seen[o.PID] {
					t.Fatalf("%s: %s listed twice", base, o.PID)
				}
				seen[o.PID] = true
			}
			pages++
			if p.Next == "" || pages > 20 {
				break
			}
			cursor = p.Next
		}
		if strings.HasPrefix(base, "/v1/search") {
			// the fake's search has no cursors: its first page must be cut, within the limit
			if len(seen) == 0 || len(seen) >= len(want) {
				t.Fatalf("%s: first page has %d of %d objects", base, len(seen), len(want))
			}
			continue
		}
		if pages < 3 || len(seen) != len(want) {
			t.Fatalf("%s: %d pages, %d of %d objects listed", base, pages, len(seen), len(want))
		}
	}
}

// slowUpload sends an upload's header with Content-Length 1 MiB over a raw connection, then
// the body through send, and returns the status line and body of the answer.
func slowUpload(t *testing.T, addr string, send func(w *bufio.Writer) error) (string, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	hdr, _ := EncodeMetaHeader(PublishRequest{Name: "slow.bin"})
	w := bufio.NewWriter(c)
	fmt.Fprintf(w, "PUT /v1/catalogs/open/objects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin\r\n%s: %s\r\nContent-Length: %d\r\n\r\n", MetaHeader, hdr, 1<<20)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = send(w) }() // ends when the connection closes (deferred above)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status, string(b)
}

// TestUploadBodyMinimumRate checks that an upload whose body stops, or trickles below the
// minimum rate, is cut with 408 and the JSON error, and that nothing is published.
func TestUploadBodyMinimumRate(t *testing.T) {
	f := newFake()
	ts := httptest.NewServer(NewServer(f, Options{Logger: quietLogger(),
		Limits: Limits{BodyWindow: 300 * time.Millisecond, BodyMinRate: 10 << 10}}))
	defer ts.Close()
	addr := ts.Listener.Addr().String()
	cases := map[string]func(w *bufio.Writer) error{
		"silent": func(w *bufio.Writer) error {
			_, _ = w.WriteString("x")
			return w.Flush()
		},
		"trickle": func(w *bufio.Writer) error {
			for { // 100 bytes every 20 ms: 5 KB/s, half the minimum rate
				if _, err := w.WriteString(strings.Repeat("t", 100)); err != nil {
					return err
				}
				if err := w.Flush(); err != nil {
					return err
				}
				time.Sleep(20 * time.Millisecond)
			}
		},
	}
	for name, send := range cases {
		status, body := slowUpload(t, addr, send)
		if !strings.HasPrefix(status, "408") || errorCode(t, body) != "invalid" || !strings.Contains(body, "bytes/s") {
			t.Errorf("%s: %s %s", name, status, body)
		}
	}
	if f.published != 0 {
		t.Fatalf("%d published", f.published)
	}
	// a body at a fair pace is taken
	status, body := slowUpload(t, addr, func(w *bufio.Writer) error {
		for range 16 {
			if _, err := w.Write(make([]byte, 64<<10)); err != nil {
				return err
			}
		}
		return w.Flush()
	})
	if !strings.HasPrefix(status, "201") {
		t.Fatalf("fair upload: %s %s", status, body)
	}
}

// TestPerCallerUploads: a caller's uploads beyond PerCallerUploads answer 429 before their
// body is read; the first one, in progress, completes.
func TestPerCallerUploads(t *testing.T) {
	f, ts := newTestServer(t, Options{Limits: Limits{PerCallerUploads: 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	// The first upload asks for 100 Continue and its transport waits for it as long as the
	// test may run, so the transport takes "part" from the pipe only after the handler (which
	// holds the caller's slot) started to read. Without Expect the transport took it as soon
	// as the connection was up, the handler might not have run yet, and the second upload could
	// get the slot first (201 instead of 429, a few runs in 100 under load).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ExpectContinueTimeout = time.Minute
	t.Cleanup(tr.CloseIdleConnections)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "PUT", ts.URL+"/v1/catalogs/open/objects?name=a", pr)
		req.Header.Set("Authorization", "Bearer admin")
		req.Header.Set("Expect", "100-continue")
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	if _, err := pw.Write([]byte("part")); err != nil { // returns once the handler has read it
		t.Fatal(err)
	}
	body := &countingReader{r: strings.NewReader("second")}
	req, _ := http.NewRequestWithContext(ctx, "PUT", ts.URL+"/v1/catalogs/open/objects?name=b", body)
	req.Header.Set("Authorization", "Bearer admin")
	req.Header.Set("Expect", "100-continue")
	req.ContentLength = 6
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || errorCode(t, string(b)) != "unavailable" || !strings.Contains(string(b), "uploads") {
		t.Fatalf("second upload: %d %s", resp.StatusCode, b)
	}
	if body.n.Load() != 0 {
		t.Fatalf("the refused upload's body was read (%d bytes)", body.n.Load())
	}
	pw.Close()
	if code := <-first; code != http.StatusCreated {
		t.Fatalf("first upload: %d", code)
	}
	if f.published != 1 {
		t.Fatalf("%d published", f.published)
	}
}

// TestPerCallerEvents: a caller's event streams beyond PerCallerEvents answer 429; closing one
// frees its slot.
func TestPerCallerEvents(t *testing.T) {
	f, ts := newTestServer(t, Options{Limits: Limits{PerCallerEvents: 2}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open := func() (*http.Response, context.CancelFunc) {
		sctx, scancel := context.WithCancel(ctx)
		req, _ := http.NewRequestWithContext(sctx, "GET", ts.URL+"/v1/catalogs/open/events", nil)
		req.Header.Set("Authorization", "Bearer admin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			scancel()
			t.Fatal(err)
		}
		return resp, func() { scancel(); resp.Body.Close() }
	}
	var closers []context.CancelFunc
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for range 2 {
		resp, stop := open()
		closers = append(closers, stop)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream: %d", resp.StatusCode)
		}
		<-f.subscribed
	}
	resp, stop := open()
	b, _ := io.ReadAll(resp.Body)
	stop()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "event streams") {
		t.Fatalf("third stream: %d %s", resp.StatusCode, b)
	}
	closers[0]()
	err := waitUntil(ctx, func() bool {
		resp, stop := open()
		defer stop()
		return resp.StatusCode == http.StatusOK
	})
	if err != nil {
		t.Fatal("the slot of a closed stream never came back")
	}
}

// waitUntil polls cond until it holds or ctx ends.
func waitUntil(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
