package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestPutRefusesMalformedWellKnownMeta: bbox and datetime are checked here, before the upload,
// with a message that shows the form to use (a node answered such a put with a 500).
func TestPutRefusesMalformedWellKnownMeta(t *testing.T) {
	e := newCLIEnv(t)
	f := e.writeFile("m.bin", []byte("m"))
	for _, c := range []struct{ meta, want string }{
		{"bbox=1,2,3", "--meta bbox: \"1,2,3\" must have 4 comma-separated numbers: west,south,east,north"},
		{"bbox=0,0,200,1", "longitudes must be within [-180, 180]"},
		{"datetime=2024-05-01", "--meta datetime=\"2024-05-01\": write an RFC 3339 time such as 2024-05-01T10:00:00Z"},
	} {
		r := e.admin("put", f, "--catalog", "open", "--meta", c.meta).wantCode(t, exitUsage)
		if !strings.Contains(r.err.Error(), c.want) {
			t.Errorf("--meta %s: %v, want it to say %q", c.meta, r.err, c.want)
		}
	}
	for _, ok := range []string{"bbox=120,21.5,122,26", "datetime=2024-05-01T10:00:00Z", "datetime=2024-05-01T00:00:00Z/..", "sensor=TM"} {
		e.admin("put", f, "--catalog", "open", "--meta", ok).ok(t)
	}
}

// TestSearchTimes: --from and --to take RFC 3339 times or dates (sent as midnight UTC), and
// anything else is refused here with the forms to use (the node's message did not say).
func TestSearchTimes(t *testing.T) {
	e := newCLIEnv(t)
	e.admin("search", "--from", "2024-05-01", "--to", "2024-06-01T12:00:00+02:00").ok(t)
	if q := e.f.searched; q.From != "2024-05-01T00:00:00Z" || q.To != "2024-06-01T12:00:00+02:00" {
		t.Errorf("sent from %q to %q", q.From, q.To)
	}
	r := e.admin("search", "--to", "last week").wantCode(t, exitUsage)
	if !strings.Contains(r.err.Error(), `--to "last week": write an RFC 3339 time`) {
		t.Errorf("bad --to: %v", r.err)
	}
}

// TestGetOutputChecked: -o naming a directory, or a file in a directory that does not exist,
// is refused before the download, naming what the user typed (not the temporary file).
func TestGetOutputChecked(t *testing.T) {
	e := newCLIEnv(t)
	p := e.publish("o.bin", testData(3000, 5))
	r := e.admin("get", p, "-o", e.dir).wantCode(t, exitUsage)
	if !strings.Contains(r.err.Error(), "-o "+e.dir+" is a directory: give a file name") {
		t.Errorf("-o DIR: %v", r.err)
	}
	missing := e.dir + "/no/such/dir/o.bin"
	r = e.admin("get", p, "-o", missing).wantCode(t, exitUsage)
	if want := "cannot write " + missing + ": directory " + e.dir + "/no/such/dir: no such file or directory"; !strings.Contains(r.err.Error(), want) {
		t.Errorf("-o in a missing dir: %v, want %q", r.err, want)
	}
}

// TestPutChecksInputs: a --derived-from PID that names no object is refused before the upload
// (a typo would be signed into the record for good); a real input is accepted.
func TestPutChecksInputs(t *testing.T) {
	e := newCLIEnv(t)
	in := e.publish("in.bin", []byte("in"))
	f := e.writeFile("out.bin", []byte("out"))
	before := len(e.f.objects)
	r := e.admin("put", f, "--catalog", "open", "--derived-from", in, "--derived-from", unknownPID).wantCode(t, exitNotFound)
	if want := "--derived-from " + unknownPID + " is not published in this federation"; !strings.Contains(r.err.Error(), want) {
		t.Errorf("unknown input: %v", r.err)
	}
	e.admin("put", f, "--catalog", "open", "--derived-from", "pid:nonsense").wantCode(t, exitUsage)
	if len(e.f.objects) != before {
		t.Fatalf("a refused put published something: %d objects, was %d", len(e.f.objects), before)
	}
	e.admin("put", f, "--catalog", "open", "--derived-from", in).ok(t)
}

// TestProgressShowsBytes: the bar shows the bytes done and the total, as docs/CLI.md says,
// not only a percentage and a rate.
func TestProgressShowsBytes(t *testing.T) {
	var b bytes.Buffer
	p := &progressBar{w: &b, desc: "get"}
	p.report(3<<20, 8<<20)
	p.report(5<<20, 8<<20)
	if !strings.Contains(b.String(), "/8.0 MiB") {
		t.Errorf("progress bar %q shows no byte count", b.String())
	}
}

// TestInviteNeedsANodeDir: 'federation invite' away from a node's data dir says so, instead
// of node.yaml's "member is empty" and a hint to create a new node.
func TestInviteNeedsANodeDir(t *testing.T) {
	e := newCLIEnv(t)
	dir := e.dir + "/no-node-here"
	r := e.exec(strings.NewReader(""), "federation", "invite", "--member", "aist", "--data-dir", dir).wantCode(t, exitNotFound)
	if want := "no node data dir at " + dir + ": run this next to a running node"; !strings.Contains(r.err.Error(), want) {
		t.Errorf("invite without a node dir: %v", r.err)
	}
}
