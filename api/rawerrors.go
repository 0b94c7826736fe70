package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/meridian-fed/meridian/errs"
)

// JSONErrors wraps the plain-HTTP listener of an API server so that the answers net/http
// writes by itself, before any handler runs, are the documented JSON error too: 400 for a
// malformed request, 431 for a header over http.Server.MaxHeaderBytes, 501 for an unknown
// transfer encoding. net/http writes those as plain text straight to the connection, in one
// write of a fixed form, which the wrapper recognises and rewrites.
//
// It works on a listener whose connections http.Server reads as they are. Under TLS the server
// must see the *tls.Conn itself (for the handshake, r.TLS and HTTP/2), so the wrapper can only
// sit beneath TLS, where it sees records, not HTTP, and passes them through unchanged: there
// those answers stay plain text (see docs/api.md, Limits per caller).
func JSONErrors(l net.Listener) net.Listener { return jsonErrListener{l} }

type jsonErrListener struct{ net.Listener }

func (l jsonErrListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return jsonErrConn{c}, nil
}

type jsonErrConn struct{ net.Conn }

// Write rewrites net/http's own plain-text error answers; everything else passes unchanged.
func (c jsonErrConn) Write(p []byte) (int, error) {
	q, ok := rewriteRawError(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite lets net/http half-close the connection after its own error answers (it does so
// to avoid a reset that would lose the answer while the client is still sending).
func (c jsonErrConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// rawErrorHeaders is what net/http puts between the status line and the text of the answers
// it writes without a handler (net/http's conn.serve); a handler's answer always has other
// headers (Date) before Content-Type, so it never takes this form.
const rawErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// rewriteRawError turns one of net/http's plain-text answers into the JSON form.
func rewriteRawError(p []byte) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(p, []byte(proto)) {
		return nil, false
	}
	i := bytes.Index(p, []byte(rawErrorHeaders))
	if i < 0 || bytes.Contains(p[:i], []byte("\r\n")) || i < len(proto)+3 {
		return nil, false
	}
	status, err := strconv.Atoi(string(p[len(proto) : len(proto)+3]))
	if err != nil || status < 400 {
		return nil, false
	}
	body, _ := json.Marshal(errorBody{errorDetail{Code: errs.Invalid.String(), Message: rawErrorMessage(status, string(p[i+len(rawErrorHeaders):]))}})
	body = append(body, '\n')
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), len(body), body), true
}

// rawErrorMessage says what to do about an answer net/http gave with text.
func rawErrorMessage(status int, text string) string {
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		return "the request's headers are larger than this node accepts; send less metadata (see docs/api.md, Limits per caller)"
	case http.StatusNotImplemented:
		return "unsupported Transfer-Encoding; send the body with Content-Length or chunked"
	}
	return fmt.Sprintf("malformed HTTP request (%s); send a valid HTTP/1.1 request", text)
}
