package p2p

import (
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	libp2ptls "github.com/libp2p/go-libp2p/p2p/security/tls"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// BenchmarkSecurity streams 4 MiB writes over one stream between two bare hosts on
// loopback (TCP, yamux) secured three ways: Noise with the federation key's prologue (what New
// runs), pnet under Noise (what it ran before issue 12) and TLS 1.3 (no prologue: admission
// would rest on the gater alone). Compare ns/op and MB/s within one run:
//
//	go test -run '^$' -bench Security -benchtime 100x ./p2p/
func BenchmarkSecurity(b *testing.B) {
	psk := mustPSK(b)
	for _, tc := range []struct {
		name string
		opts []libp2p.Option
	}{
		{"noise-prologue", []libp2p.Option{libp2p.Security(noise.ID, noiseWithPrologue(Prologue(psk)))}},
		{"pnet-noise", []libp2p.Option{libp2p.Security(noise.ID, noise.New), libp2p.PrivateNetwork(psk)}},
		{"tls", []libp2p.Option{libp2p.Security(libp2ptls.ID, libp2ptls.New)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			a, z := bareHost(b, tc.opts), bareHost(b, tc.opts)
			z.SetStreamHandler(rawID, func(s network.Stream) {
				_, _ = io.Copy(io.Discard, s)
				_ = s.Close()
			})
			if err := a.Connect(testCtx(b), peer.AddrInfo{ID: z.ID(), Addrs: z.Addrs()}); err != nil {
				b.Fatal(err)
			}
			s, err := a.NewStream(testCtx(b), z.ID(), rawID)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 4<<20)
			b.SetBytes(int64(len(buf)))
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := s.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
			_ = s.CloseWrite()
			_, _ = io.Copy(io.Discard, s) // the reader has taken every byte
			// CPU of both ends per GB: steadier than MB/s on a machine shared with others.
			b.ReportMetric((processCPU()-cpu0).Seconds()/(float64(b.N)*float64(len(buf))/1e9), "CPU-s/GB")
		})
	}
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func bareHost(b *testing.B, opts []libp2p.Option) host.Host {
	base := []libp2p.Option{
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.DisableRelay(), libp2p.DisableMetrics(),
	}
	h, err := libp2p.New(append(base, opts...)...)
	if err != nil {
		b.Fatal(fmt.Errorf("bare host: %w", err))
	}
	b.Cleanup(func() { _ = h.Close() })
	return h
}
