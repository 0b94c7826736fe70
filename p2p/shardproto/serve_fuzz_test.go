package shardproto

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/sync/semaphore"

	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
	"github.com/meridian-fed/meridian/p2p/wire"
)

// fuzzStream is a stream whose peer sent fixed bytes. Methods the server is not expected to
// call are left to the nil embedded interface, so calling one panics and the fuzzer says so.
type fuzzStream struct {
	network.Stream
	in  io.Reader
	out bytes.Buffer
}

func (s *fuzzStream) Read(p []byte) (int, error)      { return s.in.Read(p) }
func (s *fuzzStream) Write(p []byte) (int, error)     { return s.out.Write(p) }
func (s *fuzzStream) Close() error                    { return nil }
func (s *fuzzStream) Reset() error                    { return nil }
func (s *fuzzStream) SetDeadline(time.Time) error     { return nil }
func (s *fuzzStream) SetReadDeadline(time.Time) error { return nil }
func (s *fuzzStream) Conn() network.Conn              { return fuzzConn{} }

type fuzzConn struct{ network.Conn }

func (fuzzConn) RemotePeer() peer.ID { return "fuzz-peer" }

// FuzzServe plays arbitrary bytes as one stream of requests to a server over a store holding
// one block, with small caps. The handler must return without panicking, and what it writes
// must be a well-formed answer stream: frames of answer types, each TError a decodable remote
// error, each TData followed by exactly the body it announces, no byte left over.
func FuzzServe(f *testing.F) {
	block := []byte("block")
	c := fakestore.CID(block)
	frame := func(t wire.Type, p []byte) []byte {
		var b bytes.Buffer
		_ = wire.WriteFrame(&b, t, p)
		return b.Bytes()
	}
	get := frame(wire.TGet, new(wire.Enc).CID(c).Uvarint(1).Uvarint(3).Out())
	put := append(frame(wire.TPut, new(wire.Enc).CID(fakestore.CID([]byte("new"))).Uvarint(3).Out()), "new"...)
	f.Add(append(append(get, put...), frame(wire.THas, encodeHas([]cid.Cid{c, c}))...))
	f.Add(frame(wire.TDelete, new(wire.Enc).CID(c).Out()))
	f.Add(frame(wire.TPut, new(wire.Enc).CID(c).Uvarint(5).Out()))
	f.Add(frame(0x7f, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		st := fakestore.New()
		if err := st.Put(context.Background(), c, block); err != nil {
			t.Fatal(err)
		}
		lim := Limits{MaxShardSize: 4096, MaxHas: 16}.withDefaults()
		s := &Server{cfg: ServerConfig{Store: st, Limits: lim, IdleTimeout: time.Second, Logger: slog.New(slog.DiscardHandler)},
			budget: semaphore.NewWeighted(1 << 20)}
		s.ctx, s.cancel = context.WithCancel(context.Background())
		defer s.cancel()
		str := &fuzzStream{in: bytes.NewReader(in)}
		s.handle(str)
		checkAnswers(t, str.out.Bytes())
	})
}

// checkAnswers parses a server's output as answer frames and bodies.
func checkAnswers(t *testing.T, out []byte) {
	t.Helper()
	r := bytes.NewReader(out)
	for r.Len() > 0 {
		fr, err := wire.ReadFrame(r, wire.MaxFrame)
		if err != nil {
			t.Fatalf("answer stream %x: %v", out, err)
		}
		switch fr.Type {
		case wire.TOK, wire.THasRes:
		case wire.TError:
			if err := wire.DecodeError(fr.Payload); !wire.IsRemote(err) {
				t.Fatalf("undecodable error frame %x: %v", fr.Payload, err)
			}
		case wire.TData:
			d := wire.NewDec(fr.Payload)
			n := d.Uvarint()
			if d.Done() != nil || n > uint64(r.Len()) {
				t.Fatalf("TData %x announces %d bytes, %d follow", fr.Payload, n, r.Len())
			}
			_, _ = r.Seek(int64(n), io.SeekCurrent)
		default:
			t.Fatalf("answer of request type %s", fr.Type)
		}
	}
}
