package node

import "testing"

func TestMaxObjectSizeRefusesOnlyHugeObjects(t *testing.T) {
	got := maxObjectSize(4<<20, 5)
	if got < 400<<30 || got > 1<<40 { // about 500 GiB at 4 MiB stripes and 3+2
		t.Fatalf("maxObjectSize(4 MiB, 5) = %d, want between 400 GiB and 1 TiB", got)
	}
	if maxObjectSize(64<<10, 5) >= got/32 {
		t.Fatal("smaller stripes must allow proportionally smaller objects")
	}
}
