package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// events answers GET /v1/catalogs/{name}/events as server-sent events: one "object" event per
// publication after the subscription (id = publish index, data = the Object as JSON), and a
// comment line every KeepAlive so proxies keep idle streams open. The stream ends when the
// client goes away or the backend closes the subscription.
func (s *server) events(w http.ResponseWriter, r *http.Request, sub Subject) error {
	ctx := r.Context()
	ch, err := s.b.Subscribe(ctx, sub, r.PathValue("name"))
	if err != nil {
		return err
	}
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
	tick := time.NewTicker(s.opts.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
		case o, ok := <-ch:
			if !ok {
				return nil
			}
			if err := writeEvent(w, o); err != nil {
				return nil // the client went away; nothing more to answer
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
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
