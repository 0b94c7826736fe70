package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// readyWait bounds how long 'testnet start' waits for the node's /readyz (a variable for
// tests). A restarted node answers before it has caught up with the Raft log, and until then
// refuses every token as unknown; it cannot catch up at all while most voters are down, so
// the wait is bounded and its end is reported, not an error.
var readyWait = 15 * time.Second

// nodeReadiness polls https://addr/readyz (with hc, which trusts the node) until it answers 200 or wait has passed, and returns
// "" when the node is ready, else its last reason for not being so.
func nodeReadiness(ctx context.Context, hc *http.Client, addr string, wait time.Duration) string {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	why := "no answer"
	for {
		w := readyz(ctx, hc, addr)
		if w == "" {
			return ""
		}
		if ctx.Err() != nil {
			return why // w is only the cancelled request
		}
		why = w
		select {
		case <-ctx.Done():
			return why
		case <-tick.C:
		}
	}
}

// readyz asks addr's /readyz once: "" for 200, else the node's message or the failure.
func readyz(ctx context.Context, hc *http.Client, addr string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/readyz", nil)
	if err != nil {
		return err.Error()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if json.Unmarshal(b, &body) == nil && body.Error.Message != "" {
		return body.Error.Message
	}
	return resp.Status
}
