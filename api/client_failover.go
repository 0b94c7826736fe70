package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// failure is what one endpoint said when Client.do moved on from it.
type failure struct {
	ep     string
	status int   // HTTP status; 0 when no answer came (transport error)
	node   bool  // the answer was a node's JSON error, not a proxy's page
	err    error // of the answer's kind; Unavailable for transport errors
	short  string
}

// failures collects the attempts of one request, in the order tried.
type failures []*failure

// add records the failed attempt at ep: resp (a "down" answer, consumed here) or terr.
func (fs *failures) add(op, ep string, resp *http.Response, terr error) *failure {
	f := &failure{ep: ep}
	var ue *UntrustedCertError
	if errors.As(terr, &ue) {
		f.err = errs.E(op, errs.Permission, ue)
		f.short = "untrusted certificate (pin " + ue.Pin + ")"
	} else if terr != nil {
		f.err = errs.E(op, errs.Unavailable, fmt.Errorf("%s: %w", ep, terr))
		f.short = shortTransport(terr)
	} else {
		f.status = resp.StatusCode
		f.err, f.node = decodeAnswer(op, resp)
		f.short = fmt.Sprintf("%d %s: %s", f.status, errs.KindOf(f.err), message(f.err))
	}
	*fs = append(*fs, f)
	return f
}

// rank orders failures by how much they tell the user: a node's own error beats a wrong_node
// refusal (the node that could serve said more), which beats a proxy's answer, which beats a
// transport error (a dead node says nothing about the request).
func (f *failure) rank() int {
	switch {
	case f.node && f.status != http.StatusMisdirectedRequest:
		return 3
	case f.node:
		return 2
	case f.status != 0:
		return 1
	}
	return 0
}

// err is the error of a request that no endpoint could answer: the most informative failure
// (the first of the highest rank, so the preferred endpoint wins ties) with its kind, the
// number of endpoints tried and one short line for what each said.
func (fs failures) err(op string) error {
	if len(fs) == 1 {
		return fs[0].err
	}
	best := fs[0]
	for _, f := range fs[1:] {
		if f.rank() > best.rank() {
			best = f
		}
	}
	said := best.short
	if best.status != 0 {
		said = message(best.err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no node could answer (%d endpoints tried); %s said: %s", len(fs), best.ep, said)
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s: %s", f.ep, oneLine(f.short, 160))
	}
	return errs.Errorf(op, errs.KindOf(best.err), "%s", b.String())
}

// message is err's text without the operation prefix that every failure of a request shares.
func message(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Err != nil {
		return e.Err.Error()
	}
	return err.Error()
}

// shortTransport is the gist of a transport error: "dial: connect: connection refused" rather
// than the method, URL and addresses around it.
func shortTransport(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Op + ": " + op.Err.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// oneLine folds s onto one line of at most max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max-3], "") + "..."
	}
	return s
}
