package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/scalesim"
)

func runRoot(args ...string) (string, error) {
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// TestBenchScale runs a small simulation through the command line: the table names every
// question and the JSON carries the shape given by the flags.
func TestBenchScale(t *testing.T) {
	args := []string{"bench", "--scale", "--nodes", "24", "--members", "8", "--regions", "4", "--stripes", "400", "--trials", "1", "--no-dht"}
	out, err := runRoot(args...)
	if err != nil {
		t.Fatalf("bench --scale: %v\n%s", err, out)
	}
	for _, want := range []string{"24 nodes, 8 members, 4 regions", "balance (400 stripes)", "churn", "repair after losing a member", "10+4 jurisdiction"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, err = runRoot(append(args, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var r scalesim.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if r.Shape.Nodes != 24 || r.Stripes != 400 || len(r.Balance) != len(scalesim.DefaultVariants()) || r.DHT != nil {
		t.Errorf("report: shape %+v, %d stripes, %d balances, DHT %v", r.Shape, r.Stripes, len(r.Balance), r.DHT)
	}
}

func TestBenchScaleBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--scale", "--nodes", "5", "--members", "8", "--no-dht"},
		{"bench", "--scale", "--stripes", "0", "--no-dht"},
	} {
		if _, err := runRoot(args...); exitCode(err) != exitUsage {
			t.Errorf("%v: exit %d (%v), want %d", args, exitCode(err), err, exitUsage)
		}
	}
}
