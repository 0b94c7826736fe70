package p2p

import (
	"context"
	"encoding/binary"
	"io"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/meridian-fed/meridian/errs"
)

// KickID is the protocol by which a node that met a corrupt or missing shard tells the
// stripe's repairing node at once (node/badshard.go). Only members may open it (the guard
// lets strangers open the join protocol alone); the receiver's repair loop coalesces kicks
// and paces the passes they cause, so a member cannot keep it busy more than half the time.
const KickID protocol.ID = "/meridian/repair-kick/1.0.0"

const (
	kickVersion = 1
	maxKick     = 1 + 32 + binary.MaxVarintLen64 + 128 // version, key, stripe, manifest CID
	kickTimeout = 5 * time.Second
)

// Kick names the stripe found short of a shard: its placement key (which nodes hold and
// repair it), and for the log the manifest and the stripe's index in it.
type Kick struct {
	Key      [32]byte
	Manifest cid.Cid
	Stripe   int
}

// Encode returns the kick's wire form: a version byte, the key, the stripe as a uvarint and
// the manifest CID's bytes.
func (k Kick) Encode() []byte {
	b := make([]byte, 0, maxKick)
	b = append(b, kickVersion)
	b = append(b, k.Key[:]...)
	b = binary.AppendUvarint(b, uint64(k.Stripe))
	return append(b, k.Manifest.Bytes()...)
}

// DecodeKick parses a kick received from a peer.
func DecodeKick(b []byte) (Kick, error) {
	const op = "p2p.DecodeKick"
	var k Kick
	if len(b) < 1+32+1 || len(b) > maxKick {
		return k, errs.Errorf(op, errs.Invalid, "repair kick of %d bytes", len(b))
	}
	if b[0] != kickVersion {
		return k, errs.Errorf(op, errs.Invalid, "repair kick version %d, want %d: upgrade the sending node", b[0], kickVersion)
	}
	copy(k.Key[:], b[1:33])
	s, n := binary.Uvarint(b[33:])
	if n <= 0 || s > 1<<31 {
		return k, errs.Errorf(op, errs.Invalid, "repair kick: bad stripe index")
	}
	k.Stripe = int(s)
	c, err := cid.Cast(b[33+n:])
	if err != nil {
		return k, errs.Errorf(op, errs.Invalid, "repair kick: manifest CID: %v", err)
	}
	k.Manifest = c
	return k, nil
}

// SendKick tells peer p about the stripe k. It returns once the message is written.
func (n *Node) SendKick(ctx context.Context, p peer.ID, k Kick) error {
	const op = "p2p.SendKick"
	ctx, cancel := context.WithTimeout(ctx, kickTimeout)
	defer cancel()
	st, err := n.host.NewStream(ctx, p, KickID)
	if err != nil {
		return errs.E(op, errs.Unavailable, err)
	}
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(kickTimeout))
	if _, err := st.Write(k.Encode()); err != nil {
		st.Reset()
		return errs.E(op, errs.Unavailable, err)
	}
	return nil
}

// handleKick reads one kick and hands it to Config.Kicks.
func (n *Node) handleKick(st network.Stream) {
	defer st.Close()
	_ = st.SetDeadline(time.Now().Add(kickTimeout))
	b, err := io.ReadAll(io.LimitReader(st, maxKick+1))
	if err != nil {
		st.Reset()
		return
	}
	k, err := DecodeKick(b)
	if err != nil {
		n.cfg.Logger.Debug("bad repair kick", "peer", st.Conn().RemotePeer(), "err", err)
		st.Reset()
		return
	}
	n.cfg.Kicks(st.Conn().RemotePeer(), k)
}
