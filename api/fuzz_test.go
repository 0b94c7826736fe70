package api

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=-5", "bytes=5-", "bytes=1-2,4-5", "bytes=9-3", "bytes=99999999999999999999-",
		"BYTES = 1-1", "bytes=,,", "bytes=-0", "bytes=0-" + strings.Repeat("9", 30)} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		r, ok, err := parseRange(h, size)
		if err != nil && (err != errUnsatisfiable || ok) {
			t.Fatalf("%q/%d: ok=%v err=%v", h, size, ok, err)
		}
		if ok && (r.start < 0 || r.length <= 0 || r.start+r.length > size || r.start+r.length < r.start) {
			t.Fatalf("%q/%d: range %+v outside the content", h, size, r)
		}
	})
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"text/html", "*/*;q=0.8", `application/ld+json;profile="a,b"`, "a/b;q=0.5, */*;q=0", `"`, ";;,,q=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got, ok := negotiate(h, pidOffers)
		if !ok {
			if got != "" {
				t.Fatalf("%q: not acceptable but chose %q", h, got)
			}
			return
		}
		for _, o := range pidOffers {
			if o == got {
				return
			}
		}
		t.Fatalf("%q: chose %q, not an offer", h, got)
	})
}

func FuzzDecodeMetaHeader(f *testing.F) {
	for _, r := range []PublishRequest{{Name: "a"}, {Meta: map[string]string{"k": "v"}, DerivedFrom: []string{"x"}}} {
		s, _ := EncodeMetaHeader(r)
		f.Add(s)
	}
	f.Add("!!")
	f.Fuzz(func(t *testing.T, v string) {
		req, err := DecodeMetaHeader(v)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("%q: error of kind %v: %v", v, errs.KindOf(err), err)
			}
			return
		}
		s, err := EncodeMetaHeader(req)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := DecodeMetaHeader(s)
		if err != nil {
			t.Fatalf("round trip of %q: %v", v, err)
		}
		// The request the server acts on must survive a client's re-encoding unchanged.
		if s2, err := EncodeMetaHeader(again); err != nil || s2 != s {
			t.Fatalf("round trip of %q changed the request: %+v -> %+v", v, req, again)
		}
	})
}

func FuzzSSEReader(f *testing.F) {
	f.Add("id: 1\nevent: object\ndata: {}\n\n")
	f.Add(": c\r\ndata: a\r\ndata: b\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := newSSEReader(strings.NewReader(in))
		for i := 0; i <= len(in); i++ {
			ev, err := r.next()
			if err != nil {
				return
			}
			if len(ev.Data) > len(in) {
				t.Fatalf("event data longer than the input")
			}
		}
		t.Fatalf("more events than input bytes")
	})
}

// FuzzSSERoundTrip writes an event the way a server may (id, event, one data line per line
// of data, LF line ends) between comments and blank lines, and checks that the reader gives
// back exactly that event, then io.EOF.
func FuzzSSERoundTrip(f *testing.F) {
	f.Add("7", "object", `{"pid":"x"}`)
	f.Add("", " lead", "a\n\nb:c")
	f.Fuzz(func(t *testing.T, id, event, data string) {
		if strings.ContainsAny(id+event+data, "\r") || strings.ContainsAny(id+event, "\n") {
			return // a value cannot hold a line end
		}
		var w strings.Builder
		w.WriteString(": hello\n\nid: " + id + "\nevent: " + event + "\n")
		for _, line := range strings.Split(data, "\n") {
			w.WriteString("data: " + line + "\n")
		}
		w.WriteString("\n: bye\n")
		r := newSSEReader(strings.NewReader(w.String()))
		ev, err := r.next()
		if err != nil || ev != (sseEvent{ID: id, Event: event, Data: data}) {
			t.Fatalf("%q: got %+v, %v", w.String(), ev, err)
		}
		if _, err := r.next(); err != io.EOF {
			t.Fatalf("%q: after the event: %v, want EOF", w.String(), err)
		}
	})
}

func FuzzClientHeaders(f *testing.F) {
	f.Add("bytes 0-9/10", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
	f.Fuzz(func(t *testing.T, cr, digest string) {
		if a, b, size, ok := parseContentRange(cr); ok && (a < 0 || b < a || b >= size) {
			t.Fatalf("%q: %d-%d/%d", cr, a, b, size)
		}
		if sum, ok := parseReprDigest(digest); ok && len(sum) != 32 {
			t.Fatalf("%q: digest of %d bytes", digest, len(sum))
		}
		// Server-side request header parsers must not panic either.
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", cr)
		_, _ = bearer(r)
		_ = etagMatches(digest, `"x"`)
	})
}

// FuzzParsePin: pins come from config files and flags. ParsePin never panics, and what it
// accepts is canonical: parsing it again gives it back.
func FuzzParsePin(f *testing.F) {
	f.Add("sha256:" + strings.Repeat("ab", 32))
	f.Add("SHA256:" + strings.Repeat("AB", 32))
	f.Add("sha256:")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePin(s)
		if err != nil {
			return
		}
		if q, err := ParsePin(p); err != nil || q != p || len(p) != len(PinPrefix)+64 {
			t.Fatalf("ParsePin(%q) = %q, not canonical", s, p)
		}
	})
}
