package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/meridian-fed/meridian/errs"
)

// Events subscribes to catalog and calls fn for every object published after the
// subscription, in order, until ctx is done (nil), fn fails (its error), or the stream breaks
// (Unavailable). Objects published while no stream was open are not replayed: after a
// break, catch up with List, then subscribe again.
func (c *Client) Events(ctx context.Context, catalog string, fn func(Object) error) error {
	const op = "api.Events"
	rq := &request{method: http.MethodGet, path: "/v1/catalogs/" + url.PathEscape(catalog) + "/events",
		header: http.Header{"Accept": {"text/event-stream"}}}
	resp, err := c.do(ctx, op, rq)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	sr := newSSEReader(resp.Body)
	for {
		ev, err := sr.next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return errs.Errorf(op, errs.Unavailable, "event stream from %s broke: %v; catch up with a listing and subscribe again", resp.Request.URL.Host, err)
		}
		if ev.Event == "error" {
			return streamEndError(op, ev.Data)
		}
		if ev.Event != "object" {
			continue
		}
		var o Object
		if err := json.Unmarshal([]byte(ev.Data), &o); err != nil {
			return errs.Errorf(op, errs.Corrupt, "bad event from %s: %v", resp.Request.URL.Host, err)
		}
		if err := fn(o); err != nil {
			return err
		}
	}
}

// streamEndError turns the last "error" event of a stream the node ended (a revoked token, a
// lapsed right to read, a stale node) into an errs error of the node's kind.
func streamEndError(op, data string) error {
	var eb errorBody
	if err := json.Unmarshal([]byte(data), &eb); err != nil || eb.Error.Code == "" {
		return errs.Errorf(op, errs.Corrupt, "the node ended the event stream with an unreadable error event")
	}
	return errs.Errorf(op, errs.KindFromString(eb.Error.Code), "the node ended the event stream: %s", eb.Error.Message)
}
