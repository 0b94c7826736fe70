package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// streams are the routes governed by the body rate or by the client's own pace instead of
// RequestTimeout: they may rightly run for hours. An admin's scrub re-hashes the whole store.
var streams = map[string]bool{
	"POST /v1/scrub":                   true,
	"PUT /v1/catalogs/{name}/objects":  true,
	"POST /v1/catalogs/{name}/objects": true,
	"GET /v1/catalogs/{name}/events":   true,
	"GET /v1/objects/{pid}/content":    true,
	"GET /pid/{pid}/content":           true,
}

// isStream tells whether r runs without RequestTimeout: a stream, or a verify that re-reads
// the whole content.
func isStream(r *http.Request) bool {
	if streams[r.Pattern] {
		return true
	}
	if r.Pattern == "GET /v1/objects/{pid}/verify" || r.Pattern == "POST /v1/objects/{pid}/verify" {
		ok, _ := strconv.ParseBool(r.URL.Query().Get("content"))
		return ok
	}
	return false
}

// errDeadline is the cause of a request's context ending at RequestTimeout.
var errDeadline = errors.New("request deadline")

// withDeadline gives r the RequestTimeout deadline unless it is a stream.
func (s *server) withDeadline(r *http.Request) (*http.Request, context.CancelFunc) {
	if isStream(r) {
		return r, func() {}
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), s.limits.RequestTimeout, errDeadline)
	return r.WithContext(ctx), cancel
}

// deadlineError turns the failure of a request whose RequestTimeout passed into 503
// unavailable with the reason; other errors are returned as they are.
func (s *server) deadlineError(r *http.Request, err error) error {
	if context.Cause(r.Context()) != errDeadline {
		return err
	}
	// the backend's own reason, unless it only says that the deadline passed
	why := publicMessage(err)
	if strings.HasSuffix(why, context.DeadlineExceeded.Error()) {
		why = "its catalog replica could not confirm it is up to date; it may be cut off from the Raft leader"
	}
	return errs.Errorf("api.deadline", errs.Unavailable,
		"the node could not answer within %s (%s): retry later or ask another node", s.limits.RequestTimeout, why)
}
