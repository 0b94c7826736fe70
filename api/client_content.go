package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Get writes the whole content of p to w and returns the bytes written. When a node fails in
// the middle, the download resumes on the next endpoint from the byte it stopped at (the
// content is immutable and the ETag, its content CID, is checked with If-Range). The bytes
// are checked against the sha256 the node announces (Repr-Digest): a mismatch is Corrupt.
func (c *Client) Get(ctx context.Context, p string, w io.Writer) (int64, error) {
	return c.GetRange(ctx, p, 0, -1, w)
}

// GetRange writes bytes [off, off+length) of p's content to w (length -1: to the end; a range
// past the end is cut at the end) and returns the bytes written. Nodes fetch only the stripes
// the range covers.
func (c *Client) GetRange(ctx context.Context, p string, off, length int64, w io.Writer) (int64, error) {
	const op = "api.Get"
	p, err := canonicalPID(op, p)
	if err != nil {
		return 0, err
	}
	if off < 0 || length < -1 {
		return 0, errs.Errorf(op, errs.Invalid, "bad range: offset %d, length %d", off, length)
	}
	if length == 0 {
		return 0, nil
	}
	st := &download{w: w, off: off, length: length, total: -1, progress: c.progress}
	if off == 0 && length < 0 && !c.noDigest {
		st.sha = sha256.New()
	}
	for tries := 1; ; tries++ {
		resp, err := c.do(ctx, op, st.request(p))
		if err != nil {
			return st.written, err
		}
		err = st.consume(op, resp)
		closeBody(resp)
		if err == nil {
			return st.written, st.check(op, p)
		}
		var re *readError
		if !errors.As(err, &re) || ctx.Err() != nil || tries >= len(c.endpoints) {
			return st.written, errs.E(op, errs.KindOf(err), err)
		}
		c.skip(resp.Request.URL) // resume on the next endpoint
	}
}

// skip moves the preferred endpoint past the one at u.
func (c *Client) skip(u fmt.Stringer) {
	cur := int(c.pref.Load())
	if strings.HasPrefix(u.String(), c.endpoints[cur]+"/") {
		c.pref.CompareAndSwap(int32(cur), int32((cur+1)%len(c.endpoints)))
	}
}

// download is the state of a GetRange across resumed attempts.
type download struct {
	w            io.Writer
	off, length  int64 // as asked
	written      int64
	total        int64 // bytes this download will write, once known
	etag, digest string
	sha          hash.Hash // non-nil when the whole content is read
	progress     Progress
}

// readError marks a failure reading the answer (as opposed to writing to the caller's w).
type readError struct{ err error }

func (e *readError) Error() string { return "reading content: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

func (st *download) request(p string) *request {
	h := http.Header{}
	from := st.off + st.written
	switch {
	case st.length >= 0:
		h.Set("Range", fmt.Sprintf("bytes=%d-%d", from, st.off+st.length-1))
	case from > 0:
		h.Set("Range", fmt.Sprintf("bytes=%d-", from))
	}
	if st.etag != "" {
		h.Set("If-Range", st.etag)
	}
	return &request{method: http.MethodGet, path: "/v1/objects/" + p + "/content", header: h}
}

// consume checks one answer and copies the part of its body that is still missing to w.
func (st *download) consume(op string, resp *http.Response) error {
	bodyStart, size, err := span(resp)
	if err != nil {
		return errs.E(op, errs.Corrupt, err)
	}
	etag := resp.Header.Get("ETag")
	if st.etag != "" && etag != st.etag {
		return errs.Errorf(op, errs.Corrupt, "nodes disagree on the content (ETag %s, then %s); report this to the operators", st.etag, etag)
	}
	st.etag, st.digest = etag, resp.Header.Get("Repr-Digest")
	end := size
	if st.length >= 0 {
		end = min(size, st.off+st.length)
	}
	st.total = max(end-st.off, 0)
	want := st.off + st.written
	if bodyStart > want {
		return errs.Errorf(op, errs.Corrupt, "node sent bytes from %d, asked from %d", bodyStart, want)
	}
	body := &readErrReader{r: resp.Body}
	if _, err := io.CopyN(io.Discard, body, want-bodyStart); err != nil {
		return &readError{err}
	}
	if rest := end - want; rest > 0 {
		buf := make([]byte, min(rest, copyBuffer))
		n, err := io.CopyBuffer(writerFunc(st.write), io.LimitReader(body, rest), buf)
		if err == nil && n < rest {
			err = io.EOF
		}
		if err == io.EOF {
			return &readError{fmt.Errorf("body ended after %d of %d bytes", n, rest)}
		}
		return err
	}
	return nil
}

// copyBuffer is the most a download reads at once: few syscalls per MiB, little memory.
const copyBuffer = 256 << 10

func (st *download) write(b []byte) (int, error) {
	n, err := st.w.Write(b)
	if st.sha != nil {
		st.sha.Write(b[:n])
	}
	st.written += int64(n)
	if st.progress != nil {
		st.progress(st.written, st.total)
	}
	return n, err
}

// check compares a whole download with the announced sha256.
func (st *download) check(op, p string) error {
	if st.sha == nil || st.digest == "" {
		return nil
	}
	want, ok := parseReprDigest(st.digest)
	if !ok {
		return nil // an algorithm we do not know
	}
	if !bytes.Equal(st.sha.Sum(nil), want) {
		return errs.Errorf(op, errs.Corrupt, "the %d bytes received for %s do not match its sha256; discard them and try again or another node", st.written, p)
	}
	return nil
}

// span returns where the body starts and the full size of the content.
func span(resp *http.Response) (start, size int64, err error) {
	if resp.StatusCode == http.StatusOK {
		if resp.ContentLength < 0 {
			return 0, 0, errors.New("answer without Content-Length")
		}
		return 0, resp.ContentLength, nil
	}
	if resp.StatusCode != http.StatusPartialContent {
		return 0, 0, fmt.Errorf("unexpected status %d", resp.StatusCode)
	}
	start, last, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
	if !ok || resp.ContentLength >= 0 && resp.ContentLength != last-start+1 {
		return 0, 0, fmt.Errorf("bad Content-Range %q", resp.Header.Get("Content-Range"))
	}
	return start, size, nil
}

// parseContentRange reads "bytes a-b/size".
func parseContentRange(v string) (start, last, size int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	rng, sz, found2 := strings.Cut(rest, "/")
	a, b, found3 := strings.Cut(rng, "-")
	if !found || !found2 || !found3 {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	start, err1 = strconv.ParseInt(a, 10, 64)
	last, err2 = strconv.ParseInt(b, 10, 64)
	size, err3 = strconv.ParseInt(sz, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || start < 0 || last < start || last >= size {
		return 0, 0, 0, false
	}
	return start, last, size, true
}

// parseReprDigest returns the sha-256 of a Repr-Digest value (RFC 9530).
func parseReprDigest(v string) ([]byte, bool) {
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k != "sha-256" || len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(val[1 : len(val)-1])
		if err == nil && len(b) == sha256.Size {
			return b, true
		}
	}
	return nil, false
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// readErrReader marks errors of the response body as readErrors.
type readErrReader struct{ r io.Reader }

func (r *readErrReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if err != nil && err != io.EOF {
		err = &readError{err}
	}
	return n, err
}
