package scalesim

import (
	"fmt"
	"math/rand/v2"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
)

// Shape is the federation simulated: Nodes nodes spread round-robin over Members members, and
// the members round-robin over Regions regions (each member sits in one region).
type Shape struct {
	Nodes, Members, Regions int
	Seed                    uint64 // peer identities and stripe keys derive from it
}

// Validate reports whether the shape can be built.
func (s Shape) Validate() error {
	const op = "scalesim.Shape"
	switch {
	case s.Members < 1 || s.Regions < 1:
		return errs.Errorf(op, errs.Invalid, "need at least one member and one region (got %d members, %d regions)", s.Members, s.Regions)
	case s.Nodes < s.Members:
		return errs.Errorf(op, errs.Invalid, "%d nodes cannot cover %d members: give --nodes ≥ --members", s.Nodes, s.Members)
	case s.Regions > s.Members:
		return errs.Errorf(op, errs.Invalid, "%d regions need at least as many members (got %d): lower --regions", s.Regions, s.Members)
	}
	return nil
}

// Fed is a simulated membership: nodes with real libp2p identities.
type Fed struct {
	Nodes []placement.Node
	Keys  []crypto.PrivKey // Keys[i] is the identity of Nodes[i]
	rng   *rand.Rand
}

// NewFed builds the membership of s with deterministic ed25519 identities.
func NewFed(s Shape) (*Fed, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	f := &Fed{rng: rand.New(rand.NewChaCha8(seed32(s.Seed)))}
	for i := range s.Nodes {
		m := i % s.Members
		if err := f.add(memberName(m), regionName(m%s.Regions)); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// NewNode makes a node with a fresh identity, not yet in the membership.
func (f *Fed) NewNode(member, region string) (placement.Node, crypto.PrivKey, error) {
	key, _, err := crypto.GenerateEd25519Key(readerOf(f.rng))
	if err != nil {
		return placement.Node{}, nil, errs.E("scalesim.NewNode", errs.Internal, err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return placement.Node{}, nil, errs.E("scalesim.NewNode", errs.Internal, err)
	}
	return placement.Node{ID: id.String(), Member: member, Region: region, Active: true, FreeBytes: 1 << 40}, key, nil
}

func (f *Fed) add(member, region string) error {
	n, key, err := f.NewNode(member, region)
	if err != nil {
		return err
	}
	f.Nodes = append(f.Nodes, n)
	f.Keys = append(f.Keys, key)
	return nil
}

func memberName(i int) string { return fmt.Sprintf("m%02d", i) }

// regionName gives region i a two-letter code, as placement expects of ISO 3166 codes.
func regionName(i int) string { return string([]byte{'A' + byte(i/26%26), 'A' + byte(i%26)}) }

func seed32(s uint64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(s >> (8 * i))
	}
	return b
}

// readerOf turns a seeded generator into an io.Reader for key generation.
type rngReader struct{ r *rand.Rand }

func readerOf(r *rand.Rand) rngReader { return rngReader{r} }

func (r rngReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

// StripeKeys returns n stripe keys derived from seed.
func StripeKeys(n int, seed uint64) [][32]byte {
	r := rand.New(rand.NewChaCha8(seed32(seed ^ 0x5eed)))
	out := make([][32]byte, n)
	for i := range out {
		for j := range 4 {
			v := r.Uint64()
			for b := range 8 {
				out[i][8*j+b] = byte(v >> (8 * b))
			}
		}
	}
	return out
}
