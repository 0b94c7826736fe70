package api

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestParseRange(t *testing.T) {
	const size = 100
	cases := []struct {
		h             string
		start, length int64
		ok            bool
		unsat         bool
	}{
		{h: "", ok: false},
		{h: "bytes=0-0", start: 0, length: 1, ok: true},
		{h: "bytes=0-", start: 0, length: 100, ok: true},
		{h: "bytes=10-19", start: 10, length: 10, ok: true},
		{h: "bytes=90-200", start: 90, length: 10, ok: true},
		{h: "bytes=99-99", start: 99, length: 1, ok: true},
		{h: "bytes=-1", start: 99, length: 1, ok: true},
		{h: "bytes=-100", start: 0, length: 100, ok: true},
		{h: "bytes=-1000", start: 0, length: 100, ok: true},
		{h: "BYTES = 5-6", start: 5, length: 2, ok: true},
		{h: "bytes=0-9, 20-29", start: 0, length: 30, ok: true},
		{h: "bytes=50-59,0-0,", start: 0, length: 60, ok: true},
		{h: "bytes=100-, 5-5", start: 5, length: 1, ok: true},
		{h: "bytes=99999999999999999999999-", unsat: true},
		{h: "bytes=0-99999999999999999999999", start: 0, length: 100, ok: true},
		{h: "bytes=100-", unsat: true},
		{h: "bytes=100-200", unsat: true},
		{h: "bytes=-0", unsat: true},
		{h: "bytes=5-2"},
		{h: "bytes=a-b"},
		{h: "bytes=1-2-3"},
		{h: "bytes=+1-2"},
		{h: "bytes=-"},
		{h: "bytes="},
		{h: "bytes=,"},
		{h: "items=0-1"},
		{h: "bytes 0-1"},
		{h: "bytes=" + strings.Repeat("0-0,", maxRangeSpecs+1)},
	}
	for _, c := range cases {
		r, ok, err := parseRange(c.h, size)
		if c.unsat {
			if err != errUnsatisfiable {
				t.Errorf("%q: got %v %v %v, want unsatisfiable", c.h, r, ok, err)
			}
			continue
		}
		if err != nil || ok != c.ok || (ok && (r.start != c.start || r.length != c.length)) {
			t.Errorf("%q: got %+v ok=%v err=%v, want start %d length %d ok=%v", c.h, r, ok, err, c.start, c.length, c.ok)
		}
	}
	if _, ok, err := parseRange("bytes=0-0", 0); ok || err != nil {
		t.Error("ranges of empty content must be ignored")
	}
}

func TestContentRanges(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	body := "0123456789abcdefghij" // 20 bytes
	o := publish(t, f, "open", "dir/file name é.txt", body)
	etag := `"` + o.Record.Content + `"`
	cases := []struct {
		hdr    map[string]string
		status int
		body   string
		crange string
	}{
		{nil, 200, body, ""},
		{map[string]string{"Range": "bytes=0-0"}, 206, "0", "bytes 0-0/20"},
		{map[string]string{"Range": "bytes=5-"}, 206, body[5:], "bytes 5-19/20"},
		{map[string]string{"Range": "bytes=-3"}, 206, "hij", "bytes 17-19/20"},
		{map[string]string{"Range": "bytes=18-100"}, 206, "ij", "bytes 18-19/20"},
		{map[string]string{"Range": "bytes=0-1,4-5"}, 206, "012345", "bytes 0-5/20"},
		{map[string]string{"Range": "bytes=20-"}, 416, "", "bytes */20"},
		{map[string]string{"Range": "bytes=-0"}, 416, "", "bytes */20"},
		{map[string]string{"Range": "bytes=9-3"}, 200, body, ""},
		{map[string]string{"Range": "bytes=2-3", "If-Range": etag}, 206, "23", "bytes 2-3/20"},
		{map[string]string{"Range": "bytes=2-3", "If-Range": `"stale"`}, 200, body, ""},
		{map[string]string{"Range": "bytes=99-", "If-Range": `"stale"`}, 200, body, ""},
		{map[string]string{"If-None-Match": etag}, 304, "", ""},
		{map[string]string{"If-None-Match": `"x", W/` + etag}, 304, "", ""},
		{map[string]string{"If-None-Match": `*`}, 304, "", ""},
		{map[string]string{"If-None-Match": `"other"`}, 200, body, ""},
	}
	for _, path := range []string{"/pid/", "/v1/objects/"} {
		for _, c := range cases {
			w := serve(t, h, "GET", path+o.PID+"/content", nil, c.hdr)
			if w.Code != c.status {
				t.Errorf("%s %v: status %d, want %d (%s)", path, c.hdr, w.Code, c.status, w.Body)
				continue
			}
			if c.status != 416 && w.Body.String() != c.body {
				t.Errorf("%s %v: body %q, want %q", path, c.hdr, w.Body, c.body)
			}
			if got := w.Header().Get("Content-Range"); got != c.crange {
				t.Errorf("%s %v: Content-Range %q, want %q", path, c.hdr, got, c.crange)
			}
			if c.status == 200 || c.status == 206 {
				if got := w.Header().Get("Content-Length"); got != fmt.Sprint(len(c.body)) {
					t.Errorf("%v: Content-Length %q", c.hdr, got)
				}
			}
			if c.status != 416 && w.Header().Get("ETag") != etag {
				t.Errorf("%v: ETag %q, want %q", c.hdr, w.Header().Get("ETag"), etag)
			}
		}
	}
	w := serve(t, h, "GET", "/pid/"+o.PID+"/content", nil, nil)
	sum := sha256.Sum256([]byte(body))
	want := map[string]string{
		"Content-Type":           "text/plain",
		"Cache-Control":          "public, max-age=31536000, immutable",
		"Accept-Ranges":          "bytes",
		"Content-Disposition":    `attachment; filename*=utf-8''file%20name%20%C3%A9.txt`,
		"Repr-Digest":            "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
		"X-Content-Type-Options": "nosniff",
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

func TestContentHeadAndPrivateCaching(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	o := publish(t, f, "closed", "secret.bin", "private bytes")
	w := serve(t, h, "GET", "/pid/"+o.PID+"/content", nil, nil)
	if w.Code != http.StatusNotFound { // a node answers a refused read as a miss (node/conceal.go)
		t.Fatalf("anonymous read of a private object: %d", w.Code)
	}
	if w.Header().Get("ETag") != "" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("error answer keeps content headers: %v", w.Header())
	}
	auth := map[string]string{"Authorization": "Bearer reader"}
	w = serve(t, h, "HEAD", "/v1/objects/"+o.PID+"/content", nil, auth)
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "13" {
		t.Fatalf("HEAD: %d %q %v", w.Code, w.Body, w.Header())
	}
	if cc := w.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
		t.Errorf("private object Cache-Control %q", cc)
	}
	w = serve(t, h, "HEAD", "/v1/objects/"+o.PID, nil, auth)
	if w.Code != 200 {
		t.Fatalf("HEAD object: %d", w.Code)
	}
}

func TestContentBackendErrors(t *testing.T) {
	f := newFake()
	h := NewServer(f, Options{Logger: quietLogger()})
	o := publish(t, f, "open", "a", strings.Repeat("x", 1000))
	// An error before the first byte is an ordinary JSON error.
	f.fail["ReadContent"] = errs.Errorf("fake", errs.Unavailable, "holders down")
	w := serve(t, h, "GET", "/pid/"+o.PID+"/content", nil, nil)
	if w.Code != 503 || errorCode(t, w.Body.String()) != "unavailable" || w.Header().Get("Content-Disposition") != "" {
		t.Fatalf("early failure: %d %v %s", w.Code, w.Header(), w.Body)
	}
	delete(f.fail, "ReadContent")
	// After the first byte the handler aborts the connection.
	f.failAfter = 10
	func() {
		defer func() {
			if r := recover(); r != http.ErrAbortHandler {
				t.Fatalf("mid-stream failure: recovered %v, want http.ErrAbortHandler", r)
			}
		}()
		serve(t, h, "GET", "/pid/"+o.PID+"/content", nil, nil)
	}()
	// Bad PIDs are refused before the backend sees them.
	w = serve(t, h, "GET", "/pid/not-a-cid/content", nil, nil)
	if w.Code != 400 {
		t.Fatalf("bad pid: %d", w.Code)
	}
}
