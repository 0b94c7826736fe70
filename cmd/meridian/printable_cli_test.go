package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
)

// TestPrintableOutput: names and metadata holding terminal escapes, carriage returns, line
// breaks or bidirectional overrides (records from before the publication limits) are printed
// escaped by info, ls and provenance, never raw.
func TestPrintableOutput(t *testing.T) {
	evil := "inv\u202efdp.exe\x1b[2J\rforged\nline"
	o := &api.Object{PID: "bafyreitest", Record: api.Record{Name: evil, Catalog: "c",
		Meta: map[string]string{"k\x1b": "v\x9b31m"}, Activity: &api.Activity{Name: "run\x1b]0;t\a", Params: map[string]string{"p": "\r"}}}}
	var b bytes.Buffer
	if err := printObject(&b, o); err != nil {
		t.Fatal(err)
	}
	if err := printObjectPage(&b, &b, &api.ObjectPage{Objects: []api.Object{*o}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"\x1b", "\r", "\u202e", "\u009b", "\a", "forged\nline"} {
		if strings.Contains(out, bad) {
			t.Fatalf("output holds %q raw:\n%q", bad, out)
		}
	}
	if !strings.Contains(out, `inv\u202Efdp.exe\u001B[2J\u000Dforged\u000Aline`) {
		t.Fatalf("name not escaped as expected:\n%s", out)
	}
	if got := printable("plain ü ☃ עברית"); got != "plain ü ☃ עברית" {
		t.Fatalf("plain text changed: %q", got)
	}
}
