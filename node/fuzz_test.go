package node

import (
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/meridian-fed/meridian/errs"
)

// FuzzAddrInfo feeds the addresses a joining peer sends with its join request (outside bytes,
// from a peer known only by its invite secret) to addrInfo, "\n"-separated: it must never
// panic, refuse with an Invalid error, and what it accepts keeps one address per input, each
// a multiaddr for the joiner that does not end in a /p2p/ component (it is dialled as the
// joiner, whatever peer an address names).
func FuzzAddrInfo(f *testing.F) {
	const id = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"
	f.Add("/ip4/10.0.0.1/tcp/4001\n/ip6/::1/tcp/4001/p2p/" + id)
	f.Add("/ip4/10.0.0.1/tcp/4001/p2p/" + id + "/p2p-circuit")
	f.Add("/dns4/example.org/tcp/1")
	f.Add("/ip4/10.0.0.1/tcp/99999")
	f.Fuzz(func(t *testing.T, in string) {
		joiner, err := peer.Decode(id)
		if err != nil {
			t.Fatal(err)
		}
		var addrs []string
		if in != "" {
			addrs = strings.Split(in, "\n")
		}
		info, err := addrInfo(joiner, addrs)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		if info.ID != joiner || len(info.Addrs) != len(addrs) {
			t.Fatalf("%q: info %v", in, info)
		}
		for i, m := range info.Addrs {
			if _, last := ma.SplitLast(m); last != nil && last.Code() == ma.P_P2P {
				t.Fatalf("%q: address %d %s still ends in /p2p/", in, i, m)
			}
		}
	})
}
