package api

import (
	"context"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestSetNodeStateRoute(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	cl := newTestClient(t, "admin", ts.URL)
	n, err := cl.SetNodeState(context.Background(), "12D3KooWfake", "draining")
	if err != nil || n.State != "draining" {
		t.Fatalf("SetNodeState = %+v, %v", n, err)
	}
	if _, err := cl.SetNodeState(context.Background(), "12D3KooWfake", "asleep"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("bad state: err = %v, want invalid", err)
	}
	if _, err := cl.SetNodeState(context.Background(), "12D3KooWnope", "gone"); !errs.Is(err, errs.NotExist) {
		t.Fatalf("unknown node: err = %v, want not_found", err)
	}
	if rep, err := cl.Scrub(context.Background()); err != nil || rep.Blocks != 3 {
		t.Fatalf("Scrub = %+v, %v", rep, err)
	}
	if _, err := newTestClient(t, "", ts.URL).Scrub(context.Background()); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("anonymous scrub: err = %v, want unauthenticated", err)
	}
	if _, err := newTestClient(t, "", ts.URL).SetNodeState(context.Background(), "12D3KooWfake", "gone"); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("anonymous: err = %v, want unauthenticated", err)
	}
}
