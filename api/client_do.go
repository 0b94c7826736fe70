package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	raw    []byte    // the whole body when it may be sent again (JSON); nil for streams
	size   int64     // body length, -1 unknown
	expect bool      // send Expect: 100-continue (uploads)
	ifSent string    // what to check when a node failed after taking part of the body
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
	return &request{method: method, path: path, header: h, body: bytes.NewReader(b), raw: b, size: int64(len(b))}, nil
}

// do sends rq to the endpoints in turn, starting with the one that answered last, and
// returns the first answer that is not "endpoint down" (2xx or 304; other statuses become
// errors with the server's kind). The caller closes the body.
//
// Failover rules. An endpoint is down when the connection fails, when it answers 503, 507
// (no_space: its store is full, another node's may not be) or 421 (wrong_node: it may not
// serve this request, another node may), or, for GET/HEAD, when it
// answers 504 or times out. GET and HEAD then always move on. A request with a body moves on
// only if the transport has not taken a single byte of the body (uploads send Expect:
// 100-continue, so a node that refuses before reading gets nothing); the unread body is then
// sent, as it is, to the next endpoint. Once any byte has gone out the node may have acted on
// it (published, created a token), so the error is returned instead of silently repeating the
// request — except after a 421 or a 503 not_caught_up, which promise that nothing was done:
// a JSON body, kept whole, is then sent again; a stream, which cannot be, is not. Other
// requests without a body move on only when the connection could not be made, or after a
// 421 or not_caught_up.
//
// When every endpoint is down the error is the most informative answer (see failures.err).
func (c *Client) do(ctx context.Context, op string, rq *request) (*http.Response, error) {
	var body *sharedBody
	if rq.body != nil {
		body = &sharedBody{r: rq.body}
	}
	n := len(c.endpoints)
	start := int(c.pref.Load())
	var fs failures
	for i := 0; i < n; i++ {
		idx := (start + i) % n
		ep := c.endpoints[idx]
		resp, err := c.attempt(ctx, rq, ep, body)
		if untrusted(err) && c.learnOnce(ctx) {
			body.retire() // nothing was sent: the handshake failed before the request
			resp, err = c.attempt(ctx, rq, ep, body)
		}
		sent := body.retire()
		if ctx.Err() != nil {
			closeBody(resp)
			return nil, ctxError(op, ctx)
		}
		if err == nil && !rq.down(resp.StatusCode) {
			c.pref.Store(int32(idx))
			if resp.StatusCode < 300 || resp.StatusCode == http.StatusNotModified {
				return resp, nil
			}
			return nil, decodeError(op, resp)
		}
		f := fs.add(op, ep, resp, err)
		if !rq.retryable(f, sent) {
			return nil, rq.notRepeated(f.err, sent)
		}
		if f.nothingDone() && sent > 0 {
			body.reset(rq.raw)
		}
	}
	return nil, fs.err(op)
}

// down reports whether an answer with this status sends the request to the next endpoint.
func (rq *request) down(status int) bool {
	return status == http.StatusServiceUnavailable || status == http.StatusMisdirectedRequest ||
		status == http.StatusInsufficientStorage ||
		(rq.idempotent() && status == http.StatusGatewayTimeout)
}

// retryable applies do's failover rules to a failed attempt.
func (rq *request) retryable(f *failure, sent int64) bool {
	wrongNode := f.nothingDone()
	switch {
	case rq.idempotent():
		return true
	case rq.body != nil:
		return sent == 0 || (wrongNode && rq.raw != nil)
	case wrongNode, untrusted(f.err):
		return true // nothing was done
	}
	var op *net.OpError
	return errors.As(f.err, &op) && op.Op == "dial"
}

// nothingDone reports whether the node promised it did nothing with the request: 421
// wrong_node, and not_caught_up (a node refuses with it before acting, while its replica may
// be stale), so the request may go to the next endpoint whatever its method.
func (f *failure) nothingDone() bool {
	return f.status == http.StatusMisdirectedRequest || (f.node && errs.Is(f.err, errs.NotCaughtUp))
}

// notRepeated is the error of an attempt that do may not repeat elsewhere: err itself, or,
// when part of the body had been sent, err with what the user should check before retrying.
func (rq *request) notRepeated(err error, sent int64) error {
	if sent == 0 {
		return err
	}
	if errs.Is(err, errs.WrongNode) {
		return errs.Errorf("", errs.WrongNode, "%v; nothing was done, but %d bytes of the body had been read and a stream cannot be sent again: retry, giving a node of your member first", err, sent)
	}
	check := rq.ifSent
	if check == "" {
		check = "check whether it took effect before retrying"
	}
	return errs.Errorf("", errs.KindOf(err), "%v; %d bytes of the request had been sent, so it was not repeated on another node: %s", err, sent, check)
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

// reset replaces the body with raw, for an attempt after one that read part of it but promised
// it did nothing (421). The abandoned attempt was retired, so it cannot read the new reader.
func (s *sharedBody) reset(raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r, s.sent = bytes.NewReader(raw), 0
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
	err, _ := decodeAnswer(op, resp)
	return err
}

// decodeAnswer is decodeError that also says whether the answer was a node's JSON error (not,
// say, a proxy's page).
func decodeAnswer(op string, resp *http.Response) (error, bool) {
	defer closeBody(resp)
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var eb errorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
		return errs.Errorf(op, errs.KindFromString(eb.Error.Code), "%s", eb.Error.Message), true
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 || msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusBadRequest && resp.Request.URL.Scheme == "http" && strings.Contains(msg, "HTTPS server") {
		msg += " Use https:// in the endpoint: nodes serve HTTPS unless run with --insecure-plain-http."
	}
	return errs.Errorf(op, kindOfStatus(resp.StatusCode), "%s answered %d: %s", resp.Request.URL.Host, resp.StatusCode, msg), false
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
