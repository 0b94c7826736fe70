package api

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// content answers GET/HEAD /pid/{pid}/content and /v1/objects/{pid}/content: the bytes, with
// Range, If-None-Match and If-Range, the content CID as strong ETag and the whole-content
// sha256 as Repr-Digest (RFC 9530), so clients can check what they received.
func (s *server) content(w http.ResponseWriter, r *http.Request, sub Subject) error {
	p, err := pathPID(r)
	if err != nil {
		return err
	}
	o, err := s.b.Object(r.Context(), sub, p)
	if err != nil {
		return err
	}
	etag := `"` + o.Record.Content + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Accept-Ranges", "bytes")
	setObjectCache(w, sub)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	setContentHeaders(h, o)
	size := o.Record.Size
	rng, ranged, err := parseRange(r.Header.Get("Range"), size)
	if ir := r.Header.Get("If-Range"); ir != "" && strings.TrimSpace(ir) != etag {
		ranged, err = false, nil // the client's copy is stale: send it all
	}
	if err != nil {
		return &statusError{status: http.StatusRequestedRangeNotSatisfiable,
			err: errs.Errorf("api.content", errs.Invalid, "range %q is outside the %d bytes of the object",
				r.Header.Get("Range"), size),
			header: http.Header{"Content-Range": {fmt.Sprintf("bytes */%d", size)}}}
	}
	status, off, n := http.StatusOK, int64(0), size
	if ranged {
		status, off, n = http.StatusPartialContent, rng.start, rng.length
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, size))
	}
	h.Set("Content-Length", itoa(n))
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	return s.sendContent(w, r, sub, p, off, n, status)
}

// sendContent streams [off, off+n) from the backend. An error before the first byte is
// answered as JSON; after it, the connection is aborted so the client sees a truncated body
// and never mistakes a short answer for a complete one.
func (s *server) sendContent(w http.ResponseWriter, r *http.Request, sub Subject, p string, off, n int64, status int) error {
	lw := &lazyWriter{w: w, status: status}
	err := s.b.ReadContent(r.Context(), sub, p, off, n, lw)
	if err == nil && lw.n != n {
		err = errs.Errorf("api.content", errs.Internal, "backend wrote %d of %d bytes", lw.n, n)
	}
	if err != nil {
		if !lw.started {
			return err
		}
		s.log.Warn("api: content stream broken", "route", r.Pattern, "sent", lw.n, "of", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	lw.start()
	return nil
}

// setContentHeaders sets Content-Type, Content-Disposition, Repr-Digest and the headers that
// stop a browser from rendering user-supplied content as part of the node's site.
func setContentHeaders(h http.Header, o *Object) {
	ct := "application/octet-stream"
	if o.Record.Type != "" {
		if _, _, err := mime.ParseMediaType(o.Record.Type); err == nil {
			ct = o.Record.Type
		}
	}
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	disp := "attachment"
	if name := path.Base(o.Record.Name); o.Record.Name != "" && name != "/" && name != "." {
		if d := mime.FormatMediaType("attachment", map[string]string{"filename": name}); d != "" {
			disp = d
		}
	}
	h.Set("Content-Disposition", disp)
	if sum, err := hex.DecodeString(o.Record.SHA256); err == nil && len(sum) == 32 {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
}

// lazyWriter sends the status line only with the first byte, so a backend error that comes
// before any byte can still be answered as a JSON error.
type lazyWriter struct {
	w       http.ResponseWriter
	status  int
	started bool
	n       int64
}

func (l *lazyWriter) start() {
	if !l.started {
		l.started = true
		l.w.WriteHeader(l.status)
	}
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	l.start()
	n, err := l.w.Write(p)
	l.n += int64(n)
	return n, err
}

// statusError overrides the status that classify derives from err's kind, for the few HTTP
// conditions that have no kind of their own (406, 416); header is added to the answer.
type statusError struct {
	status int
	err    error
	header http.Header
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }
