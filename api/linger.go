package api

import (
	"io"
	"net/http"
	"time"
)

// lingerWait bounds how long an upload that failed part way waits for one more byte of its
// body before the answer is written (see lingerOnError).
const lingerWait = time.Second

// countingBody counts what an upload's backend took of its body and whether it reached the end.
type countingBody struct {
	r   io.Reader
	n   int64
	eof bool
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err == io.EOF {
		c.eof = true
	}
	return n, err
}

// lingerOnError makes sure the error answer of an upload that failed after reading part of its
// body reaches the client. net/http closes such a connection (a 100-continue body it did not
// read to the end) as soon as the answer is written; the client is still sending, so the
// kernel resets the connection, and the client may see "connection reset by peer" instead of
// the answer. For a body cut by MaxBytesReader, net/http instead closes gracefully: it sends
// the answer and a FIN and waits before closing. So this reads one more byte through a
// MaxBytesReader of limit 0, which marks the request as over its limit. A body that was not
// started is left alone (reading it would send 100 Continue and invite the body that a client
// failing over must still have), and so is one read to the end.
func lingerOnError(w http.ResponseWriter, r *http.Request, body *countingBody) {
	if body.n == 0 || body.eof {
		return
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(lingerWait)) != nil {
		return
	}
	_, _ = http.MaxBytesReader(unwrap(w), r.Body, 0).Read(make([]byte, 1))
	_ = rc.SetReadDeadline(time.Time{})
}
