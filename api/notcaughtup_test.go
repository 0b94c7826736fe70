package api

import (
	"net/http"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// TestNotCaughtUpFailsOver: a node whose replica may be stale answers 503 not_caught_up
// before acting on the request, so the client moves every request on to the next endpoint,
// also a body-less POST that another 503 would stop.
func TestNotCaughtUpFailsOver(t *testing.T) {
	ctx := testCtx(t)
	stale := newFake()
	stale.fail["Authenticate"] = errs.Errorf("fake", errs.NotCaughtUp, "not in step with the leader")
	tsStale, nStale := counted(t, stale)
	good := newFake()
	tsGood, nGood := counted(t, good)

	resp, err := http.Get(tsStale.URL + "/v1/catalogs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("not_caught_up answered %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	c := newTestClient(t, "admin", tsStale.URL, tsGood.URL)
	if _, err := c.AddToken(ctx, "root"); err != nil {
		t.Fatalf("AddToken after not_caught_up: %v", err)
	}
	if nStale.Load() != 2 || nGood.Load() != 1 {
		t.Fatalf("attempts: stale %d (want 2: the probe and one try), good %d (want 1)", nStale.Load(), nGood.Load())
	}
	only := newTestClient(t, "admin", tsStale.URL)
	if _, err := only.Catalogs(ctx); !errs.Is(err, errs.NotCaughtUp) {
		t.Fatalf("the kind did not survive the wire: %v", err)
	}
	if k := kindOfStatus(http.StatusServiceUnavailable); k != errs.Unavailable {
		t.Fatalf("a bare 503 (no body) maps to %v, want unavailable", k)
	}
}
