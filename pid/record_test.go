package pid

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/codec/dagjson"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	"github.com/meridian-fed/meridian/errs"
	mh "github.com/multiformats/go-multihash"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testKey is a fixed key so that golden files are stable (ed25519 signing is deterministic).
func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
}

func mustCid(t testing.TB, codec uint64, data string) cid.Cid {
	t.Helper()
	m, err := mh.Sum([]byte(data), mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(codec, m)
}

// sample returns a signed record using every field.
func sample(t testing.TB) *Record {
	t.Helper()
	sum := sha256.Sum256([]byte("hello"))
	r := &Record{
		V:       Version,
		Content: mustCid(t, cid.Raw, "hello"),
		SHA256:  sum[:],
		Size:    5,
		Type:    "image/tiff",
		Name:    "LC05_L1TP_B4.TIF",
		Catalog: "landsat5",
		Meta: map[string]any{
			"bbox":     "120.5,21.8,122.1,25.4",
			"datetime": "2011-10-01T02:13:51Z",
			"platform": "landsat-5",
			"cloud":    int64(12),
			"bands":    []any{"B4", int64(4)},
			"sensor":   map[string]any{"name": "TM", "gsd": "30"},
		},
		DerivedFrom: []cid.Cid{mustCid(t, cid.DagCBOR, "parent-1"), mustCid(t, cid.DagCBOR, "parent-0")},
		Activity:    &Activity{Name: "calibrate", Software: "gdal 3.8.4", Params: map[string]string{"gain": "0.5", "bias": "-1"}},
		Publisher:   Publisher{Member: "aist", User: "u123"},
		Created:     "2026-11-22T03:00:00Z",
	}
	if err := r.Sign(testKey()); err != nil {
		t.Fatal(err)
	}
	return r
}

// minimal returns a signed record with only the required fields.
func minimal(t testing.TB) *Record {
	t.Helper()
	sum := sha256.Sum256(nil)
	r := &Record{V: Version, Content: mustCid(t, cid.DagProtobuf, ""), SHA256: sum[:], Type: "application/octet-stream",
		Catalog: "c", Publisher: Publisher{Member: "nchc"}, Created: "2026-01-02T03:04:05.123456789+09:00"}
	if err := r.Sign(testKey()); err != nil {
		t.Fatal(err)
	}
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pid -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n got %x\nwant %x", name, got, want)
	}
}

// dagJSON renders record bytes as DAG-JSON, a readable companion to the binary golden file.
func dagJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	nb := basicnode.Prototype.Any.NewBuilder()
	if err := dagcbor.Decode(nb, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := dagjson.Encode(nb.Build(), &out); err != nil {
		t.Fatal(err)
	}
	return append(out.Bytes(), '\n')
}

func TestGolden(t *testing.T) {
	for name, r := range map[string]*Record{"full": sample(t), "minimal": minimal(t)} {
		b, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.PID()
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name+".cbor", b)
		golden(t, name+".pid", []byte(Format(p)+"\n"))
		golden(t, name+".json", dagJSON(t, b))
		// The golden bytes verify offline against the golden PID.
		want, _ := os.ReadFile(filepath.Join("testdata", name+".cbor"))
		wp, _ := os.ReadFile(filepath.Join("testdata", name+".pid"))
		c, err := Parse(string(wp))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyRecord(c, want); err != nil {
			t.Errorf("%s: golden record does not verify: %v", name, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, r := range []*Record{sample(t), minimal(t)} {
		b, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip changed the record:\n got %+v\nwant %+v", got, r)
		}
		if err := got.Verify(); err != nil {
			t.Errorf("decoded record does not verify: %v", err)
		}
	}
}

func TestEncodeIsCanonical(t *testing.T) {
	b, err := sample(t).Encode()
	if err != nil {
		t.Fatal(err)
	}
	// Keys appear in length-first order (RFC 7049 canonical, as DAG-CBOR requires).
	order := []string{"v", "meta", "name", "size", "type", "sha256", "catalog", "content", "created", "activity", "publisher", "derived_from"}
	last := -1
	for _, k := range order {
		i := bytes.Index(b, []byte(k))
		if i < 0 || i < last {
			t.Fatalf("key %q at %d, previous key at %d: not in canonical order", k, i, last)
		}
		last = i
	}
	// Go maps iterate randomly; encoding many times must always give the same bytes.
	for i := 0; i < 20; i++ {
		again, _ := sample(t).Encode()
		if !bytes.Equal(again, b) {
			t.Fatal("encoding is not deterministic")
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := sample(t).Encode()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "not valid DAG-CBOR"},
		{"trailing", append(append([]byte{}, good...), 0), "not valid DAG-CBOR"},
		{"not a map", []byte{0x01}, "must be a map"},
		{"too large", make([]byte, MaxRecordSize+1), "more than the limit"},
		{"version 2", replaceOnce(t, good, []byte("av\x01"), []byte("av\x02")), "version 2 is not supported"},
		{"non-minimal int", replaceOnce(t, good, []byte("av\x01"), []byte("av\x18\x01")), "minimally"},
		{"unknown field", withExtraKey(t, minimalBytes(t)), "unknown field"},
		{"float in meta", floatMeta(t), "float values are not allowed"},
		{"unsorted keys", swapFirstKeys(t, minimalBytes(t)), "canonical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if err == nil {
				t.Fatal("Decode accepted bad input")
			}
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (kind %v), want Invalid containing %q", err, errs.KindOf(err), tt.want)
			}
		})
	}
}

func minimalBytes(t *testing.T) []byte {
	b, err := minimal(t).Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func replaceOnce(t *testing.T, b, old, new []byte) []byte {
	t.Helper()
	if bytes.Count(b, old) != 1 {
		t.Fatalf("%q occurs %d times", old, bytes.Count(b, old))
	}
	return bytes.Replace(b, old, new, 1)
}

// withExtraKey bumps the top map's length and appends "zz": 0, which sorts last.
func withExtraKey(t *testing.T, b []byte) []byte {
	t.Helper()
	if b[0]&0xe0 != 0xa0 || b[0] == 0xb7 {
		t.Fatalf("unexpected map header %x", b[0])
	}
	out := append([]byte{b[0] + 1}, b[1:]...)
	return append(out, 0x62, 'z', 'z', 0x00)
}

// floatMeta writes a minimal record with meta {"x": 1.5}, which must be refused.
func floatMeta(t *testing.T) []byte {
	t.Helper()
	b := minimalBytes(t)
	// meta sorts after "v" and before the 4-letter keys; insert "meta": {"x": 1.5} after "v": 1.
	ins := []byte{0x64, 'm', 'e', 't', 'a', 0xa1, 0x61, 'x', 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}
	i := bytes.Index(b, []byte("av\x01")) + 3
	out := append([]byte{b[0] + 1}, b[1:i]...)
	out = append(out, ins...)
	return append(out, b[i:]...)
}

// swapFirstKeys moves "v": 1 from the front of the map to the end.
func swapFirstKeys(t *testing.T, b []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte("av\x01"))
	if i != 1 {
		t.Fatalf(`"v" at %d, want 1`, i)
	}
	out := append([]byte{b[0]}, b[4:]...)
	return append(out, 'a', 'v', 1)
}
