package p2p

import (
	"bufio"
	"context"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/wire"
)

// JoinID is the protocol a new node uses to redeem its invite. It is the only protocol a
// non-member may open (with identify).
const JoinID protocol.ID = "/meridian/join/1.0.0"

const (
	maxSecret   = 256
	joinTimeout = 30 * time.Second
)

// handleJoin reads one join request, lets Invites redeem it and answers. A stranger whose
// invite was refused (unknown, used, expired: an Unauthenticated or Permission error) is
// counted, disconnected at once and refused at the gate for penaltyTime, so it cannot guess
// again. A valid invite with a request the inviter cannot take (a new member without a region,
// no quorum) is only answered: the invite stays valid, the connection stays (the join deadline
// still applies), and the joiner may fix its request and retry at once.
func (n *Node) handleJoin(st network.Stream) {
	defer st.Close()
	p := st.Conn().RemotePeer()
	addr := st.Conn().RemoteMultiaddr().String()
	_ = st.SetDeadline(time.Now().Add(joinTimeout))
	ctx, cancel := context.WithTimeout(n.ctx, joinTimeout)
	defer cancel()
	resp, err := n.redeem(ctx, p, st)
	if err != nil {
		n.cfg.Logger.Info("join refused", "peer", p, "addr", addr, "err", err)
		_ = wire.WriteError(st, err)
		if !n.cfg.Membership.IsMember(p) && badInvite(err) {
			n.denials.Add(p, addr, ReasonBadInvite)
			n.gater.penalty.add(p, time.Now()) // no redial to guess again
			// Let the answer reach the joiner (it closes its side once read), then cut it off.
			_ = st.CloseWrite()
			_ = st.SetReadDeadline(time.Now().Add(time.Second))
			_, _ = io.Copy(io.Discard, io.LimitReader(st, wire.MaxFrame))
			_ = n.host.Network().ClosePeer(p)
		}
		return
	}
	n.cfg.Logger.Info("peer joined", "peer", p, "addr", addr)
	_ = wire.WriteFrame(st, wire.TOK, resp)
}

// badInvite tells whether a join failed on its invite rather than on its request.
func badInvite(err error) bool {
	return errs.Is(err, errs.Unauthenticated) || errs.Is(err, errs.Permission)
}

func (n *Node) redeem(ctx context.Context, p peer.ID, st network.Stream) ([]byte, error) {
	const op = "p2p.join"
	payload, err := wire.Expect(bufio.NewReader(st), wire.TJoin, wire.MaxFrame)
	if err != nil {
		return nil, err
	}
	d := wire.NewDec(payload)
	secret := d.Bytes(maxSecret)
	req := d.Rest()
	if d.Err != nil {
		return nil, d.Err
	}
	if n.cfg.Invites == nil {
		return nil, errs.Errorf(op, errs.Unauthenticated, "this node accepts no invites; ask an admin of the federation for a new one")
	}
	resp, err := n.cfg.Invites.Redeem(ctx, p, secret, req)
	if err != nil {
		return nil, err
	}
	if len(resp) > wire.MaxFrame {
		return nil, errs.Errorf(op, errs.Internal, "join answer of %d bytes exceeds the frame cap", len(resp))
	}
	return resp, nil
}

// Join connects to an inviting node and redeems a one-time invite: secret is the invite's
// secret, req is passed to the inviter's Invites.Redeem, and its answer is returned. The
// inviter must be a member in this node's own Membership (e.g. a StaticMembership built from
// the invite), or the gater refuses the connection.
func (n *Node) Join(ctx context.Context, inviter peer.AddrInfo, secret, req []byte) ([]byte, error) {
	const op = "p2p.Join"
	if len(secret) > maxSecret {
		return nil, errs.Errorf(op, errs.Invalid, "invite secret of %d bytes is too long; check the invite", len(secret))
	}
	if err := n.host.Connect(ctx, inviter); err != nil {
		return nil, errs.Errorf(op, errs.Unavailable, "connect to inviter %s: %w; check the invite's addresses and federation key", inviter.ID, err)
	}
	st, err := n.host.NewStream(ctx, inviter.ID, JoinID)
	if err != nil {
		return nil, errs.Errorf(op, errs.Unavailable, "open join stream to %s: %w; if this node presented an unknown or used invite in the last %v, the inviter refuses it until then: get a new invite and retry after that", inviter.ID, err, penaltyTime)
	}
	defer st.Close()
	stop := context.AfterFunc(ctx, func() { _ = st.Reset() })
	defer stop()
	_ = st.SetDeadline(time.Now().Add(joinTimeout))
	if err := wire.WriteFrame(st, wire.TJoin, new(wire.Enc).Bytes(secret).Raw(req).Out()); err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	resp, err := wire.Expect(bufio.NewReader(st), wire.TOK, wire.MaxFrame)
	if err != nil && !wire.IsRemote(err) {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	return resp, err
}
