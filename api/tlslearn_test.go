package api

import (
	"strings"
	"testing"
)

func TestLearnNodesSkipsContestedAddress(t *testing.T) {
	pinA := "sha256:" + strings.Repeat("aa", 32)
	pinB := "sha256:" + strings.Repeat("bb", 32)
	pinC := "sha256:" + strings.Repeat("cc", 32)
	ps := newPinSet(nil)
	// An earlier fetch learned B's pin at B's address.
	if n := ps.learnNodes([]NodeInfo{{PeerID: "B", API: "https://nodeb:8480", TLSPin: pinB, State: "active"}}); n != 1 {
		t.Fatalf("learned %d, want 1", n)
	}
	// Now A claims B's address (spelled differently) with its own pin: neither is trusted there.
	ns := []NodeInfo{
		{PeerID: "A", API: "https://NodeB:8480/", TLSPin: pinA, State: "active"},
		{PeerID: "B", API: "https://nodeb:8480", TLSPin: pinB, State: "active"},
		{PeerID: "C", API: "https://nodec:8480", TLSPin: pinC, State: "active"},
	}
	if n := ps.learnNodes(ns); n != 1 {
		t.Fatalf("learned %d, want 1 (C only)", n)
	}
	for _, pin := range []string{pinA, pinB} {
		if ps.has(pin, "nodeb:8480") {
			t.Errorf("pin %s trusted at a contested address", pin)
		}
	}
	if !ps.has(pinC, "nodec:8480") || ps.has(pinC, "nodeb:8480") {
		t.Error("C's pin: want trusted at its own address only")
	}
	// A gone node's claim does not count.
	ns[0].State = "gone"
	if n := ps.learnNodes(ns); n != 1 || !ps.has(pinB, "nodeb:8480") || ps.has(pinA, "nodeb:8480") {
		t.Fatalf("after A is gone: learned %d; B trusted %v", n, ps.has(pinB, "nodeb:8480"))
	}
}
