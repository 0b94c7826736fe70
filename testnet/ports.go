package testnet

// Free loopback ports for a federation, and waiting for a condition under a deadline.

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// FreePorts returns n TCP ports on 127.0.0.1 that were free a moment ago.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, errs.E("testnet.FreePorts", errs.Unavailable, err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// waitFor polls f until it returns nil or ctx ends, returning f's last error then.
func waitFor(ctx context.Context, f func() error) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		err := f()
		var stop backoffStop
		if err == nil || errors.As(err, &stop) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// backoffStop makes waitFor give up at once.
type backoffStop struct{ error }

func (b backoffStop) Unwrap() error { return b.error }
