//go:build integration

package p2p

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	manet "github.com/multiformats/go-multiaddr/net"
)

// Two nodes that list each other as members but hold different federation keys cannot
// finish a Noise handshake: the key, bound in as the prologue, is all that stops them (the
// gater would admit them). The failure is prompt, not a stalled read.
func TestIntegrationPrologueWrongKeyFailsHandshake(t *testing.T) {
	members := NewStaticMembership()
	a := newTestNode(t, nodeOpts{psk: mustPSK(t), members: members})
	for name, o := range map[string]nodeOpts{
		"other key": {psk: mustPSK(t), members: members},
		"no key":    {insecure: true, members: members},
	} {
		b := newTestNode(t, o)
		members.Add(a.Host().ID())
		members.Add(b.Host().ID())
		ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
		start := time.Now()
		err := b.Host().Connect(ctx, addrInfo(a))
		cancel()
		if err == nil {
			t.Fatalf("%s: the handshake succeeded", name)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: the handshake took %v to fail; a prologue mismatch fails at the second message", name, d)
		}
		if a.Host().Network().Connectedness(b.Host().ID()) == network.Connected {
			t.Errorf("%s: a lists b as connected", name)
		}
	}
	// The same key still connects.
	c := newTestNode(t, nodeOpts{psk: a.cfg.PSK, members: members})
	members.Add(c.Host().ID())
	if err := c.Host().Connect(testCtx(t), addrInfo(a)); err != nil {
		t.Fatalf("same key: %v", err)
	}
	eventually(t, "handshake failures counted", func() bool { return a.Denials().Count(ReasonHandshake) >= 2 })
}

// No pnet: a listener with a federation key opens a TCP connection with multistream-select
// in the clear (as every libp2p TCP listener does), not with pnet's 24-byte nonce followed by
// XSalsa20 ciphertext. Everything after the Noise handshake is encrypted once, by Noise.
func TestIntegrationNoPnet(t *testing.T) {
	a := newTestNode(t, nodeOpts{psk: mustPSK(t), members: NewStaticMembership()})
	na, err := manet.ToNetAddr(a.Host().Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", na.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	// Speak first, as a dialer does; a pnet listener would wait for our nonce instead.
	if _, err := conn.Write([]byte("\x13/multistream/1.0.0\n")); err != nil {
		t.Fatal(err)
	}
	want := []byte("\x13/multistream/1.0.0\n")
	got := make([]byte, len(want))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("read the listener's first bytes: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the listener's first bytes are %q, want the multistream header in the clear (is pnet back?)", got)
	}
}

// Migration: a node that read its key from a legacy pnet key file and one that read the same
// key from a current file connect; both derive the same prologue.
func TestIntegrationLegacyKeyFileInterop(t *testing.T) {
	k := mustPSK(t)
	legacy, err := DecodePSK([]byte("/key/swarm/psk/1.0.0/\n/base16/\n" + hex.EncodeToString(k) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	current, err := DecodePSK(EncodePSK(k))
	if err != nil {
		t.Fatal(err)
	}
	members := NewStaticMembership()
	a := newTestNode(t, nodeOpts{psk: legacy, members: members})
	b := newTestNode(t, nodeOpts{psk: current, members: members})
	members.Add(a.Host().ID())
	members.Add(b.Host().ID())
	if err := b.Host().Connect(testCtx(t), addrInfo(a)); err != nil {
		t.Fatalf("legacy and current key files of one key do not connect: %v", err)
	}
	if _, err := b.Host().NewStream(testCtx(t), a.Host().ID(), JoinID); err != nil {
		t.Fatalf("no stream between them: %v", err)
	}
}
