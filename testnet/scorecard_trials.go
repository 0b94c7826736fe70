package testnet

import (
	"bytes"
	"context"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// lossTrial kills m=2 random nodes (sometimes exactly one whole member), reads everything from
// a survivor, and brings them back.
func (s *scorer) lossTrial(ctx context.Context) error {
	victims := s.lossVictims()
	for _, v := range victims {
		if err := s.c.Kill(v); err != nil {
			return err
		}
	}
	s.readAll(ctx, firstAlive(s.c, victims...))
	for _, v := range victims {
		if err := s.c.Restart(ctx, v); err != nil {
			return err
		}
	}
	return s.c.WaitReady(ctx)
}

// lossVictims picks, with equal chance, a whole member (nodes m and m+3) or two random nodes.
func (s *scorer) lossVictims() []int {
	if s.rnd.IntN(2) == 0 {
		m := s.rnd.IntN(3)
		return []int{m, m + 3}
	}
	return s.rnd.Perm(s.c.Len())[:2]
}

// corruptionTrial damages one shard file on each of two random nodes (flip, truncate, zero or
// swap with another shard), reads everything, scrubs, and waits for full redundancy.
func (s *scorer) corruptionTrial(ctx context.Context) error {
	p := s.rnd.Perm(s.c.Len())[:2]
	for _, i := range p {
		if damageRandomShard(s.c.Node(i).StoreDir(), s.rnd) {
			s.card.CorruptionsInjected++
		}
	}
	before := s.readRemoved()
	s.readAll(ctx, p[0])
	detected := time.Now()
	s.card.CorruptionsDetected += int(s.readRemoved() - before) // a read removes a damaged local shard
	for _, i := range p {
		rep, err := s.c.Node(i).ScrubNow(ctx)
		if err != nil {
			return err
		}
		s.card.CorruptionsDetected += int(rep.Removed)
	}
	if err := s.waitFull(ctx, 0); err != nil {
		return err
	}
	s.card.CorruptionToFull = max(s.card.CorruptionToFull, time.Since(detected))
	return nil
}

// readRemoved sums the damaged shards reads removed from the running nodes' stores.
func (s *scorer) readRemoved() int64 {
	var sum int64
	for i := range s.c.Len() {
		if n := s.c.Node(i); n != nil {
			sum += n.ReadRemovedShards()
		}
	}
	return sum
}

// damageRandomShard damages one shard file (raw blocks: "bafk…") under dir; false if none.
func damageRandomShard(dir string, rnd *mrand.Rand) bool {
	files := shardFiles(dir)
	if len(files) == 0 {
		return false
	}
	i := rnd.IntN(len(files))
	b, err := os.ReadFile(files[i])
	if err != nil || len(b) == 0 {
		return false
	}
	switch rnd.IntN(4) {
	case 0:
		b[rnd.IntN(len(b))] ^= 0x80
	case 1:
		b = b[:len(b)/2]
	case 2:
		clear(b)
	default:
		b = swapWithOther(b, files, i, rnd)
	}
	return os.WriteFile(files[i], b, 0o600) == nil
}

// shardFiles lists the shard files (raw blocks: "bafk…") under dir.
func shardFiles(dir string) []string {
	var files []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error { //nolint:errcheck // a partial list is enough
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "bafk") && strings.HasSuffix(path, ".data") {
			files = append(files, path)
		}
		return nil
	})
	return files
}

// swapWithOther returns the content of another shard file than files[i] (b with one bit
// flipped when there is no other, it cannot be read or it is the same).
func swapWithOther(b []byte, files []string, i int, rnd *mrand.Rand) []byte {
	if len(files) < 2 {
		b[0] ^= 1
		return b
	}
	other, err := os.ReadFile(files[(rnd.IntN(len(files)-1)+1+i)%len(files)])
	if err != nil || bytes.Equal(other, b) {
		b[0] ^= 1
		return b
	}
	return other
}

// firstAlive returns the first node that is not among dead, or -1.
func firstAlive(c *Cluster, dead ...int) int {
	for i := 0; i < c.Len(); i++ {
		alive := true
		for _, d := range dead {
			alive = alive && i != d
		}
		if alive {
			return i
		}
	}
	return -1
}
