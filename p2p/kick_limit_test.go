package p2p

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestKickStreamsAreLimitedPerPeer: a member holding kickPeerStreams repair-kick streams open
// cannot open another (the resource manager resets it before the handler reads it), so one
// member cannot make a node handle kicks without bound; a stream is served again once one
// closes. Without the KickID entry in the protocol limits the extra kick is read and
// answered with a clean close (EOF), and the test fails.
func TestKickStreamsAreLimitedPerPeer(t *testing.T) {
	psk, members := mustPSK(t), NewStaticMembership()
	var got atomic.Int64
	a := newTestNode(t, nodeOpts{psk: psk, members: members, kicks: func(peer.ID, Kick) { got.Add(1) }})
	b := newTestNode(t, nodeOpts{psk: psk, members: members})
	members.Add(a.Host().ID())
	members.Add(b.Host().ID())
	if err := b.Connect(testCtx(t), addrInfo(a)); err != nil {
		t.Fatal(err)
	}
	k := Kick{Manifest: kickCID(t), Stripe: 1}
	var held []network.Stream
	for range kickPeerStreams {
		st, err := b.Host().NewStream(testCtx(t), a.Host().ID(), KickID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Write(k.Encode()[:1]); err != nil { // open, and not finished
			t.Fatal(err)
		}
		held = append(held, st)
	}
	if err := sendWhole(testCtx(t), b, a, k); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("kick beyond %d open streams from one peer: %v; want the stream reset", kickPeerStreams, err)
	}
	for _, st := range held {
		_ = st.Reset()
	}
	if got.Load() != 0 {
		t.Fatalf("%d kicks handled; want none", got.Load())
	}
	eventually(t, "a kick is served again once the held streams are gone", func() bool {
		return errors.Is(sendWhole(testCtx(t), b, a, k), io.EOF) && got.Load() == 1
	})
}

// sendWhole opens a kick stream from b to a, writes k, closes its side and reads to the end:
// io.EOF when a read the kick and closed the stream, another error when it was refused.
func sendWhole(ctx context.Context, b, a *Node, k Kick) error {
	st, err := b.Host().NewStream(ctx, a.Host().ID(), KickID)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Write(k.Encode()); err != nil {
		return err
	}
	if err := st.CloseWrite(); err != nil {
		return err
	}
	_, err = st.Read(make([]byte, 1))
	return err
}
