package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/chunker"
)

func TestPutGetRoundTrip(t *testing.T) {
	e := newCLIEnv(t)
	data := testData(3<<20+123, 1)
	p := e.publish("scene.bin", data, "--meta", "sensor=TM", "--meta", "bbox=120,21,122,25")
	if !strings.HasPrefix(p, "pid:") {
		t.Fatalf("put printed %q, want a PID", p)
	}
	out := filepath.Join(e.dir, "back.bin")
	r := e.admin("get", p, "-o", out).ok(t)
	if !strings.Contains(r.stdout, "content CID verified") {
		t.Errorf("get said %q", r.stdout)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatalf("downloaded %d bytes differ from the %d published", len(got), len(data))
	}
	r = e.admin("get", p).ok(t)
	if r.stdout != string(data) {
		t.Fatalf("get to stdout gave %d bytes, want %d", len(r.stdout), len(data))
	}

	var res getResult
	e.admin("get", p, "-o", out, "--json").ok(t).decode(t, &res)
	id, _ := chunker.ComputeContentID(bytes.NewReader(data))
	if !res.Verified || res.Content != id.CID.String() || res.Bytes != int64(len(data)) {
		t.Fatalf("get --json: %+v, want verified %s", res, id.CID)
	}
}

func TestPutFromStdinWithProvenance(t *testing.T) {
	e := newCLIEnv(t)
	parent := e.publish("in.txt", []byte("input"))
	r := e.exec(strings.NewReader("derived bytes"), "put", "-", "--catalog", "open", "--name", "out.txt",
		"--derived-from", parent, "--activity", "name=ndvi,software=gdal 3.8,band=4", "--type", "text/plain",
		"--json", "--endpoint", e.url, "--token", "admin").ok(t)
	var o api.Object
	r.decode(t, &o)
	rec := o.Record
	if rec.Name != "out.txt" || rec.Type != "text/plain" || rec.Size != 13 || len(rec.DerivedFrom) != 1 || rec.DerivedFrom[0] != parent {
		t.Fatalf("record %+v", rec)
	}
	if a := rec.Activity; a == nil || a.Name != "ndvi" || a.Software != "gdal 3.8" || a.Params["band"] != "4" {
		t.Fatalf("activity %+v", rec.Activity)
	}
	r = e.admin("resolve", o.PID).ok(t)
	for _, want := range []string{"out.txt", "derived_from", parent, "activity       ndvi (gdal 3.8)\n", "activity.band", "k=3 m=2"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("resolve output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestGetRange(t *testing.T) {
	e := newCLIEnv(t)
	data := testData(5000, 2)
	p := e.publish("r.bin", data)
	if r := e.admin("get", p, "--range", "10-19").ok(t); r.stdout != string(data[10:20]) {
		t.Fatalf("range 10-19 gave %q", r.stdout)
	}
	if r := e.admin("get", p, "--range", "4990-").ok(t); r.stdout != string(data[4990:]) {
		t.Fatalf("range 4990- gave %d bytes", len(r.stdout))
	}
	out := filepath.Join(e.dir, "part")
	r := e.admin("get", p, "--range", "0-99", "-o", out).ok(t)
	if !strings.Contains(r.stdout, "not checked") {
		t.Errorf("a range read must say it is not checked: %q", r.stdout)
	}
	for _, bad := range []string{"x-1", "5-2", "-3", "1"} {
		e.admin("get", p, "--range", bad).wantCode(t, exitUsage)
	}
	e.admin("get", p, "--json").wantCode(t, exitUsage) // JSON and content would share stdout
}

// noPartFiles fails when dir holds a file but the ones listed.
func noPartFiles(t *testing.T, dir string, keep ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if !strings.HasSuffix(en.Name(), ".bin") && !contains(keep, en.Name()) {
			t.Errorf("left behind %s", en.Name())
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestGetDetectsContentCIDMismatch(t *testing.T) {
	e := newCLIEnv(t)
	e.f.wrongCID = true // the record names other bytes; its sha256 and the node's digest still match
	p := e.publishDirect("w.bin", testData(2<<20, 3))
	out := filepath.Join(e.dir, "out")
	os.WriteFile(out, []byte("old"), 0o644)
	r := e.admin("get", p, "-o", out).wantCode(t, exitCorrupt)
	if !strings.Contains(r.err.Error(), "content CID") {
		t.Errorf("error %v does not name the content CID", r.err)
	}
	if got, _ := os.ReadFile(out); string(got) != "old" {
		t.Errorf("the existing file was replaced by unverified bytes")
	}
	noPartFiles(t, e.dir, "out", "no-such-config.json")
}

func TestGetDetectsCorruptBytes(t *testing.T) {
	e := newCLIEnv(t)
	p := e.publish("c.bin", testData(100000, 4))
	e.f.corrupt = true
	out := filepath.Join(e.dir, "out")
	e.admin("get", p, "-o", out).wantCode(t, exitCorrupt)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("corrupt download left %s (%v)", out, err)
	}
	noPartFiles(t, e.dir)
}

func TestGetDetectsTamperedRecord(t *testing.T) {
	e := newCLIEnv(t)
	p := e.publish("t.bin", []byte("payload"))
	e.f.tamper = true
	r := e.admin("get", p, "-o", filepath.Join(e.dir, "out")).wantCode(t, exitCorrupt)
	if !strings.Contains(r.err.Error(), "does not verify") {
		t.Errorf("error: %v", r.err)
	}
	noPartFiles(t, e.dir)
}

func TestParseByteRange(t *testing.T) {
	for _, c := range []struct {
		in          string
		off, length int64
		bad         bool
	}{
		{"", 0, -1, false}, {"0-0", 0, 1, false}, {"5-9", 5, 5, false}, {"7-", 7, -1, false},
		{"9-5", 0, 0, true}, {"a-b", 0, 0, true}, {"-5", 0, 0, true}, {"5", 0, 0, true},
	} {
		off, length, err := parseByteRange(c.in)
		if (err != nil) != c.bad || !c.bad && (off != c.off || length != c.length) {
			t.Errorf("parseByteRange(%q) = %d, %d, %v", c.in, off, length, err)
		}
	}
}

func TestParseActivity(t *testing.T) {
	a, err := parseActivity("name=ndvi,software=gdal,band=4")
	if err != nil || a.Name != "ndvi" || a.Software != "gdal" || a.Params["band"] != "4" {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range []string{"software=gdal", "name", "=x"} {
		if _, err := parseActivity(bad); err == nil {
			t.Errorf("parseActivity(%q) accepted", bad)
		}
	}
}

func TestCIDWriterMatchesComputeContentID(t *testing.T) {
	data := testData(3<<20+17, 8)
	want, err := chunker.ComputeContentID(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int{1 << 10, 100000, cidChunk + 1, len(data)} {
		cw := newCIDWriter()
		for b := data; len(b) > 0; {
			k := min(step, len(b))
			if n, err := cw.Write(b[:k]); n != k || err != nil {
				t.Fatalf("write: %d %v", n, err)
			}
			b = b[k:]
		}
		got, err := cw.finish()
		if err != nil || !got.CID.Equals(want.CID) || got.SHA256 != want.SHA256 || got.Size != want.Size {
			t.Fatalf("writes of %d: %v %+v, want %+v", step, err, got, want)
		}
	}
	cw := newCIDWriter() // finished without a write: the empty content
	if got, err := cw.finish(); err != nil || got.Size != 0 {
		t.Fatalf("empty: %+v %v", got, err)
	}
}

func TestPutChecksWhatTheNodeCommitted(t *testing.T) {
	e := newCLIEnv(t)
	e.f.wrongCID = true
	r := e.admin("put", e.writeFile("w.bin", []byte("payload")), "--catalog", "open").wantCode(t, exitCorrupt)
	if r.stdout != "" || !strings.Contains(r.err.Error(), "do not cite this PID") {
		t.Fatalf("put printed %q, error %v", r.stdout, r.err)
	}
	e.f.wrongCID, e.f.tamper = false, true
	e.admin("put", e.writeFile("t.bin", []byte("payload")), "--catalog", "open").wantCode(t, exitCorrupt)
}
