package testnet

import (
	"context"
	"io"
	"time"

	"github.com/klauspost/reedsolomon"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	"golang.org/x/sync/errgroup"

	"github.com/meridian-fed/meridian/errs"
)

// limits measures the machine's transport and Reed-Solomon rates, for comparison with the
// repair throughput measured right after.
func (s *scorer) limits(ctx context.Context) error {
	var err error
	if s.card.TransportMBs, err = transportRate(ctx, s.c, 32<<20); err != nil {
		return err
	}
	s.card.RepairBoundMBs = s.card.TransportMBs / scoreK
	s.card.RSDecodeMBs, err = rsDecodeRate(4<<20, scoreK, scoreM)
	return err
}

// scoreProto is the stream protocol of the transport measurement: the receiver discards.
const scoreProto = protocol.ID("/meridian/scorecard/sink/1.0.0")

// transportRate streams n bytes from node 2i to node 2i+1 for every pair at once and returns
// the total MB/s.
func transportRate(ctx context.Context, c *Cluster, n int64) (float64, error) {
	pairs := c.Len() / 2
	for i := range pairs {
		sink := c.Node(2*i + 1).Host()
		sink.SetStreamHandler(scoreProto, func(st network.Stream) {
			io.Copy(io.Discard, st) //nolint:errcheck // the sender measures
			st.Close()
		})
		defer sink.RemoveStreamHandler(scoreProto)
	}
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	for i := range pairs {
		g.Go(func() error { return sendToSink(gctx, c, 2*i, 2*i+1, n) })
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return mbPerSec(int64(pairs)*n, time.Since(start)), nil
}

// sendToSink streams n bytes from node from to node to over scoreProto and returns once the
// receiver has read them all.
func sendToSink(ctx context.Context, c *Cluster, from, to int, n int64) error {
	const op = "scorecard.transport"
	st, err := c.Node(from).Host().NewStream(ctx, c.Node(to).PeerID(), scoreProto)
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	defer st.Close()
	buf := make([]byte, 256<<10)
	for sent := int64(0); sent < n; sent += int64(len(buf)) {
		if _, err := st.Write(buf); err != nil {
			return errs.E(op, errs.Unavailable, err)
		}
	}
	if err := st.CloseWrite(); err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	_, err = io.Copy(io.Discard, st) // until the receiver has read everything
	return err
}

// rsDecodeRate rebuilds shard 0 of a k+m stripe of stripe bytes from the others, repeatedly,
// for 256 MB of rebuilt bytes, and returns MB/s of rebuilt shard bytes.
func rsDecodeRate(stripe, k, m int) (float64, error) {
	const op = "scorecard.rs"
	enc, err := reedsolomon.New(k, m)
	if err != nil {
		return 0, errs.E(op, errs.Invalid, err)
	}
	shards, err := enc.Split(make([]byte, stripe))
	if err == nil {
		err = enc.Encode(shards)
	}
	if err != nil {
		return 0, errs.E(op, errs.Internal, err)
	}
	rounds := (256 << 20) / len(shards[0])
	start := time.Now()
	for range rounds {
		shards[0] = shards[0][:0]
		if err := enc.ReconstructData(shards); err != nil {
			return 0, errs.E(op, errs.Internal, err)
		}
	}
	return mbPerSec(int64(rounds*len(shards[0])), time.Since(start)), nil
}

func mbPerSec(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds() / 1e6
}
