package node

import (
	"log/slog"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridian-fed/meridian/p2p"
)

// TestReceivedKicksAreNotCountedAsBadStripes: a member that sends kicks with made-up keys
// only wakes the repair loop; the keys are not remembered, so status does not count them as
// degraded stripes and memory does not grow with them. Marking received keys fails it.
func TestReceivedKicksAreNotCountedAsBadStripes(t *testing.T) {
	n := &Node{bad: newBadStripes(prometheus.NewRegistry()), log: slog.New(slog.DiscardHandler), now: time.Now}
	for i := range 100 {
		var k p2p.Kick
		k.Key[0], k.Key[1] = byte(i), 1
		n.kicked(peer.ID("member"), k)
	}
	if got := n.bad.since(time.Time{}); got != 0 {
		t.Fatalf("%d received kicks counted as bad stripes; want 0", got)
	}
}

// TestBadStripesAreBounded: at most maxBadStripes stripes are remembered between passes; one
// found beyond that is not reported twice within kickResend either way (mark says no).
func TestBadStripesAreBounded(t *testing.T) {
	b := newBadStripes(prometheus.NewRegistry())
	now := time.Now()
	for i := range maxBadStripes + 100 {
		var key [32]byte
		key[0], key[1], key[2] = byte(i), byte(i>>8), byte(i>>16)
		b.mark(key, now)
	}
	if got := b.since(time.Time{}); got != maxBadStripes {
		t.Fatalf("%d bad stripes remembered; want the bound %d", got, maxBadStripes)
	}
	var known [32]byte // key of i == 0: remembered, so its resend is still held back
	if b.mark(known, now.Add(time.Second)) {
		t.Fatal("a remembered stripe was reported again within kickResend")
	}
}
