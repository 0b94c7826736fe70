package catalog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
)

// Fixed age recipients of the test members (the identities are not needed: apply never
// decrypts).
var recipients = map[string]string{
	"nchc": "age1raj2cr5f38edr63f73c9qxrjmpu26ykym6knp0rmxdkrus4jv30sxkxtq8",
	"aist": "age1nyeg52npzjv79kn2w4afk4sq73plt9pw4wqljawunn4ssrvzkd6q7adltc",
	"esa":  "age1rd2nzpx8dnj4u3unhe39qs0c5nwm3cqmzjycx23a03vqgmlpza8qanvgev",
	"jaxa": "age1hkewz6gjk7a7enrlqvxg5r2h06m5lqeag09htj6etdtgd0mzv3ds7yxy7t",
}

var regions = map[string]string{"nchc": "TW", "aist": "JP", "esa": "FR", "jaxa": "JP"}

// seedKey derives a deterministic ed25519 key from a name.
func seedKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("meridian-test-key:" + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// peerOf returns the libp2p peer ID of a node key.
func peerOf(t testing.TB, priv ed25519.PrivateKey) string {
	k, err := crypto.UnmarshalEd25519PublicKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

func token(name string) Hash { return TokenHash([]byte("token:" + name)) }

func member(id string) Member {
	return Member{ID: id, Name: "Institution " + id, Region: regions[id], Recipient: recipients[id]}
}

// fixture is a federation under test: a state plus the log of every command fed to it.
type fixture struct {
	t     testing.TB
	s     *State
	index uint64
	time  int64
	log   [][]byte
	peers map[string]string // member -> its first node's peer ID
}

// newFixture bootstraps a federation of nchc (with its admin), aist and esa, one node each,
// and users: <m>-admin (admin), <m>-pub (publish, own key), <m>-read (read).
func newFixture(t testing.TB) *fixture {
	f := &fixture{t: t, s: New(), time: 1_700_000_000_000_000_000, peers: map[string]string{}}
	f.peers["nchc"] = peerOf(t, seedKey("node-nchc"))
	f.must("nchc-admin", &Bootstrap{
		Federation: Federation{Name: "test", DefaultPlacement: Placement{K: 3, M: 2}},
		Member:     member("nchc"),
		Admin:      User{ID: "nchc-admin", Member: "nchc", Roles: policy.RoleAdmin, Tokens: []Hash{token("nchc-admin")}},
		Node:       &Node{PeerID: f.peers["nchc"], Member: "nchc", Addrs: []string{"/ip4/127.0.0.1/tcp/4001"}, Voter: true, Capacity: 1 << 40, State: NodeActive},
	})
	for _, m := range []string{"aist", "esa"} {
		admin := &User{ID: m + "-admin", Member: m, Roles: policy.RoleAdmin, Tokens: []Hash{token(m + "-admin")}}
		f.must("nchc-admin", &AddMember{Member: member(m), Admin: admin})
		f.peers[m] = peerOf(t, seedKey("node-"+m))
		f.must("nchc-admin", &AddNode{Node: Node{PeerID: f.peers[m], Member: m, Capacity: 1 << 40, State: NodeActive}})
	}
	for _, m := range []string{"nchc", "aist", "esa"} {
		pub := seedKey(m + "-pub").Public().(ed25519.PublicKey)
		f.must(m+"-admin", &AddUser{User: User{ID: m + "-pub", Member: m, Roles: policy.RolePublish, Key: pub, Tokens: []Hash{token(m + "-pub")}}})
		f.must(m+"-admin", &AddUser{User: User{ID: m + "-read", Member: m, Roles: policy.RoleRead}})
	}
	return f
}

// encode builds command bytes stamped with the next leader time.
// A governance command not signed yet is signed as a node of the actor's member would sign
// it: with the key "node-<member>" of its first node.
func (f *fixture) encode(actor string, body Body) []byte {
	if g, ok := body.(GovBody); ok && g.govSig().Signer == "" {
		f.signGov(g, actor)
	}
	c, err := NewCommand(actor, body)
	if err != nil {
		f.t.Fatal(err)
	}
	f.time += 1_000_000
	c.Time = f.time
	b, err := c.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// run applies a command at the next index and returns the result.
func (f *fixture) run(actor string, body Body) Result {
	return f.applyBytes(f.encode(actor, body))
}

func (f *fixture) applyBytes(b []byte) Result {
	f.index++
	f.log = append(f.log, b)
	return f.s.Apply(f.index, b)
}

// must runs a command that has to be accepted.
func (f *fixture) must(actor string, body Body) Result {
	f.t.Helper()
	r := f.run(actor, body)
	if r.Err != nil {
		f.t.Fatalf("%s by %s: %v", body.Kind(), actor, r.Err)
	}
	return r
}

// record builds and signs a record of name in catalog, signed by signer's key.
func (f *fixture) record(user, signer, catalog, name string, meta map[string]any) (cid.Cid, []byte) {
	member := f.s.Subject(user).Member
	content := []byte("content of " + name)
	sum := sha256.Sum256(content)
	h, err := mh.Encode(sum[:], mh.SHA2_256)
	if err != nil {
		f.t.Fatal(err)
	}
	r := &pid.Record{
		V: pid.Version, Content: cid.NewCidV1(cid.Raw, h), SHA256: sum[:], Size: int64(len(content)),
		Type: "application/octet-stream", Name: name, Catalog: catalog, Meta: meta,
		Publisher: pid.Publisher{Member: member, User: user},
		Created:   "2026-01-02T03:04:05Z",
	}
	if err := r.Sign(seedKey(signer)); err != nil {
		f.t.Fatal(err)
	}
	b, err := r.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	return pid.Sum(b), b
}

// keysFor returns fake wrapped keys for the members.
func keysFor(members ...string) []WrappedKey {
	var ks []WrappedKey
	for _, m := range members {
		ks = append(ks, WrappedKey{Member: m, Key: []byte("wrapped-dek-for-" + m)})
	}
	return ks
}

// manifestCID is a stand-in manifest CID.
func manifestCID(name string) string {
	h, _ := mh.Sum([]byte("manifest:"+name), mh.SHA2_256, -1)
	return cid.NewCidV1(cid.DagCBOR, h).String()
}

// publish publishes name into catalog as user (signed with the user's own key), with keys for
// the given members.
func (f *fixture) publish(user, catalog, name string, meta map[string]any, members ...string) (cid.Cid, Result) {
	p, rec := f.record(user, user, catalog, name, meta)
	r := f.run(user, &Publish{PID: p.String(), Record: rec, Manifest: manifestCID(name), Keys: keysFor(members...)})
	return p, r
}

func (f *fixture) catalog(name, owner, scope string) {
	f.t.Helper()
	sc, err := policy.ParseScope(scope)
	if err != nil {
		f.t.Fatal(err)
	}
	f.must(owner+"-admin", &CreateCatalog{Name: name, Owner: owner, Scope: sc})
}

func (f *fixture) String() string { return fmt.Sprintf("fixture at index %d", f.index) }

func sha256Of(b []byte) [32]byte { return sha256.Sum256(b) }
