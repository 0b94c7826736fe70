package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestPublicMessageDropsOps(t *testing.T) {
	inner := errs.Errorf("policy.Can", errs.Permission, "member %q may not read it", "m2")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{inner, `member "m2" may not read it`},
		{errs.E("node.readable", errs.Other, inner), `member "m2" may not read it`},
		{fmt.Errorf("wrapped: %w", errs.E("node.Object", errs.Permission, inner)), `wrapped: member "m2" may not read it`},
		// flattened with %v: the op is no longer in the chain, the pattern removes it
		{errs.Errorf("node.fetchBlock", errs.Unavailable, "block x not found (last error: %v); check status",
			errs.Errorf("p2p.shards.get", errs.Unavailable, "peer gone")), "block x not found (last error: peer gone); check status"},
		{errs.Errorf("codec", errs.Invalid, "bad %s", "input"), "bad input"},
		{errs.Errorf("catalog.Apply", errs.Invalid, "node.X: policy.Can: nested"), "nested"},
		// hostnames, file names and quoted user text that merely hold dots stay
		{errs.Errorf("api.x", errs.Invalid, "dial node1.example.org: refused; see scene.tif: ok"), "dial node1.example.org: refused; see scene.tif: ok"},
		{errs.Errorf("api.x", errs.Invalid, `no catalog "a.b": list them`), `no catalog "a.b": list them`},
	} {
		if got := publicMessage(tc.err); got != tc.want {
			t.Errorf("publicMessage(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestErrorAnswersCarryNoOps: what classify sends (and so every JSON or HTML error answer)
// has no op names; the node's log still gets the whole error.
func TestErrorAnswersCarryNoOps(t *testing.T) {
	err := errs.E("node.ReadContent", errs.WrongNode,
		errs.Errorf("node.dataKey", errs.WrongNode, "this node belongs to member m2"))
	kind, status, msg := classify(err)
	if kind != errs.WrongNode || status != http.StatusMisdirectedRequest || msg != "this node belongs to member m2" {
		t.Fatalf("classify = %v, %d, %q", kind, status, msg)
	}
	se := &statusError{status: http.StatusNotAcceptable, err: errs.Errorf("api.resolve", errs.Invalid, "no representation")}
	if _, _, msg := classify(se); msg != "no representation" {
		t.Fatalf("statusError message %q", msg)
	}
}

// FuzzPublicText: whatever text an error carries (it may echo request text), the answer holds
// no op name of this module and cleaning it again changes nothing.
func FuzzPublicText(f *testing.F) {
	for _, s := range []string{"node.dataKey: member m2", "a (policy.Can: node.X: b)", "node.example.org: x",
		`no catalog "node.X: y"`, "x,catalog.Resolve: y", "node.a: node.b: node.c: "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := publicText(s)
		if opPrefix.MatchString(out) {
			t.Fatalf("publicText(%q) = %q still names an op", s, out)
		}
		if again := publicText(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}
