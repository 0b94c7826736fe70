package p2p

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestPenaltyBoxExpires(t *testing.T) {
	var b penaltyBox
	now := time.Unix(1_800_000_000, 0)
	p, q := peer.ID("p"), peer.ID("q")
	b.add(p, now)
	if !b.has(p, now.Add(penaltyTime-time.Second)) || b.has(q, now) {
		t.Fatal("penalty not kept, or given to the wrong peer")
	}
	if b.has(p, now.Add(penaltyTime+time.Second)) {
		t.Fatal("penalty did not expire")
	}
	b.add(q, now.Add(2*penaltyTime)) // prunes p's served penalty
	if len(b.until) != 1 {
		t.Fatalf("box holds %d entries, want 1", len(b.until))
	}
}
