package chunker

import (
	"runtime"

	"github.com/meridian-fed/meridian/errs"
)

// Stripe size bounds. MaxStripeSize bounds the memory one stripe in flight takes.
const (
	MinStripeSize = 64 << 10
	MaxStripeSize = 64 << 20
)

// MaxWorkers bounds Params.Workers: memory in flight is 2 × Workers stripes.
const MaxWorkers = 256

// Params are the codec parameters of an encoding.
type Params struct {
	K, M       int // data and parity shards per stripe; K+M at most 256
	StripeSize int // plaintext bytes per stripe: a divisor (>= 64 KiB) or multiple of LeafSize (1 MiB)
	Workers    int // stripes processed in parallel (2 × Workers in flight); 0 means GOMAXPROCS
}

// DefaultParams are 3+2 with 4 MiB stripes: any 2 of 5 holders may be lost, at 67% overhead.
func DefaultParams() Params { return Params{K: 3, M: 2, StripeSize: 4 << 20} }

// Validate reports parameters out of range with kind Invalid.
func (p Params) Validate() error {
	const op = "chunker.Params"
	switch {
	case p.K < 1 || p.M < 1 || p.K+p.M > 256:
		return errs.Errorf(op, errs.Invalid, "k=%d m=%d: need k >= 1, m >= 1 and k+m <= 256", p.K, p.M)
	case p.StripeSize < MinStripeSize || p.StripeSize > MaxStripeSize ||
		(p.StripeSize%LeafSize != 0 && LeafSize%p.StripeSize != 0):
		return errs.Errorf(op, errs.Invalid,
			"stripe size %d: use 64, 128, 256 or 512 KiB, or a multiple of 1 MiB up to %d MiB", p.StripeSize, MaxStripeSize>>20)
	case p.Workers < 0 || p.Workers > MaxWorkers:
		return errs.Errorf(op, errs.Invalid, "workers %d: use 0 (one per CPU) up to %d", p.Workers, MaxWorkers)
	}
	return nil
}

// workers is the effective number of parallel stripe workers.
func (p Params) workers() int {
	if p.Workers > 0 {
		return p.Workers
	}
	return runtime.GOMAXPROCS(0)
}
