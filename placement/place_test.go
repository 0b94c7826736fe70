package placement

import (
	"slices"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestPlaceBasic(t *testing.T) {
	nodes := makeNodes(t, "b", "a/JP", "a/JP", "b/TW", "b/TW", "c/KR")
	p := Policy{K: 3, M: 2}
	got, err := Place(key(1), nodes, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d holders, want 5", len(got))
	}
	ids := slices.Clone(got)
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 5 {
		t.Fatalf("holders not distinct: %v", got)
	}
	bad, err := Check(got, nodes, p)
	if err != nil || len(bad) != 0 {
		t.Fatalf("Check(Place) = %v, %v; want no misplaced shards", bad, err)
	}
	if _, err := Place(key(1), nodes[:4], p); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("4 nodes for 5 shards: err = %v, want Unavailable", err)
	}
}
