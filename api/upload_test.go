package api

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestUploadMetadata(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger(), MaxObjectSize: 100})
	parent := publish(t, f, "open", "p", "parent")
	auth := map[string]string{"Authorization": "Bearer admin", "Content-Type": "text/csv"}
	q := url.Values{"name": {"t.csv"}, "meta": {"bbox=1,2,3,4", "k=a=b"}, "derived_from": {"pid:" + parent.PID},
		"activity.name": {"join"}, "activity.param": {"on=id"}}
	w := serve(t, h, "PUT", "/v1/catalogs/open/objects?"+q.Encode(), strings.NewReader("a,b\n1,2\n"), auth)
	if w.Code != http.StatusCreated || !strings.HasPrefix(w.Header().Get("Location"), "/v1/objects/") {
		t.Fatalf("query upload: %d %s", w.Code, w.Body)
	}
	rec := f.objects[f.order[len(f.order)-1]].Record
	if rec.Name != "t.csv" || rec.Type != "text/csv" || rec.Meta["k"] != "a=b" || rec.Meta["bbox"] != "1,2,3,4" ||
		rec.DerivedFrom[0] != parent.PID || rec.Activity.Params["on"] != "id" || rec.Size != 8 {
		t.Fatalf("record %+v", rec)
	}
	meta, err := EncodeMetaHeader(PublishRequest{Name: "h.bin", Meta: map[string]string{"ключ": "значение\n"}})
	if err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{"Authorization": "Bearer admin", MetaHeader: meta}
	w = serve(t, h, "POST", "/v1/catalogs/open/objects", strings.NewReader("x"), hdr)
	rec = f.objects[f.order[len(f.order)-1]].Record
	if w.Code != http.StatusCreated || rec.Meta["ключ"] != "значение\n" || rec.Type != "" {
		t.Fatalf("header upload: %d %s %+v", w.Code, w.Body, rec)
	}

	bad := []struct {
		target string
		hdr    map[string]string
		status int
	}{
		{"/v1/catalogs/open/objects?name=x", map[string]string{MetaHeader: meta}, 400},
		{"/v1/catalogs/open/objects?nme=x", nil, 400},
		{"/v1/catalogs/open/objects?meta=novalue", nil, 400},
		{"/v1/catalogs/open/objects?meta=a=1&meta=a=2", nil, 400},
		{"/v1/catalogs/open/objects?derived_from=nope", nil, 400},
		{"/v1/catalogs/open/objects", map[string]string{MetaHeader: "!!"}, 400},
		{"/v1/catalogs/open/objects", map[string]string{MetaHeader: "e30"}, 201}, // {}
		{"/v1/catalogs/open/objects", map[string]string{MetaHeader: mustMeta(t, PublishRequest{Catalog: "other"})}, 400},
		{"/v1/catalogs/open/objects", map[string]string{"Content-Type": "bad type;"}, 400},
	}
	for _, c := range bad {
		hd := map[string]string{"Authorization": "Bearer admin"}
		for k, v := range c.hdr {
			hd[k] = v
		}
		if w := serve(t, h, "PUT", c.target, strings.NewReader("x"), hd); w.Code != c.status {
			t.Errorf("%s %v: %d, want %d (%s)", c.target, c.hdr, w.Code, c.status, w.Body)
		}
	}
}

func mustMeta(t *testing.T, r PublishRequest) string {
	s, err := EncodeMetaHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUploadSizeCap(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger(), MaxObjectSize: 100})
	auth := map[string]string{"Authorization": "Bearer admin"}
	// A declared length over the cap is refused without reading the body.
	r := newSizedRequest("PUT", "/v1/catalogs/open/objects?name=x", failingBody{t}, 101, auth)
	w := serveReq(h, r)
	if w.Code != http.StatusRequestEntityTooLarge || errorCode(t, w.Body.String()) != "invalid" {
		t.Fatalf("declared too big: %d %s", w.Code, w.Body)
	}
	// A chunked body is cut at the cap.
	r = newSizedRequest("PUT", "/v1/catalogs/open/objects?name=x", strings.NewReader(strings.Repeat("z", 101)), -1, auth)
	if w := serveReq(h, r); w.Code != http.StatusRequestEntityTooLarge || f.published != 0 {
		t.Fatalf("chunked too big: %d %s", w.Code, w.Body)
	}
	r = newSizedRequest("PUT", "/v1/catalogs/open/objects?name=x", strings.NewReader(strings.Repeat("z", 100)), -1, auth)
	if w := serveReq(h, r); w.Code != http.StatusCreated {
		t.Fatalf("chunked at the cap: %d %s", w.Code, w.Body)
	}
}

func TestEventStreamFormat(t *testing.T) {
	f, ts := newTestServer(t, Options{KeepAlive: 5 * time.Millisecond})
	req, _ := http.NewRequestWithContext(testCtx(t), "GET", ts.URL+"/v1/catalogs/open/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	<-f.subscribed
	o := publish(t, f, "open", "a", "1")
	br := bufio.NewReader(resp.Body)
	var sawKeepAlive, sawEvent bool
	for !(sawKeepAlive && sawEvent) {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		sawKeepAlive = sawKeepAlive || line == ": keep-alive\n"
		sawEvent = sawEvent || strings.HasPrefix(line, `data: {"pid":"`+o.PID)
	}
}

func TestSSEReader(t *testing.T) {
	in := ": comment\r\nid: 7\r\nevent: object\r\ndata: {\"a\":\r\ndata:1}\r\n\r\n" +
		"event: other\n\nevent: object\ndata: x\n\ndata: unterminated"
	r := newSSEReader(strings.NewReader(in))
	ev, err := r.next()
	if err != nil || ev.ID != "7" || ev.Event != "object" || ev.Data != "{\"a\":\n1}" {
		t.Fatalf("first event %+v %v", ev, err)
	}
	if ev, err = r.next(); err != nil || ev.Event != "object" || ev.Data != "x" {
		t.Fatalf("second event %+v %v", ev, err)
	}
	if _, err = r.next(); err != io.EOF {
		t.Fatalf("unterminated event: %v", err)
	}
	long := "data: " + strings.Repeat("x", maxSSELine+1) + "\n\n"
	if _, err := newSSEReader(strings.NewReader(long)).next(); err != errSSELine {
		t.Fatalf("long line: %v", err)
	}
}

// newSizedRequest builds a request with an explicit Content-Length (-1: chunked).
func newSizedRequest(method, target string, body io.Reader, size int64, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.ContentLength = size
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

func serveReq(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
