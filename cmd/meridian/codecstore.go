package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
)

// dirStore keeps shards as files named by their CID.
type dirStore struct{ dir string }

func (d dirStore) put(_ context.Context, s *chunker.EncodedStripe) error {
	for i, sh := range s.Shards {
		if err := os.WriteFile(filepath.Join(d.dir, s.CIDs[i].String()), sh, 0o644); err != nil {
			return errs.E("codec", errs.Unavailable, err)
		}
	}
	return nil
}

// Shards reads the files that are there; missing ones are nil and Decode rebuilds them.
func (d dirStore) Shards(_ context.Context, _ int, cids []cid.Cid, _ int) ([][]byte, error) {
	out := make([][]byte, len(cids))
	for i, c := range cids {
		b, err := os.ReadFile(filepath.Join(d.dir, c.String()))
		if err == nil {
			out[i] = b
		}
	}
	return out, nil
}

type storedStats struct {
	total   int64
	deleted int
}

// lose deletes n random shards of every stripe and returns the bytes stored before that.
func (d dirStore) lose(m *chunker.Manifest, n int) (storedStats, error) {
	var st storedStats
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for _, s := range m.Stripes {
		for _, c := range s.Shards {
			if fi, err := os.Stat(filepath.Join(d.dir, c.String())); err == nil {
				st.total += fi.Size()
			}
		}
		for _, i := range rng.Perm(len(s.Shards))[:n] {
			if err := os.Remove(filepath.Join(d.dir, s.Shards[i].String())); err == nil {
				st.deleted++
			}
		}
	}
	return st, nil
}
