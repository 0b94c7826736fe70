package testnet

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/reedsolomon"
	"golang.org/x/sync/errgroup"

	"github.com/meridian-fed/meridian/errs"
)

// Limits are what the machine does alone, measured in the same run as the federation figures
// so a busy machine shows in both: one core each for memcpy, sha256, AES-256-GCM and
// Reed-Solomon (k+m of the bench's placement), and the disk writing shard-sized files with
// fsync from k+m writers at once, the way the stores write a stripe.
type Limits struct {
	MemcpyMBs, SHA256MBs, AESGCMMBs, RSEncodeMBs float64
	DiskFsyncMBs                                 float64
}

// limitBytes is how much each CPU limit processes: enough to cover timer noise.
const limitBytes = 256 << 20

func benchLimits(ctx context.Context, c *Cluster, o BenchOptions, r *BenchReport) error {
	buf := make([]byte, 4<<20)
	if _, err := data(int64(len(buf)), 9).Read(buf); err != nil {
		return errs.E("bench.limits", errs.Internal, err)
	}
	l := &r.Limits
	l.MemcpyMBs = rate(func() {
		dst := make([]byte, len(buf))
		for range limitBytes / len(buf) {
			copy(dst, buf)
		}
	})
	l.SHA256MBs = rate(func() {
		for range limitBytes / len(buf) {
			sha256.Sum256(buf)
		}
	})
	block, _ := aes.NewCipher(buf[:32])
	gcm, _ := cipher.NewGCM(block)
	l.AESGCMMBs = rate(func() {
		out := make([]byte, 0, len(buf)+gcm.Overhead())
		for range limitBytes / len(buf) {
			gcm.Seal(out[:0], buf[:12], buf, nil)
		}
	})
	var err error
	l.RSEncodeMBs, err = rsRate(buf, r.K, r.M)
	if err != nil {
		return err
	}
	l.DiskFsyncMBs, err = diskRate(ctx, c.opts.Dir, min(o.Size, 256<<20), len(buf)/r.K, r.K+r.M)
	return err
}

// rate runs f, which processes limitBytes, and returns MB/s.
func rate(f func()) float64 {
	start := time.Now()
	f()
	return mbs(limitBytes, time.Since(start))
}

// rsRate encodes stripes of len(buf) data bytes as k+m, counting data bytes.
func rsRate(buf []byte, k, m int) (float64, error) {
	enc, err := reedsolomon.New(k, m)
	if err != nil {
		return 0, errs.E("bench.limits", errs.Invalid, err)
	}
	shards, err := enc.Split(buf)
	if err != nil {
		return 0, errs.E("bench.limits", errs.Internal, err)
	}
	return rate(func() {
		for range limitBytes / len(buf) {
			_ = enc.Encode(shards)
		}
	}), nil
}

// diskRate writes total bytes as files of shardSize, each fsynced, on the disk the nodes use,
// from writers goroutines at once (as that many stores write a stripe's shards), and returns
// MB/s.
func diskRate(ctx context.Context, dir string, total int64, shardSize, writers int) (float64, error) {
	d, err := os.MkdirTemp(dir, "disk-limit-")
	if err != nil {
		return 0, errs.E("bench.limits", errs.Unavailable, err)
	}
	defer os.RemoveAll(d)
	buf := make([]byte, shardSize)
	if _, err := data(int64(shardSize), 11).Read(buf); err != nil {
		return 0, errs.E("bench.limits", errs.Internal, err)
	}
	files := int(max(total/int64(shardSize), int64(writers)))
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	for w := range writers {
		g.Go(func() error {
			for i := w; i < files; i += writers {
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := writeSynced(filepath.Join(d, fmt.Sprint(i)), buf); err != nil {
					return errs.E("bench.limits", errs.Unavailable, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return mbs(int64(files)*int64(shardSize), time.Since(start)), nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
