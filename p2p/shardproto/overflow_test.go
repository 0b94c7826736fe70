package shardproto

import (
	"math"
	"testing"

	"github.com/meridian-fed/meridian/p2p/wire"
)

// A peer sending sizes or ranges near 2^64 gets an error frame; before, they wrapped to
// negative int64s and panicked the serving node (slice bounds, semaphore.Acquire).
func TestHugeSizesAndRangesAreRefused(t *testing.T) {
	p := newPair(t, ServerConfig{})
	data, c := shard(7, 1000)
	if err := p.client.PutShard(ctx(t), p.remote, c, data); err != nil {
		t.Fatal(err)
	}
	requests := []struct {
		typ     wire.Type
		payload []byte
	}{
		{wire.TGet, new(wire.Enc).CID(c).Uvarint(1).Uvarint(math.MaxInt64).Out()},
		{wire.TGet, new(wire.Enc).CID(c).Uvarint(math.MaxUint64).Uvarint(1).Out()},
		{wire.TPut, new(wire.Enc).CID(c).Uvarint(math.MaxInt64 + 1).Out()},
		{wire.TPut, new(wire.Enc).CID(c).Uvarint(math.MaxUint64).Out()},
	}
	for i, r := range requests {
		s, err := p.hosts[0].NewStream(ctx(t), p.remote, ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := wire.WriteFrame(s, r.typ, r.payload); err != nil {
			t.Fatal(err)
		}
		f, err := wire.ReadFrame(s, wire.MaxFrame)
		s.Close()
		if err == nil && f.Type == wire.TData {
			t.Fatalf("request %d: served data for an impossible request", i)
		}
	}
	got, err := p.client.GetShard(ctx(t), p.remote, c, 0, 0)
	if err != nil || len(got) != len(data) {
		t.Fatalf("server unhealthy after hostile requests: %v", err)
	}
}
