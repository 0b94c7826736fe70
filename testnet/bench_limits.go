package testnet

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/klauspost/reedsolomon"
	mh "github.com/multiformats/go-multihash"
	"github.com/zeebo/blake3"
	"golang.org/x/sync/errgroup"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

// Limits are what the machine does alone, measured in the same run as the federation figures:
// one core each (per second of that thread's CPU time, so other processes' load hardly moves
// them) for memcpy, sha256, blake3 (shard and
// manifest CIDs), AES-256-GCM, pnet's XSalsa20 (no longer run; kept to show what it cost),
// noise's ChaCha20-Poly1305 and Reed-Solomon (k+m of the bench's placement), and k+m stores on
// the nodes' disk writing shard-sized blocks at once, the way a publish writes a stripe.
type Limits struct {
	MemcpyMBs, SHA256MBs, AESGCMMBs, RSEncodeMBs float64
	BLAKE3MBs                                    float64
	XSalsa20MBs, ChaChaPolyMBs                   float64       // pnet's and noise's ciphers
	DiskFsyncMBs                                 float64       // k+m stores writing at once
	StripeWrite                                  time.Duration // median time for k+m stores to write the shards of a 1 MiB object
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
	l.BLAKE3MBs = rate(func() {
		for range limitBytes / len(buf) {
			blake3.Sum256(buf)
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
	l.XSalsa20MBs, l.ChaChaPolyMBs = cipherRates(buf)
	var err error
	l.RSEncodeMBs, err = rsRate(buf, r.K, r.M)
	if err != nil {
		return err
	}
	if l.DiskFsyncMBs, _, err = storeLimits(ctx, c.opts.Dir, min(o.Size, 256<<20), len(buf)/r.K, r.K+r.M); err != nil {
		return err
	}
	// The latency bound of a 1 MiB publish: its one stripe's shards, fsynced at once.
	_, l.StripeWrite, err = storeLimits(ctx, c.opts.Dir, 0, (1<<20)/r.K+1, r.K+r.M)
	return err
}

// rate runs f, which processes limitBytes on the calling goroutine, and returns MB/s per
// second of that thread's CPU time: on a machine shared with other processes the wall clock
// counts the time the core was taken away, which made the one-core limits (and the design
// floor priced from them) swing 3-fold with the load. Without a thread clock it falls back to
// the wall clock.
func rate(f func()) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	cpu0, ok := threadCPU()
	f()
	if cpu1, ok1 := threadCPU(); ok && ok1 && cpu1 > cpu0 {
		return mbs(limitBytes, cpu1-cpu0)
	}
	return mbs(limitBytes, time.Since(start))
}

// rusageThread is Linux's RUSAGE_THREAD: getrusage for the calling thread only.
const rusageThread = 1

// threadCPU is the user+system CPU time of the calling OS thread.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// rsRate encodes stripes of len(buf) data bytes as k+m, counting data bytes.
func rsRate(buf []byte, k, m int) (float64, error) {
	enc, err := reedsolomon.New(k, m, reedsolomon.WithMaxGoroutines(1)) // one core, as the other limits
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

// storeLimits measures what the disk allows the stores: rounds of writers blocks of
// shardSize put at once into writers stores on the nodes' disk, the way a publish writes one
// stripe (temp file, fsync, rename, directory fsync, by the store's own code; the bytes are
// not hashed, PutVerified trusts the names). It returns the MB/s over all rounds and the
// median time of one round: no publish can be acknowledged faster than that.
func storeLimits(ctx context.Context, dir string, total int64, shardSize, writers int) (float64, time.Duration, error) {
	const op = "bench.limits"
	d, err := os.MkdirTemp(dir, "disk-limit-")
	if err != nil {
		return 0, 0, errs.E(op, errs.Unavailable, err)
	}
	defer os.RemoveAll(d)
	stores := make([]*store.Disk, writers)
	for i := range stores {
		if stores[i], err = store.OpenDisk(filepath.Join(d, fmt.Sprint(i)), store.DiskOptions{}); err != nil {
			return 0, 0, err
		}
		defer stores[i].Close()
	}
	buf := make([]byte, shardSize)
	if _, err := data(int64(shardSize), 11).Read(buf); err != nil {
		return 0, 0, errs.E(op, errs.Internal, err)
	}
	rounds := int(max(total/int64(shardSize*writers), 20))
	var took []time.Duration
	start := time.Now()
	for r := range rounds {
		t := time.Now()
		g, gctx := errgroup.WithContext(ctx)
		for w, st := range stores {
			c := cid.NewCidV1(cid.Raw, must(mh.Sum(fmt.Appendf(nil, "%d/%d", r, w), mh.SHA2_256, -1)))
			g.Go(func() error { return st.PutVerified(gctx, c, buf) })
		}
		if err := g.Wait(); err != nil {
			return 0, 0, err
		}
		took = append(took, time.Since(t))
	}
	p50, _ := percentiles(took)
	return mbs(int64(rounds*writers*shardSize), time.Since(start)), p50, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
