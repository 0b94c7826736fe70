package repair

import (
	"context"
	"sync"
)

// pool runs the stripe repairs of one pass, at most limit at once (Config.Workers). Go waits for
// a free slot, so a pass holds the shards of at most limit stripes in memory, and the catalog
// walk and the next batch's HAS round go on while earlier stripes are fetched, decoded and
// stored. Every goroutine it starts has ended when Wait returns.
type pool struct {
	slots chan struct{}
	wg    sync.WaitGroup
}

func newPool(limit int) *pool { return &pool{slots: make(chan struct{}, limit)} }

// Go runs f in a new goroutine once fewer than limit are running. If ctx ends first it returns
// ctx's error and f never runs. f must itself stop soon once ctx ends.
func (p *pool) Go(ctx context.Context, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.wg.Go(func() {
		defer func() { <-p.slots }()
		f()
	})
	return nil
}

// Wait returns once every f started by Go has returned.
func (p *pool) Wait() { p.wg.Wait() }
