package repair

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"testing"

	"github.com/klauspost/reedsolomon"

	"github.com/meridian-fed/meridian/chunker"
)

// encodedStripe encodes one random stripe of size bytes under k+m and returns its manifest entry
// and shards.
func encodedStripe(b testing.TB, k, m, size int) (*chunker.Stripe, [][]byte) {
	data := make([]byte, size)
	rand.Read(data)
	dek, _ := chunker.NewDEK()
	var shards [][]byte
	res, err := chunker.Encode(context.Background(), bytes.NewReader(data), chunker.Params{K: k, M: m, StripeSize: size, Workers: 1}, dek,
		func(ctx context.Context, s *chunker.EncodedStripe) error {
			for _, sh := range s.Shards {
				shards = append(shards, bytes.Clone(sh))
			}
			return nil
		})
	if err != nil {
		b.Fatal(err)
	}
	return &res.Manifest.Stripes[0], shards
}

// BenchmarkRebuild measures rebuilding the m lost shards of one 4 MiB stripe: Rebuild (inputs
// and outputs checked against their CIDs) next to reedsolomon's Reconstruct alone. MB/s is of
// rebuilt shard bytes.
func BenchmarkRebuild(b *testing.B) {
	for _, p := range [][2]int{{3, 2}, {8, 2}} {
		k, m := p[0], p[1]
		st, shards := encodedStripe(b, k, m, 4<<20)
		want := make([]int, m)
		for i := range want {
			want[i] = i // lose data shards: the costlier case
		}
		rebuilt := int64(m * ShardSize(st, k))
		b.Run(fmt.Sprintf("%d+%d/repair.Rebuild", k, m), func(b *testing.B) {
			b.SetBytes(rebuilt)
			in := make([][]byte, k+m)
			for b.Loop() {
				copy(in, shards)
				for _, i := range want {
					in[i] = nil
				}
				if _, err := Rebuild(st, k, m, in, want); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d+%d/executor-path", k, m), func(b *testing.B) {
			// inputs were checked when fetched; only the rebuilt shards are hashed here
			b.SetBytes(rebuilt)
			in := make([][]byte, k+m)
			for b.Loop() {
				copy(in, shards)
				for _, i := range want {
					in[i] = nil
				}
				if _, err := rebuildVerified(st, k, m, in, want); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d+%d/reedsolomon.Reconstruct", k, m), func(b *testing.B) {
			enc, err := reedsolomon.New(k, m)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(rebuilt)
			in := make([][]byte, k+m)
			for b.Loop() {
				copy(in, shards)
				for _, i := range want {
					in[i] = nil
				}
				if err := enc.Reconstruct(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPassNodeLoss measures whole passes that rebuild what one lost node of seven held
// (16 MiB of objects in 4 MiB stripes, 3+2, in-memory shard transport, no rate limit). MB/s is
// of rebuilt shard bytes; fetching, hashing, planning and HAS rounds are included.
func BenchmarkPassNodeLoss(b *testing.B) {
	var rebuilt int64
	for b.Loop() {
		b.StopTimer()
		f := newFed(b, pol32, "a", "a", "b", "b", "c", "c", "c")
		f.size = 4 << 20
		f.publish("o", 16<<20)
		lost := f.nodes[2].ID
		f.net.setDown(lost, true)
		f.net.wipe(lost)
		f.passAll() // starts the grace clocks
		f.clock.advance(DefaultConfig().Grace)
		b.StartTimer()
		rep := f.passAll()
		if rep.Rebuilt == 0 || rep.Failed != 0 {
			b.Fatalf("pass: %+v", rep)
		}
		rebuilt += rep.BytesRebuilt
	}
	b.ReportMetric(float64(rebuilt)/1e6/b.Elapsed().Seconds(), "rebuilt-MB/s")
}

// BenchmarkPassRebalance measures the passes that follow a sixth node joining five (32 MiB of
// objects in 4 MiB stripes, 3+2, in-memory transport, no rate limit, default 64 stripes per
// pass). MB/s is of shard bytes moved (each fetched, verified, stored, old copy deleted).
func BenchmarkPassRebalance(b *testing.B) {
	var moved int64
	for b.Loop() {
		b.StopTimer()
		f := newFed(b, pol32, "a", "b", "c", "d", "e")
		f.size = 4 << 20
		f.publish("o", 32<<20)
		f.nodes = append(f.nodes, makeNodes(b, "a", "b", "c", "d", "e", "f")[5])
		f.cat.nodes = slices.Clone(f.nodes)
		before := f.net.moved
		b.StartTimer()
		rep := f.passAll()
		if rep.Rebalanced == 0 || rep.RebalanceFailed != 0 {
			b.Fatalf("pass: %+v", rep)
		}
		moved += (f.net.moved - before) / 2 // each shard is got once and put once
	}
	b.ReportMetric(float64(moved)/1e6/b.Elapsed().Seconds(), "moved-MB/s")
}
