package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newTestClient(t *testing.T, token string, endpoints ...string) *Client {
	t.Helper()
	c, err := NewClient(endpoints, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// onlyReader hides every method but Read (no Seeker, no WriterTo).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestClientRoundTrip(t *testing.T) {
	ctx := testCtx(t)
	f, ts := newTestServer(t, Options{})
	c := newTestClient(t, "admin", ts.URL)

	if _, err := c.CreateCatalog(ctx, Catalog{Name: "landsat", Scope: "federation"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCatalog(ctx, Catalog{Name: "landsat"}); !errs.Is(err, errs.Exist) {
		t.Fatalf("second create: %v", err)
	}
	scope := "public"
	cat, err := c.UpdateCatalog(ctx, "landsat", CatalogUpdate{Scope: &scope})
	if err != nil || cat.Scope != "public" {
		t.Fatalf("update: %v %+v", err, cat)
	}
	if cats, err := c.Catalogs(ctx); err != nil || len(cats) != 3 {
		t.Fatalf("catalogs: %v %v", err, cats)
	}
	if cat, err := c.Catalog(ctx, "landsat"); err != nil || cat.Owner != "aist" {
		t.Fatalf("catalog: %v %+v", err, cat)
	}

	data := bytes.Repeat([]byte("meridian "), 10000)
	var last [2]int64
	pc := c.WithProgress(func(done, total int64) { last = [2]int64{done, total} })
	o, err := pc.Put(ctx, "landsat", "b4.tif", onlyReader{bytes.NewReader(data)}, int64(len(data)),
		WithType("image/tiff"), WithMeta("datetime", "2026-01-01T00:00:00Z"), WithActivity(Activity{Name: "capture"}))
	if err != nil {
		t.Fatal(err)
	}
	if last != [2]int64{int64(len(data)), int64(len(data))} {
		t.Errorf("upload progress ended at %v", last)
	}
	rec := f.objects[o.PID].Record
	if rec.Type != "image/tiff" || rec.Meta["datetime"] != "2026-01-01T00:00:00Z" || rec.Activity.Name != "capture" || rec.Size != int64(len(data)) {
		t.Errorf("metadata lost on the way: %+v", rec)
	}
	o2, err := c.Put(ctx, "landsat", "b5.tif", onlyReader{strings.NewReader("chunked")}, -1, WithDerivedFrom("pid:"+o.PID))
	if err != nil || o2.Record.Size != 7 || o2.Record.DerivedFrom[0] != o.PID {
		t.Fatalf("chunked put: %v %+v", err, o2)
	}

	var buf bytes.Buffer
	last = [2]int64{}
	if n, err := pc.Get(ctx, "https://elsewhere.example/pid/"+o.PID, &buf); err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("get: %d %v", n, err)
	}
	if last != [2]int64{int64(len(data)), int64(len(data))} {
		t.Errorf("download progress ended at %v", last)
	}
	buf.Reset()
	if n, err := c.GetRange(ctx, o.PID, 9, 8, &buf); err != nil || n != 8 || buf.String() != "meridian" {
		t.Fatalf("range: %d %v %q", n, err, buf.String())
	}
	buf.Reset()
	if n, err := c.GetRange(ctx, o.PID, int64(len(data))-3, 100, &buf); err != nil || n != 3 || buf.String() != "an " {
		t.Fatalf("range past the end: %d %v %q", n, err, buf.String())
	}
	if _, err := c.GetRange(ctx, o.PID, int64(len(data)), 1, io.Discard); !errs.Is(err, errs.Invalid) {
		t.Fatalf("unsatisfiable range: %v", err)
	}

	if got, err := c.Object(ctx, "pid:"+o.PID); err != nil || got.PID != o.PID {
		t.Fatalf("object: %v", err)
	}
	if objs, err := c.Provenance(ctx, o2.PID, 5); err != nil || len(objs) != 2 {
		t.Fatalf("provenance: %v %d", err, len(objs))
	}
	if v, err := c.Verify(ctx, o.PID, true); err != nil || !v.ContentChecked {
		t.Fatalf("verify: %v %+v", err, v)
	}
	p, err := c.List(ctx, "landsat", "", 1)
	if err != nil || len(p.Objects) != 1 || p.Next == "" {
		t.Fatalf("list page 1: %v %+v", err, p)
	}
	if p, err = c.List(ctx, "landsat", p.Next, 1); err != nil || len(p.Objects) != 1 || p.Objects[0].PID != o2.PID {
		t.Fatalf("list page 2: %v %+v", err, p)
	}
	if p, err := c.Search(ctx, Query{Name: "b4", Meta: map[string]string{"datetime": "2026-01-01T00:00:00Z"}}); err != nil || len(p.Objects) != 1 {
		t.Fatalf("search: %v %+v", err, p)
	}

	nt, err := c.AddUser(ctx, User{ID: "alice", Member: "aist", Roles: []string{"read"}})
	if err != nil || nt.Secret == "" {
		t.Fatalf("add user: %v", err)
	}
	if nt, err = c.AddToken(ctx, "alice"); err != nil || nt.ID != "t2" {
		t.Fatalf("add token: %v %+v", err, nt)
	}
	if err := c.RevokeToken(ctx, "alice", "t1"); err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeToken(ctx, "alice", "t1"); !errs.Is(err, errs.NotExist) {
		t.Fatalf("second revoke: %v", err)
	}
	if us, err := c.Users(ctx); err != nil || len(us) != 2 {
		t.Fatalf("users: %v %v", err, us)
	}
	if ms, err := c.Members(ctx); err != nil || len(ms) != 2 {
		t.Fatalf("members: %v", err)
	}
	if ns, err := c.Nodes(ctx); err != nil || len(ns) != 1 {
		t.Fatalf("nodes: %v", err)
	}
	if st, err := c.Status(ctx); err != nil || st.Objects == nil || *st.Objects != 2 {
		t.Fatalf("status: %v %+v", err, st)
	}
	if a, err := c.Audit(ctx, 1, 2); err != nil || len(a.Entries) != 2 || a.Next != 3 {
		t.Fatalf("audit: %v %+v", err, a)
	}
	if err := c.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestClientErrorsKeepTheirKind(t *testing.T) {
	ctx := testCtx(t)
	_, ts := newTestServer(t, Options{})
	bad := newTestClient(t, "nope", ts.URL)
	if _, err := bad.Status(ctx); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("bad token: %v", err)
	}
	anon := newTestClient(t, "", ts.URL)
	if _, err := anon.Put(ctx, "open", "x", strings.NewReader("x"), 1); !errs.Is(err, errs.Permission) {
		t.Fatalf("anonymous put: %v", err)
	}
	if _, err := anon.Object(ctx, "bafyreib5nq2gpuzxt6r2z2xbnbmd4cfxmwl7gqv5mtymeicg2gxhb7vpam"); !errs.Is(err, errs.NotExist) {
		t.Fatalf("unknown pid: %v", err)
	}
	if _, err := anon.Object(ctx, "not a pid"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("bad pid: %v", err)
	}
	if _, err := NewClient(nil, ""); !errs.Is(err, errs.Invalid) {
		t.Fatalf("no endpoints: %v", err)
	}
	if _, err := NewClient([]string{"ftp://x"}, ""); !errs.Is(err, errs.Invalid) {
		t.Fatalf("ftp endpoint: %v", err)
	}
}

// deadEndpoint returns the address of a closed server: connections are refused.
func deadEndpoint(t *testing.T) string {
	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close()
	return ts.URL
}

// counted wraps a test server's handler to count requests.
func counted(t *testing.T, f *fakeBackend) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	h := NewServer(f, Options{Logger: quietLogger()})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func TestFailoverReads(t *testing.T) {
	ctx := testCtx(t)
	down := newFake()
	down.fail["Status"] = errs.Errorf("fake", errs.NotLeader, "no leader")
	ts503, n503 := counted(t, down)
	good, nGood := counted(t, newFake())
	c := newTestClient(t, "admin", deadEndpoint(t), ts503.URL, good.URL)
	if _, err := c.Status(ctx); err != nil {
		t.Fatalf("status with the first two endpoints down: %v", err)
	}
	if n503.Load() != 1 || nGood.Load() != 1 {
		t.Fatalf("attempts: 503 endpoint %d, good %d", n503.Load(), nGood.Load())
	}
	if _, err := c.Members(ctx); err != nil {
		t.Fatal(err)
	}
	if n503.Load() != 1 || nGood.Load() != 2 {
		t.Errorf("the client did not stick to the endpoint that answered: %d %d", n503.Load(), nGood.Load())
	}
	// Not "down": a 404 is an answer and is not retried elsewhere.
	c2 := newTestClient(t, "admin", good.URL, ts503.URL)
	if _, err := c2.Catalog(ctx, "missing"); !errs.Is(err, errs.NotExist) || n503.Load() != 1 {
		t.Errorf("404 was retried: %v, %d", err, n503.Load())
	}
	// All down: the error names the endpoints and keeps the kind of the node's answer, not of
	// the dead endpoint's refused connection.
	c3 := newTestClient(t, "admin", deadEndpoint(t), ts503.URL)
	_, err := c3.Status(ctx)
	if !errs.Is(err, errs.NotLeader) || !strings.Contains(err.Error(), ts503.URL) {
		t.Errorf("all down: %v", err)
	}
}

func TestFailoverUploadBeforeAnyByte(t *testing.T) {
	ctx := testCtx(t)
	refusing := newFake()
	refusing.publishFirst = errs.Errorf("fake", errs.Unavailable, "no placement possible")
	ts1, n1 := counted(t, refusing)
	f2 := newFake()
	ts2, _ := counted(t, f2)
	data := strings.Repeat("x", 1<<20)
	c := newTestClient(t, "admin", deadEndpoint(t), ts1.URL, ts2.URL)
	o, err := c.Put(ctx, "open", "big", onlyReader{strings.NewReader(data)}, int64(len(data)))
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if n1.Load() != 1 || f2.published != 1 || string(f2.content[o.PID]) != data {
		t.Fatalf("refusing endpoint tried %d times, second published %d", n1.Load(), f2.published)
	}
}

func TestNoFailoverAfterPartialUpload(t *testing.T) {
	ctx := testCtx(t)
	flaky := newFake()
	flaky.publishAfter = 1000
	ts1, _ := counted(t, flaky)
	f2 := newFake()
	ts2, n2 := counted(t, f2)
	data := strings.Repeat("y", 1<<20)
	c := newTestClient(t, "admin", ts1.URL, ts2.URL)
	_, err := c.Put(ctx, "open", "big", onlyReader{strings.NewReader(data)}, int64(len(data)))
	if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "not repeated") {
		t.Fatalf("partial upload: %v", err)
	}
	if n2.Load() != 0 || f2.published != 0 {
		t.Fatalf("partial upload was silently repeated on the second endpoint")
	}
	// Likewise a body-less POST that reached a node is not repeated.
	down := newFake()
	down.fail["Authenticate"] = errs.Errorf("fake", errs.Unavailable, "catalog not loaded")
	ts3, _ := counted(t, down)
	c = newTestClient(t, "admin", ts3.URL, ts2.URL)
	if _, err := c.AddToken(ctx, "root"); !errs.Is(err, errs.Unavailable) || n2.Load() != 0 {
		t.Fatalf("AddToken after a 503: %v, second endpoint hit %d times", err, n2.Load())
	}
	// ... but one that could not connect is.
	c = newTestClient(t, "admin", deadEndpoint(t), ts2.URL)
	if _, err := c.AddToken(ctx, "root"); err != nil || n2.Load() != 1 {
		t.Fatalf("AddToken after a refused connection: %v", err)
	}
}

func TestDownloadResumesOnNextEndpoint(t *testing.T) {
	ctx := testCtx(t)
	data := strings.Repeat("0123456789", 1000)
	f1, f2 := newFake(), newFake()
	o := publish(t, f1, "open", "d", data)
	publish(t, f2, "open", "d", data)
	f1.failAfter = 2500
	ts1, _ := counted(t, f1)
	ts2, n2 := counted(t, f2)
	c := newTestClient(t, "", ts1.URL, ts2.URL)
	var buf bytes.Buffer
	n, err := c.Get(ctx, o.PID, &buf)
	if err != nil || n != int64(len(data)) || buf.String() != data {
		t.Fatalf("resumed get: %d %v", n, err)
	}
	if n2.Load() != 1 {
		t.Fatalf("second endpoint used %d times", n2.Load())
	}
	// With a single endpoint the break is reported.
	c = newTestClient(t, "", ts1.URL)
	if _, err := c.Get(ctx, o.PID, io.Discard); err == nil {
		t.Fatal("broken download reported as complete")
	}
}

func TestDownloadDetectsCorruption(t *testing.T) {
	ctx := testCtx(t)
	f, ts := newTestServer(t, Options{})
	o := publish(t, f, "open", "d", "some content")
	f.corrupt = true
	c := newTestClient(t, "", ts.URL)
	if _, err := c.Get(ctx, o.PID, io.Discard); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("corrupt download: %v", err)
	}
	// A caller that checks the bytes itself skips the client's hash: the same bytes come
	// through, for it to judge.
	var buf bytes.Buffer
	if n, err := c.SkipDigest().Get(ctx, o.PID, &buf); err != nil || n != int64(len("some content")) || buf.String() == "some content" {
		t.Fatalf("SkipDigest: %d bytes %q, %v; want the corrupt bytes unchecked", n, buf.String(), err)
	}
}

func TestEvents(t *testing.T) {
	ctx := testCtx(t)
	f, ts := newTestServer(t, Options{})
	c := newTestClient(t, "reader", ts.URL)
	stop := errors.New("enough")
	var got []Object
	done := make(chan error, 1)
	go func() {
		done <- c.Events(ctx, "closed", func(o Object) error {
			got = append(got, o)
			if len(got) == 2 {
				return stop
			}
			return nil
		})
	}()
	select {
	case <-f.subscribed:
	case <-ctx.Done():
		t.Fatal("no subscription")
	}
	a := publish(t, f, "closed", "a", "1")
	b := publish(t, f, "closed", "b", "2")
	if err := <-done; !errors.Is(err, stop) {
		t.Fatalf("Events returned %v", err)
	}
	if len(got) != 2 || got[0].PID != a.PID || got[1].PID != b.PID {
		t.Fatalf("events %+v", got)
	}
	// Cancelling the context ends the stream without error.
	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- c.Events(cctx, "closed", func(Object) error { return nil }) }()
	<-f.subscribed
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("cancelled Events: %v", err)
	}
	anon := newTestClient(t, "", ts.URL)
	if err := anon.Events(ctx, "closed", func(Object) error { return nil }); !errs.Is(err, errs.NotExist) {
		t.Fatalf("anonymous subscription to a private catalog: %v, want not found as a node answers", err)
	}
}
