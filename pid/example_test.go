package pid_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/pid"
	mh "github.com/multiformats/go-multihash"
)

// A publisher fills, signs and encodes a record; an auditor holding only the PID and the bytes
// checks them offline.
func Example() {
	content := []byte("hello")
	sum := sha256.Sum256(content)
	m, _ := mh.Encode(sum[:], mh.SHA2_256)
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // the node's or user's key

	r := &pid.Record{
		V:         pid.Version,
		Content:   cid.NewCidV1(cid.Raw, m), // as ipfs add --cid-version=1 computes it
		SHA256:    sum[:],
		Size:      int64(len(content)),
		Type:      "text/plain",
		Name:      "hello.txt",
		Catalog:   "demo",
		Meta:      map[string]any{"bbox": "120,21,122,25", "datetime": "2026-01-01T00:00:00Z"},
		Publisher: pid.Publisher{Member: "nchc", User: "alice"},
		Created:   "2026-11-22T03:00:00Z",
	}
	if err := r.Sign(key); err != nil {
		panic(err)
	}
	b, err := r.Encode()
	if err != nil {
		panic(err)
	}
	p := pid.Sum(b)

	got, err := pid.VerifyRecord(p, b)
	fmt.Println(err, got.Name, pid.Format(p) == "pid:"+p.String())
	// Output: <nil> hello.txt true
}
