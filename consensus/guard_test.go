package consensus

import (
	"crypto/rand"
	"io"
	"net"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// peerConn is one end of a pipe that claims to come from a peer.
type peerConn struct {
	net.Conn
	from peer.ID
}

type peerAddr peer.ID

func (a peerAddr) Network() string { return "libp2p" }
func (a peerAddr) String() string  { return peer.ID(a).String() }

func (c peerConn) RemoteAddr() net.Addr { return peerAddr(c.from) }

// chanListener hands out queued conns.
type chanListener struct{ conns chan net.Conn }

func (l chanListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, io.EOF
	}
	return c, nil
}
func (l chanListener) Close() error   { return nil }
func (l chanListener) Addr() net.Addr { return peerAddr("") }

func randomPeer(t *testing.T) peer.ID {
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := peer.IDFromPublicKey(pub)
	return id
}

func TestVoterListenerRefusesKnownNonvoters(t *testing.T) {
	voter, nonvoter, unknown := randomPeer(t), randomPeer(t), randomPeer(t)
	l := chanListener{conns: make(chan net.Conn, 3)}
	refused, refusedPeer := net.Pipe()
	for _, c := range []net.Conn{peerConn{refused, nonvoter}, peerConn{pipeEnd(t), voter}, peerConn{pipeEnd(t), unknown}} {
		l.conns <- c
	}
	close(l.conns)
	vl := &voterListener{Listener: l, nonvoters: func() map[peer.ID]bool { return map[peer.ID]bool{nonvoter: true} }}
	for _, want := range []peer.ID{voter, unknown} {
		c, err := vl.Accept()
		if err != nil || c.RemoteAddr().String() != want.String() {
			t.Fatalf("Accept = %v, %v; want a stream from %s", c, err, want)
		}
	}
	if _, err := refusedPeer.Read(make([]byte, 1)); err == nil {
		t.Fatal("the non-voter's stream was not closed")
	}
	if _, err := vl.Accept(); err == nil {
		t.Fatal("Accept after the listener closed returned a stream")
	}
}

func pipeEnd(t *testing.T) net.Conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a
}

// changeRecorder is a Guard that records the membership changes it is asked about.
type changeRecorder struct{ got []Change }

func (r *changeRecorder) Proposal(_ peer.ID, cmd []byte) ([]byte, error) { return cmd, nil }
func (r *changeRecorder) Membership(_, _ peer.ID, c Change) error {
	r.got = append(r.got, c)
	return nil
}

// TestGuardSeesTheKindOfChange: the guard is told which membership change a forwarded
// request asks for, so it can allow a removal without allowing an add (and a non-voter
// without a voter); proposals and read barriers are not membership changes.
func TestGuardSeesTheKindOfChange(t *testing.T) {
	rec := &changeRecorder{}
	n := &Node{cfg: Config{Guard: rec}}
	from, target := randomPeer(t), randomPeer(t)
	for _, o := range []opcode{opAddVoter, opAddNonvoter, opRemoveServer, opPropose, opReadIndex} {
		if err := n.guardMembership(from, &request{op: o, peer: target.String()}); err != nil {
			t.Fatal(err)
		}
	}
	want := []Change{ChangeAddVoter, ChangeAddNonvoter, ChangeRemove}
	if len(rec.got) != len(want) {
		t.Fatalf("guard asked %v, want %v", rec.got, want)
	}
	for i := range want {
		if rec.got[i] != want[i] {
			t.Fatalf("guard asked %v, want %v", rec.got, want)
		}
	}
}
