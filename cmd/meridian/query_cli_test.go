package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
)

func TestLsPaging(t *testing.T) {
	e := newCLIEnv(t)
	var pids []string
	for i := range 5 {
		pids = append(pids, e.publish(fmt.Sprintf("f%d.bin", i), []byte{byte(i)}))
	}
	r := e.admin("ls", "open", "--limit", "2").ok(t)
	if strings.Count(r.stdout, "pid:") != 2 || !strings.Contains(r.stdout, "f1.bin") || !strings.Contains(r.stderr, "--cursor") {
		t.Fatalf("first page:\n%s%s", r.stdout, r.stderr)
	}
	var page api.ObjectPage
	e.admin("ls", "open", "--limit", "2", "--json").ok(t).decode(t, &page)
	e.admin("ls", "open", "--limit", "2", "--cursor", page.Next, "--json").ok(t).decode(t, &page)
	if len(page.Objects) != 2 || page.Objects[0].PID != pids[2] {
		t.Fatalf("second page: %+v", page)
	}
	var all api.ObjectPage
	e.admin("ls", "open", "--limit", "2", "--all", "--json").ok(t).decode(t, &all)
	if len(all.Objects) != 5 || all.Next != "" {
		t.Fatalf("--all gave %d objects, next %q", len(all.Objects), all.Next)
	}
	for i, o := range all.Objects {
		if o.PID != pids[i] {
			t.Fatalf("--all order: %d is %s, want %s", i, o.PID, pids[i])
		}
	}
}

func TestSearch(t *testing.T) {
	e := newCLIEnv(t)
	e.publish("LC05_B4.TIF", []byte("b4"), "--meta", "sensor=TM")
	e.publish("LC05_B5.TIF", []byte("b5"), "--meta", "sensor=TM")
	e.publish("S2_B4.jp2", []byte("s2"), "--meta", "sensor=MSI")
	var page api.ObjectPage
	e.admin("search", "--name", "B4", "--meta", "sensor=TM", "--json").ok(t).decode(t, &page)
	if len(page.Objects) != 1 || page.Objects[0].Record.Name != "LC05_B4.TIF" {
		t.Fatalf("search: %+v", page.Objects)
	}
	r := e.admin("search", "--catalog", "open", "--limit", "1", "--all").ok(t)
	if strings.Count(r.stdout, "pid:") != 3 {
		t.Fatalf("search --all:\n%s", r.stdout)
	}
	e.admin("search", "--bbox", "1,2,3").wantCode(t, exitUsage)
	e.admin("search", "--meta", "x").wantCode(t, exitUsage)
}

func TestProvenanceTree(t *testing.T) {
	e := newCLIEnv(t)
	a := e.publish("a.bin", []byte("a"))
	b := e.publish("b.bin", []byte("b"))
	c := e.publish("c.bin", []byte("c"), "--derived-from", a, "--derived-from", b, "--activity", "name=merge,software=tool 1")
	d := e.publish("d.bin", []byte("d"), "--derived-from", c, "--derived-from", a, "--activity", "name=ndvi")
	r := e.admin("provenance", d).ok(t)
	want := fmt.Sprintf(`%s  d.bin [open] by ndvi
├── %s  c.bin [open] by merge (tool 1)
│   ├── %s  a.bin [open]
│   └── %s  b.bin [open]
└── %s (above)
`, d, c, a, b, a)
	if r.stdout != want {
		t.Fatalf("provenance:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = e.admin("provenance", d, "--depth", "1").ok(t)
	if !strings.Contains(r.stdout, "│   └── "+b+"\n") || !strings.Contains(r.stdout, a+"  a.bin") {
		t.Fatalf("beyond the depth an ancestor is its PID alone:\n%s", r.stdout)
	}
	r = e.admin("provenance", d, "--depth", "0").ok(t)
	if want := fmt.Sprintf("%s  d.bin [open] by ndvi\n├── %s\n└── %s\n", d, c, a); r.stdout != want {
		t.Fatalf("--depth 0 names the inputs by PID alone:\n%s\nwant:\n%s", r.stdout, want)
	}
	e.admin("provenance", d, "--depth", "-1").wantCode(t, exitUsage)
	var objs []api.Object
	e.admin("provenance", d, "--json").ok(t).decode(t, &objs)
	if len(objs) < 4 {
		t.Fatalf("provenance --json: %d objects", len(objs))
	}
}
