package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/meridian-fed/meridian/errs"
)

// request is one API call, replayable on several endpoints.
type request struct {
	method string
	path   string // escaped path, e.g. /v1/catalogs/x
	query  url.Values
	header http.Header
	body   io.Reader // nil: no body
	size   int64     // body length, -1 unknown
	expect bool      // send Expect: 100-continue (uploads)
}

func (rq *request) idempotent() bool {
	return rq.method == http.MethodGet || rq.method == http.MethodHead
}

// jsonRequest builds a request with v as its JSON body.
func jsonRequest(method, path string, v any) (*request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errs.E("api.Client", errs.Invalid, err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	return &request{method: method, path: path, header: h, body: bytes.NewReader(b), size: int64(len(b))}, nil
}

// do sends rq to the endpoints in turn, starting with the one that answered last, and
// returns the first answer that is not "endpoint down" (2xx or 304; other statuses become
// errors with the server's kind). The caller closes the body.
//
// Failover rules. An endpoint is down when the connection fails, when it answers 503, or,
// for GET/HEAD, when it answers 504 or times out. GET and HEAD then always move on. A
// request with a body moves on only if the transport has not taken a single byte of the body
// (uploads send Expect: 100-continue, so a node that refuses before reading gets nothing);
// the unread body is then sent, as it is, to the next endpoint. Once any byte has gone out the
// node may have acted on it (published, created a token), so the error is returned instead of
// silently repeating the request. Other requests without a body move on only when the
// connection could not be made.
func (c *Client) do(ctx context.Context, op string, rq *request) (*http.Response, error) {
	var body *sharedBody
	if rq.body != nil {
		body = &sharedBody{r: rq.body}
	}
	n := len(c.endpoints)
	start := int(c.pref.Load())
	var tried []string
	var last error
	for i := 0; i < n; i++ {
		idx := (start + i) % n
		ep := c.endpoints[idx]
		tried = append(tried, ep)
		resp, err := c.attempt(ctx, rq, ep, body)
		sent := body.retire()
		if ctx.Err() != nil {
			closeBody(resp)
			return nil, ctxError(op, ctx)
		}
		if err == nil && resp.StatusCode != http.StatusServiceUnavailable &&
			!(rq.idempotent() && resp.StatusCode == http.StatusGatewayTimeout) {
			c.pref.Store(int32(idx))
			if resp.StatusCode < 300 || resp.StatusCode == http.StatusNotModified {
				return resp, nil
			}
			return nil, decodeError(op, resp)
		}
		if err == nil {
			err = decodeError(op, resp)
		} else {
			err = errs.E(op, errs.Unavailable, fmt.Errorf("%s: %w", ep, err))
		}
		last = err
		if !rq.retryable(err, sent) {
			if sent > 0 {
				return nil, errs.Errorf(op, errs.KindOf(err),
					"%v; %d bytes of the request had been sent, so it was not repeated on another node: check whether it took effect (e.g. meridian ls) before retrying", err, sent)
			}
			return nil, err
		}
	}
	if n == 1 {
		return nil, last
	}
	return nil, errs.Errorf(op, errs.KindOf(last), "no node could answer (tried %s); last error: %v", strings.Join(tried, ", "), last)
}

// retryable applies do's failover rules to a failed attempt.
func (rq *request) retryable(err error, sent int64) bool {
	switch {
	case rq.idempotent():
		return true
	case rq.body != nil:
		return sent == 0
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func (c *Client) attempt(ctx context.Context, rq *request, ep string, body *sharedBody) (*http.Response, error) {
	u := ep + rq.path
	if len(rq.query) > 0 {
		u += "?" + rq.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = body.attempt()
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, u, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	if body != nil {
		req.ContentLength = rq.size
		if rq.size == 0 {
			req.Body = http.NoBody
		}
		if rq.expect && rq.size != 0 {
			req.Header.Set("Expect", "100-continue")
		}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "meridian-client/1")
	return c.hc.Do(req)
}

// sharedBody hands the same reader to successive attempts; an attempt that do has given up on
// can no longer read from it, even from a transport goroutine that outlives it.
type sharedBody struct {
	mu   sync.Mutex
	r    io.Reader
	gen  int   // guarded by mu: the generation allowed to read
	sent int64 // guarded by mu: bytes taken by the transport so far
}

var errRetired = errors.New("api: request body belongs to an abandoned attempt")

func (s *sharedBody) attempt() io.ReadCloser {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &attemptBody{s: s, gen: s.gen}
}

// retire ends the current attempt and returns how many bytes have been taken (0 for nil).
func (s *sharedBody) retire() int64 {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	return s.sent
}

type attemptBody struct {
	s   *sharedBody
	gen int
}

func (a *attemptBody) Read(p []byte) (int, error) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if a.gen != a.s.gen {
		return 0, errRetired
	}
	n, err := a.s.r.Read(p)
	a.s.sent += int64(n)
	return n, err
}

// Close does not close the caller's reader: it may be needed for the next attempt.
func (a *attemptBody) Close() error { return nil }

// decodeError turns a non-2xx answer into an errs error of the server's kind.
func decodeError(op string, resp *http.Response) error {
	defer closeBody(resp)
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var eb errorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
		return errs.Errorf(op, errs.KindFromString(eb.Error.Code), "%s", eb.Error.Message)
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 || msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return errs.Errorf(op, kindOfStatus(resp.StatusCode), "%s answered %d: %s", resp.Request.URL.Host, resp.StatusCode, msg)
}

func closeBody(resp *http.Response) {
	if resp != nil && resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		_ = resp.Body.Close()
	}
}

func ctxError(op string, ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errs.E(op, errs.Timeout, ctx.Err())
	}
	return errs.E(op, errs.Other, ctx.Err())
}

// call sends rq and decodes a JSON answer into out (nil: discard).
func (c *Client) call(ctx context.Context, op string, rq *request, out any) error {
	resp, err := c.do(ctx, op, rq)
	if err != nil {
		return err
	}
	defer closeBody(resp)
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return errs.Errorf(op, errs.Corrupt, "bad JSON answer from %s: %v", resp.Request.URL.Host, err)
	}
	return nil
}

// get is call for a GET without body.
func (c *Client) get(ctx context.Context, op, path string, q url.Values, out any) error {
	return c.call(ctx, op, &request{method: http.MethodGet, path: path, query: q}, out)
}
