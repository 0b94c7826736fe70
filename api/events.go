package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// events answers GET /v1/catalogs/{name}/events as server-sent events: one "object" event per
// publication after the subscription (id = publish index, data = the Object as JSON), and a
// comment line every KeepAlive so proxies keep idle streams open. The stream ends when the
// client goes away or the backend closes the subscription, and when the caller's right to it
// lapses (see streamGuard): then a last "error" event says why.
func (s *server) events(w http.ResponseWriter, r *http.Request, sub Subject) error {
	ctx := r.Context()
	name := r.PathValue("name")
	tok, err := bearer(r)
	if err != nil {
		return err
	}
	ch, err := s.b.Subscribe(ctx, sub, name)
	if err != nil {
		return err
	}
	g := streamGuard{b: s.b, token: tok, catalog: name}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's WriteTimeout must not cut the stream
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": subscribed\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		s.log.Warn("api: event stream cannot be flushed", "err", err)
		return nil
	}
	s.streamLoop(ctx, w, rc, ch, g)
	return nil
}

// streamLoop sends events until the stream ends. The caller's right is checked again before
// every event and every StreamRecheck, so a lapsed right ends the stream even when idle.
func (s *server) streamLoop(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, ch <-chan Object, g streamGuard) {
	tick := time.NewTicker(s.opts.KeepAlive)
	defer tick.Stop()
	recheck := time.NewTicker(s.opts.StreamRecheck)
	defer recheck.Stop()
	for {
		var werr error
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_, werr = fmt.Fprint(w, ": keep-alive\n\n")
		case <-recheck.C:
			if err := g.check(ctx); err != nil {
				s.endStream(ctx, w, rc, err)
				return
			}
			continue
		case o, ok := <-ch:
			if !ok {
				return
			}
			if err := g.check(ctx); err != nil {
				s.endStream(ctx, w, rc, err)
				return
			}
			werr = writeEvent(w, o)
		}
		if werr != nil || rc.Flush() != nil {
			return // the client went away; nothing more to answer
		}
	}
}

// endStream writes the last event of a stream whose right lapsed: "event: error" with the
// JSON error body every other answer uses.
func (s *server) endStream(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, err error) {
	if ctx.Err() != nil {
		return // the client left; the check failed because of that
	}
	kind, _, msg := classify(err)
	s.log.Debug("api: event stream ended", "err", err)
	b, jerr := json.Marshal(errorBody{errorDetail{Code: kind.String(), Message: msg}})
	if jerr != nil {
		return
	}
	if _, werr := fmt.Fprintf(w, "event: error\ndata: %s\n\n", b); werr == nil {
		_ = rc.Flush()
	}
}

// writeEvent writes one SSE "object" event. JSON never contains a raw newline, so the data fits
// one data: line.
func writeEvent(w http.ResponseWriter, o Object) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: object\ndata: %s\n\n", o.PublishIndex, b)
	return err
}
