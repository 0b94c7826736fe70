package pid

import (
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/meridian-fed/meridian/errs"
)

func TestParse(t *testing.T) {
	p, err := sample(t).PID()
	if err != nil {
		t.Fatal(err)
	}
	s := p.String()
	good := []string{
		s,
		"  " + s + "\n",
		Format(p),
		"/pid/" + s,
		"/pid/" + s + "/",
		"/pid/" + s + "?format=json",
		"https://node.example.org/pid/" + s,
		"http://127.0.0.1:8080/meridian/pid/" + s + "/#top",
		URL("https://node.example.org/", p),
	}
	for _, in := range good {
		got, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got != p {
			t.Errorf("Parse(%q) = %s, want %s", in, got, p)
		}
	}
	content := sample(t).Content.String()
	bad := []string{
		"",
		"pid:",
		"pid:notacid",
		content, // a content CID (raw) is not a PID
		"/pid/",
		"/data/" + s,
		"https://node.example.org/pid/" + s + "/content",
		"ftp://node.example.org/pid/" + s,
		"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", // CIDv0
	}
	for _, in := range bad {
		if _, err := Parse(in); !errs.Is(err, errs.Invalid) {
			t.Errorf("Parse(%q): err = %v, want Invalid", in, err)
		}
	}
}

func TestFormat(t *testing.T) {
	p, _ := minimal(t).PID()
	if got, want := Format(p), "pid:"+p.String(); got != want {
		t.Fatalf("Format = %q, want %q", got, want)
	}
	if got, want := URL("http://h:1", p), "http://h:1/pid/"+p.String(); got != want {
		t.Fatalf("URL = %q, want %q", got, want)
	}
}

// TestParseRefusesNonCanonicalSpelling: base32's last character carries spare bits, so other
// last characters can decode to the same PID; only the canonical spelling is accepted.
func TestParseRefusesNonCanonicalSpelling(t *testing.T) {
	p, err := sample(t).PID()
	if err != nil {
		t.Fatal(err)
	}
	s := p.String()
	tried := 0
	for _, ch := range "abcdefghijklmnopqrstuvwxyz234567" {
		alt := s[:len(s)-1] + string(ch)
		if alt == s {
			continue
		}
		c, err := cid.Decode(alt)
		if err != nil || c != p {
			continue // spells another CID, or none: not the case under test
		}
		tried++
		if _, err := Parse(alt); !errs.Is(err, errs.Invalid) {
			t.Errorf("Parse(%q), another spelling of %s: err = %v, want Invalid", alt, s, err)
		}
	}
	if tried == 0 {
		t.Fatalf("no other spelling of %s decodes to it; the test checks nothing", s)
	}
}
