package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
)

func TestVerify(t *testing.T) {
	e := newCLIEnv(t)
	p := e.publish("v.bin", testData(300000, 5))
	r := e.admin("verify", p, "--content").ok(t)
	if strings.Contains(r.stdout, "FAIL") || strings.Count(r.stdout, "  ok  ") != 8 ||
		!strings.Contains(r.stdout, "stripe 0: 5/5 shards reachable, 3 needed") {
		t.Fatalf("verify:\n%s", r.stdout)
	}
	var rep verifyReport
	e.admin("verify", p, "--json").ok(t).decode(t, &rep)
	if !rep.OK || len(rep.Checks) != 6 || len(rep.Stripes) != 1 {
		t.Fatalf("verify --json: %+v", rep)
	}

	e.f.stripes = []api.StripeHealth{{Index: 0, Reachable: 2, Needed: 3, Total: 5}, {Index: 1, Reachable: 3, Needed: 3, Total: 5}}
	r = e.admin("verify", p).wantCode(t, exitUnavailable)
	// the stripes are listed under the check they explain, not after the later checks
	want := "  FAIL  shards reachable (node): 1 of 2 stripes readable (k shards or more), 0 with all k+m\n" +
		"        stripe 0: 2/5 shards reachable, 3 needed\n" +
		"        stripe 1: 3/5 shards reachable, 3 needed\n"
	if !strings.HasSuffix(r.stdout, want) {
		t.Fatalf("missing shards:\n%s\nwant it to end with:\n%s", r.stdout, want)
	}
	r = e.admin("verify", p, "--content").wantCode(t, exitUnavailable)
	if !strings.Contains(r.stdout, want+"  ok    content CID (node)") {
		t.Fatalf("missing shards, --content:\n%s", r.stdout)
	}

	e.f.corrupt = true
	r = e.admin("verify", p, "--content").wantCode(t, exitCorrupt)
	// both ends find it: the node (the fake recomputes the CID of what it serves) and the client
	if !strings.Contains(r.stdout, "FAIL  content CID (local)") || !strings.Contains(r.stdout, "FAIL  content CID (node)") {
		t.Fatalf("corrupt content:\n%s", r.stdout)
	}

	e.f.corrupt, e.f.tamper = false, true
	e.admin("verify", p, "--json").wantCode(t, exitCorrupt).decode(t, &rep)
	if rep.OK || rep.Checks[0].OK || rep.Checks[0].Name != "record hash = PID (local)" ||
		rep.Checks[2].OK || rep.Checks[2].Name != "record hash = PID (node)" || rep.Checks[3].OK || rep.Checks[3].Name != "signature (node)" {
		t.Fatalf("tampered record: %+v", rep.Checks)
	}
	e.admin("verify", unknownPID).wantCode(t, exitNotFound)
}

func TestVerifyContentCIDMismatch(t *testing.T) {
	e := newCLIEnv(t)
	e.f.wrongCID = true
	p := e.publishDirect("w.bin", testData(1000, 6))
	r := e.admin("verify", p, "--content").wantCode(t, exitCorrupt)
	if !strings.Contains(r.stdout, "FAIL  content CID (local): the bytes have content CID") || !strings.Contains(r.stdout, "FAIL  content CID (node)") {
		t.Fatalf("verify:\n%s", r.stdout)
	}
}

func TestNoProgressBarOffTerminal(t *testing.T) {
	if newProgress(&bytes.Buffer{}, "x") != nil {
		t.Fatal("a progress bar on a buffer")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if newProgress(pw, "x") != nil {
		t.Fatal("a progress bar on a pipe")
	}
	var nilBar *progressBar
	if nilBar.options() != nil {
		t.Fatal("a nil bar gives client options")
	}
	nilBar.done()
}

func TestProgressBarDraws(t *testing.T) {
	var buf bytes.Buffer
	bar := &progressBar{w: &buf, desc: "get"}
	for done := int64(1 << 20); done <= 4<<20; done += 1 << 20 {
		bar.report(done, 4<<20)
	}
	bar.done()
	if out := buf.String(); !strings.Contains(out, "get") || !strings.Contains(out, "/s") || !strings.Contains(out, "%") || !strings.Contains(out, "/4.0 MiB") {
		t.Fatalf("bar drew %q", out)
	}
}
