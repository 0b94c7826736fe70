package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"filippo.io/age"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/chunker/crypt"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// TestReadRefusesManifestOfOtherContent: the catalog names a manifest for each object, and a
// read decodes only a manifest that describes the record's content CID and size. A manifest of
// other content (another CID, or the same CID with another size) is refused as Corrupt before
// any stripe is fetched, and nothing is written. Removing the check in ReadContent fails it
// (the read goes on to fetch stripes of the wrong object).
func TestReadRefusesManifestOfOtherContent(t *testing.T) {
	for _, tt := range []struct {
		name  string
		other func(content cid.Cid, size int64) (cid.Cid, int64)
	}{
		{"other content CID", func(_ cid.Cid, size int64) (cid.Cid, int64) { return rawCID("other bytes"), size }},
		{"other size", func(c cid.Cid, size int64) (cid.Cid, int64) { return c, size + 1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newAnswersFixture(t)
			id, err := age.GenerateX25519Identity()
			if err != nil {
				t.Fatal(err)
			}
			f.n.cfg.Member = "m1"
			f.n.memberKey.Store(id)
			p, o := publishReadable(f, id.Recipient())
			content, size := tt.other(o.Content, o.Size)
			f.n.manifests.Add(o.Manifest, &chunker.Manifest{K: 2, M: 1, Size: size, Content: content, Stripes: make([]chunker.Stripe, 1)})
			var out bytes.Buffer
			err = readPastCheck(f.n, p, &out)
			if !errs.Is(err, errs.Corrupt) {
				t.Fatalf("read through a manifest of %s: err = %v, want Corrupt", tt.name, err)
			}
			if out.Len() != 0 {
				t.Fatalf("%d bytes written before the refusal", out.Len())
			}
		})
	}
}

// readPastCheck reads p; the fixture has no mesh, so a read that goes past the manifest
// check panics on fetching stripes: that is reported as an error, not a crash of the package.
func readPastCheck(n *Node, p string, out *bytes.Buffer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the read went past the manifest check to fetch stripes (%v)", r)
		}
	}()
	return n.ReadContent(context.Background(), api.Subject{Anonymous: true}, p, 0, -1, out)
}

func rawCID(s string) cid.Cid {
	sum := sha256.Sum256([]byte(s))
	h, _ := mh.Encode(sum[:], mh.SHA2_256)
	return cid.NewCidV1(cid.Raw, h)
}

// publishReadable publishes an object of the public catalog "c" whose data key is wrapped for
// r, so that this node can unwrap it, and returns its PID and catalog entry.
func publishReadable(f *answersFixture, r age.Recipient) (string, *catalog.Object) {
	f.t.Helper()
	content := []byte("the real content")
	sum := sha256.Sum256(content)
	rec := &pid.Record{V: pid.Version, Content: rawCID(string(content)), SHA256: sum[:], Size: int64(len(content)),
		Type: "text/plain", Name: "real", Catalog: "c", Publisher: pid.Publisher{Member: "m1", User: "pub"}, Created: "2026-01-02T03:04:05Z"}
	if err := rec.Sign(f.key); err != nil {
		f.t.Fatal(err)
	}
	b, err := rec.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	dek, err := crypt.NewDEK()
	if err != nil {
		f.t.Fatal(err)
	}
	wrapped, err := crypt.WrapKey(dek, r)
	if err != nil {
		f.t.Fatal(err)
	}
	p := pid.Sum(b)
	f.run("pub", &catalog.Publish{PID: p.String(), Record: b, Manifest: rawCID("manifest").String(),
		Keys: []catalog.WrappedKey{{Member: "m1", Key: wrapped}}})
	o, err := f.n.state.Resolve(p)
	if err != nil {
		f.t.Fatal(err)
	}
	return pid.Format(p), o
}
