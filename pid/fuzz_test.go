package pid

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic, and any input it accepts
// must re-encode to exactly the same bytes (one encoding per record, hence one PID).
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"full.cbor", "minimal.cbor"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xa0})
	f.Add([]byte{0xa1, 0x61, 'v', 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			return
		}
		again, err := r.Encode()
		if err != nil {
			t.Fatalf("accepted record does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted non-canonical input:\n in %x\nout %x", b, again)
		}
		if _, err := VerifyRecord(Sum(b), b); err != nil && r.Verify() == nil {
			t.Fatalf("Verify and VerifyRecord disagree: %v", err)
		}
	})
}

// FuzzParse checks that Parse never panics and that what it accepts formats back to itself.
func FuzzParse(f *testing.F) {
	p, _ := os.ReadFile(filepath.Join("testdata", "full.pid"))
	f.Add(string(p))
	f.Add("https://h/pid/" + string(bytes.TrimPrefix(bytes.TrimSpace(p), []byte("pid:"))))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(Format(c))
		if err != nil || again != c {
			t.Fatalf("Parse(Format(%s)) = %v, %v", c, again, err)
		}
	})
}
