package api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// errTooSlow marks an upload body cut by slowBody.
var errTooSlow = errors.New("upload body too slow")

// slowBody cuts an upload body that brings less than min bytes in a window of time spent
// waiting for it (a silent or trickling client holding a connection and a publish pipeline).
// Only time inside Read counts, so a publish pipeline that is slow to consume is not blamed on
// the client. The deadline is set on the connection (http.ResponseController), so a Read that
// waits is interrupted; where that is not supported, the check runs between reads.
type slowBody struct {
	r      io.ReadCloser
	rc     *http.ResponseController
	window time.Duration
	min    int64
	now    func() time.Time

	waited time.Duration // time inside Read in this window
	got    int64         // bytes in this window
	cut    bool          // the body was cut
}

// slowBody wraps r's body with the limits' window and minimum.
func (s *server) slowBody(w http.ResponseWriter, r *http.Request) *slowBody {
	win := s.limits.BodyWindow
	return &slowBody{r: r.Body, rc: http.NewResponseController(w), window: win,
		min: max(1, int64(float64(s.limits.BodyMinRate)*win.Seconds())), now: time.Now}
}

func (b *slowBody) Close() error { return b.r.Close() }

func (b *slowBody) Read(p []byte) (int, error) {
	if b.cut {
		return 0, errTooSlow
	}
	left := b.window - b.waited
	deadlineSet := b.rc.SetReadDeadline(b.now().Add(left)) == nil
	start := b.now()
	n, err := b.r.Read(p)
	b.waited += b.now().Sub(start)
	b.got += int64(n)
	if b.got >= b.min {
		b.waited, b.got = 0, 0
	}
	if deadlineSet {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	var ne net.Error
	if (err != nil && errors.As(err, &ne) && ne.Timeout()) || b.waited >= b.window {
		b.cut = true
		return n, errTooSlow
	}
	return n, err
}

// slowError is the answer to an upload cut by slowBody.
func (s *server) slowError() error {
	return &statusError{status: http.StatusRequestTimeout,
		err: errs.Errorf("api.upload", errs.Invalid,
			"the upload body brought fewer than %d bytes in %s; nothing was published. Send the body at least %d bytes/s, without pauses of %s",
			max(1, int64(float64(s.limits.BodyMinRate)*s.limits.BodyWindow.Seconds())), s.limits.BodyWindow, s.limits.BodyMinRate, s.limits.BodyWindow)}
}
