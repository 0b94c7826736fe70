package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/errs"
	"github.com/multiformats/go-multihash"
)

func testCID(t testing.TB, data string) cid.Cid {
	t.Helper()
	h, err := multihash.Sum([]byte(data), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, h)
}

func TestFrameRoundTrip(t *testing.T) {
	c := testCID(t, "hello")
	var e Enc
	payload := e.CID(c).Uvarint(7).Bytes([]byte("xy")).Out()
	var buf bytes.Buffer
	if err := WriteFrame(&buf, TGet, payload); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFrame(&buf, 0)
	if err != nil || f.Type != TGet {
		t.Fatalf("ReadFrame = %v, %v", f.Type, err)
	}
	d := NewDec(f.Payload)
	if got := d.CID(); !got.Equals(c) {
		t.Errorf("CID = %s, want %s", got, c)
	}
	if v := d.Uvarint(); v != 7 {
		t.Errorf("uvarint = %d", v)
	}
	if b := d.Bytes(10); string(b) != "xy" {
		t.Errorf("bytes = %q", b)
	}
	if err := d.Done(); err != nil {
		t.Error(err)
	}
}

func TestFrameCaps(t *testing.T) {
	if err := WriteFrame(io.Discard, TOK, make([]byte, MaxFrame+1)); !errs.Is(err, errs.Invalid) {
		t.Errorf("oversized write: %v", err)
	}
	// A header claiming 1 GiB must be refused before the body is read.
	hdr := []byte{byte(TOK), 0x40, 0, 0, 0}
	if _, err := ReadFrame(bytes.NewReader(hdr), 0); !errs.Is(err, errs.Invalid) {
		t.Errorf("oversized read: %v", err)
	}
	var buf bytes.Buffer
	_ = WriteFrame(&buf, TOK, make([]byte, 100))
	if _, err := ReadFrame(&buf, 50); !errs.Is(err, errs.Invalid) {
		t.Errorf("frame over caller cap: %v", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{1, 0, 0, 0, 9, 1}), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated body: %v", err)
	}
}

func TestErrorFrames(t *testing.T) {
	for _, k := range []errs.Kind{errs.NotExist, errs.Corrupt, errs.NoSpace, errs.Permission, errs.Unavailable, errs.Invalid, errs.Timeout, errs.Unauthenticated, errs.Internal} {
		var buf bytes.Buffer
		if err := WriteError(&buf, errs.E("op", k, errors.New("boom"))); err != nil {
			t.Fatal(err)
		}
		_, err := Expect(&buf, TOK, 0)
		if !errs.Is(err, k) || !IsRemote(err) {
			t.Errorf("kind %v came back as %v (%v)", k, errs.KindOf(err), err)
		}
	}
}

func TestDecRejectsMalformed(t *testing.T) {
	for name, p := range map[string][]byte{
		"empty":   {},
		"long":    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"overrun": {5, 1, 2},
		"bad cid": {3, 1, 2, 3},
	} {
		d := NewDec(p)
		d.CID()
		if d.Err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	d := NewDec([]byte{1, 2})
	d.Uvarint()
	if d.Done() == nil {
		t.Error("trailing bytes not reported")
	}
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader and the payload decoders: they must
// never panic, never return a payload over the cap, and re-encode what they accept.
func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteFrame(&buf, TGet, new(Enc).CID(testCID(f, "x")).Uvarint(1).Uvarint(2).Out())
	f.Add(buf.Bytes())
	f.Add(append([]byte{byte(TError)}, 0, 0, 0, 3, 3, 1, 'a'))
	f.Add([]byte{byte(THas), 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr, err := ReadFrame(bytes.NewReader(in), 4096)
		if err != nil {
			return
		}
		if len(fr.Payload) > 4096 {
			t.Fatalf("payload of %d bytes passed a 4096 cap", len(fr.Payload))
		}
		var out bytes.Buffer
		if err := WriteFrame(&out, fr.Type, fr.Payload); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), in[:out.Len()]) {
			t.Fatal("re-encoding differs")
		}
		_ = DecodeError(fr.Payload)
		d := NewDec(fr.Payload)
		d.CID()
		d.Uvarint()
		d.Bytes(100)
		_ = d.Done()
	})
}
