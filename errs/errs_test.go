package errs

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestKindOfWalksChain(t *testing.T) {
	inner := E("store.Get", NotExist, io.EOF)
	outer := fmt.Errorf("fetch: %w", E("p2p.Get", Other, inner))
	if got := KindOf(outer); got != NotExist {
		t.Fatalf("KindOf = %v, want not_found", got)
	}
	if !errors.Is(outer, NotExist) {
		t.Fatal("errors.Is(outer, NotExist) = false")
	}
	if errors.Is(outer, Corrupt) {
		t.Fatal("errors.Is(outer, Corrupt) = true")
	}
	if !errors.Is(outer, io.EOF) {
		t.Fatal("cause lost")
	}
	if KindOf(io.EOF) != Other || KindOf(nil) != Other {
		t.Fatal("plain errors must be Other")
	}
}

func TestKindStringRoundTrip(t *testing.T) {
	for k := Other; k <= WrongNode; k++ {
		if KindFromString(k.String()) != k {
			t.Errorf("round trip of %v failed", k)
		}
	}
	if got := E("op", Invalid, nil).Error(); got != "op: invalid" {
		t.Errorf("Error() = %q", got)
	}
	if got := Errorf("op", Invalid, "size %d too big", 3).Error(); got != "op: size 3 too big" {
		t.Errorf("Errorf() = %q", got)
	}
}

// TestKindNamesAreStable pins the codes sent in JSON error bodies: clients of other versions
// parse them, so a code never changes once released.
func TestKindNamesAreStable(t *testing.T) {
	want := map[Kind]string{Invalid: "invalid", NotExist: "not_found", Permission: "permission_denied",
		Unavailable: "unavailable", NotLeader: "not_leader", Conflict: "conflict", WrongNode: "wrong_node",
		NotCaughtUp: "not_caught_up"}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), s)
		}
	}
	if len(kindNames) != int(NotCaughtUp)+1 {
		t.Errorf("%d kind names for %d kinds: name every kind", len(kindNames), int(NotCaughtUp)+1)
	}
	if KindFromString("no such code") != Other || Kind(200).String() != "kind(200)" {
		t.Error("unknown kinds and codes must not alias a real one")
	}
	if !errors.Is(Errorf("node.Publish", WrongNode, "member aist"), WrongNode) {
		t.Error("errors.Is does not see WrongNode")
	}
}
