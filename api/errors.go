package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// statusOfKind is THE table from error kinds to HTTP status codes. The client inverts it in
// kindOfStatus when a response carries no JSON error body (e.g. from a proxy).
var statusOfKind = map[errs.Kind]int{
	errs.Invalid:         http.StatusBadRequest,          // 400: fix the request
	errs.Unauthenticated: http.StatusUnauthorized,        // 401: give a valid token
	errs.Permission:      http.StatusForbidden,           // 403: ask for a grant
	errs.WrongNode:       http.StatusMisdirectedRequest,  // 421: nothing done; another node may serve it
	errs.NotExist:        http.StatusNotFound,            // 404
	errs.Exist:           http.StatusConflict,            // 409
	errs.Conflict:        http.StatusConflict,            // 409
	errs.NoSpace:         http.StatusInsufficientStorage, // 507
	errs.Unavailable:     http.StatusServiceUnavailable,  // 503: retry, or another node
	errs.NotLeader:       http.StatusServiceUnavailable,  // 503: retry, or another node
	errs.NotCaughtUp:     http.StatusServiceUnavailable,  // 503: this replica may be stale; another node
	errs.Timeout:         http.StatusGatewayTimeout,      // 504
	errs.Corrupt:         http.StatusBadGateway,          // 502: bad bytes from a peer or disk
	errs.Internal:        http.StatusInternalServerError, // 500
	errs.Other:           http.StatusInternalServerError, // 500
}

// errorBody is the JSON form of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// classify returns the kind, the status and the message sent for err. A body over its size
// cap answers 413 with code "invalid"; a deadline without a kind is a timeout. Messages of
// internal errors are not sent (they may hold paths or state); the node logs them.
func classify(err error) (errs.Kind, int, string) {
	var se *statusError
	if errors.As(err, &se) {
		return errs.KindOf(se.err), se.status, publicMessage(se.err)
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errs.Invalid, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("request body larger than the limit of %d bytes; send less or ask the operator to raise the limit", tooBig.Limit)
	}
	kind := errs.KindOf(err)
	if kind == errs.Other && errors.Is(err, context.DeadlineExceeded) {
		kind = errs.Timeout
	}
	status, ok := statusOfKind[kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		return errs.Internal, status, "internal error in the node; the operator can find it in the node's log"
	}
	return kind, status, publicMessage(err)
}

// writeError answers err as JSON with the status of its kind.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	kind, status, msg := classify(err)
	lvl := slog.LevelDebug
	if status >= 500 {
		lvl = slog.LevelWarn
	}
	s.log.Log(r.Context(), lvl, "api request failed", "method", r.Method, "route", r.Pattern,
		"status", status, "err", err)
	h := w.Header()
	for _, k := range []string{"Content-Length", "Content-Disposition", "Content-Range", "ETag",
		"Cache-Control", "Accept-Ranges", "Link", "Repr-Digest", "Last-Modified"} {
		h.Del(k)
	}
	var se *statusError
	if errors.As(err, &se) {
		for k, v := range se.header {
			h[k] = v
		}
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="meridian"`)
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	if wantsHTMLError(r) {
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_ = errorPage.Execute(w, errorPageData{Status: status, Text: http.StatusText(status), Code: kind.String(), Message: msg})
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{errorDetail{Code: kind.String(), Message: msg}})
}

// wantsHTMLError tells whether a failed request is a browser's, for a PID landing page: it
// gets its error as a page too. Everything else, including every /v1 call, gets JSON.
func wantsHTMLError(r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/pid/") || strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/content") {
		return false
	}
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "html"
	}
	ct, ok := negotiate(r.Header.Get("Accept"), pidOffers)
	return ok && ct == TypeHTML
}

type errorPageData struct {
	Status     int
	Text, Code string
	Message    string
}

// errorPage is the HTML answer to a browser whose PID request failed (html/template escapes).
var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Status}} {{.Text}} · Meridian</title></head>
<body><h1>{{.Status}} {{.Text}}</h1><p>{{.Message}}</p><p><small>error code: <code>{{.Code}}</code></small></p></body></html>
`))

// kindOfStatus guesses a kind from a status when the answer has no JSON error body.
func kindOfStatus(status int) errs.Kind {
	switch status {
	case http.StatusRequestEntityTooLarge, http.StatusRequestedRangeNotSatisfiable,
		http.StatusNotAcceptable, http.StatusMethodNotAllowed:
		return errs.Invalid
	case http.StatusBadGateway:
		return errs.Corrupt
	case http.StatusInternalServerError:
		return errs.Internal
	}
	for k, s := range statusOfKind {
		if s == status && k != errs.NotLeader && k != errs.NotCaughtUp && k != errs.Exist && k != errs.Internal && k != errs.Other {
			return k
		}
	}
	if status >= 500 {
		return errs.Unavailable
	}
	return errs.Invalid
}
