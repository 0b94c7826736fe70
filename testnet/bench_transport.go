package testnet

import (
	"context"
	"crypto/rand"
	"io"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/upgrader"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"

	"github.com/meridian-fed/meridian/errs"
)

// Transport is one way to secure a connection, measured on a pair of bare hosts in this
// process (TCP on 127.0.0.1, yamux, one stream): MB/s and the CPU seconds the whole process
// spent per GB moved (both ends' work).
type Transport struct {
	Name     string
	MBs      float64
	CPUPerGB float64
}

// transportChoices are the candidates of issue 12: what the federation runs (Noise bound to
// the key by its prologue), what it ran before (pnet's XSalsa20 under Noise), and TLS 1.3,
// which has no prologue and would leave admission to the gater alone.
func transportChoices(key []byte) []struct {
	name string
	opts []libp2p.Option
} {
	prologue := func(id protocol.ID, k crypto.PrivKey, m []upgrader.StreamMuxer) (*noise.SessionTransport, error) {
		t, err := noise.New(id, k, m)
		if err != nil {
			return nil, err
		}
		return t.WithSessionOptions(noise.Prologue(key))
	}
	return []struct {
		name string
		opts []libp2p.Option
	}{
		{"noise + prologue (now)", []libp2p.Option{libp2p.Security(noise.ID, prologue)}},
		{"pnet + noise (before)", []libp2p.Option{libp2p.Security(noise.ID, noise.New), libp2p.PrivateNetwork(key)}},
		{"tls 1.3", []libp2p.Option{libp2p.Security(libp2ptls.ID, libp2ptls.New)}},
	}
}

// benchTransports streams n bytes over each candidate in turn.
func benchTransports(ctx context.Context, n int64) ([]Transport, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	var out []Transport
	for _, tc := range transportChoices(key) {
		t, err := benchTransport(ctx, tc.opts, n)
		if err != nil {
			return out, errs.Errorf("bench.transport", errs.Internal, "%s: %v", tc.name, err)
		}
		t.Name = tc.name
		out = append(out, t)
	}
	return out, nil
}

func bareHost(opts []libp2p.Option) (host.Host, error) {
	base := []libp2p.Option{
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.DisableRelay(), libp2p.DisableMetrics(),
	}
	return libp2p.New(append(base, opts...)...)
}

func benchTransport(ctx context.Context, opts []libp2p.Option, n int64) (Transport, error) {
	a, err := bareHost(opts)
	if err != nil {
		return Transport{}, err
	}
	defer a.Close()
	b, err := bareHost(opts)
	if err != nil {
		return Transport{}, err
	}
	defer b.Close()
	b.SetStreamHandler(rawProto, func(s network.Stream) {
		io.Copy(io.Discard, s) //nolint:errcheck // the sender measures
		s.Close()
	})
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		return Transport{}, err
	}
	s, err := a.NewStream(ctx, b.ID(), rawProto)
	if err != nil {
		return Transport{}, err
	}
	start, cpu0 := time.Now(), processCPU()
	if err := sendAll(s, n); err != nil {
		return Transport{}, err
	}
	return Transport{MBs: mbs(n, time.Since(start)), CPUPerGB: cpuPerGB(cpu0, n)}, nil
}

// sendAll writes n bytes, closes the write side and waits for the reader to finish.
func sendAll(s network.Stream, n int64) error {
	buf := make([]byte, 1<<20)
	for sent := int64(0); sent < n; sent += int64(len(buf)) {
		if _, err := s.Write(buf); err != nil {
			return err
		}
	}
	if err := s.CloseWrite(); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, s)
	return err
}
