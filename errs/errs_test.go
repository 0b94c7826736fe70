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
	for k := Other; k <= Conflict; k++ {
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
