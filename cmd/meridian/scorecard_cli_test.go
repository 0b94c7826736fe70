package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/testnet"
)

// knownCard has every field set, each to a value that prints recognisably.
func knownCard() testnet.Scorecard {
	return testnet.Scorecard{
		Nodes: 6, Members: 3, K: 3, M: 2,
		Trials: 5, Objects: 20, Reads: 347,
		Losses: 2, WrongBytes: 1, CorruptionsInjected: 10, CorruptionsDetected: 9,
		CorruptionToFull:    2346 * time.Millisecond,
		Published:           385 << 20,
		RedundancyAfterLoss: 3456 * time.Millisecond,
		RepairGrace:         time.Second,
		RepairInterval:      200 * time.Millisecond,
		RepairedBytes:       120_300_000,
		RepairStart:         1234 * time.Millisecond,
		RepairWindow:        1414 * time.Millisecond,
		RepairMBs:           85.1,
		RepairCores:         1.76,
		RepairCPUPerGB:      21.3,
		TransportMBs:        411,
		RSDecodeMBs:         15234,
		RepairBoundMBs:      137,
	}
}

// scorecardPrinted says, for every Scorecard field, what the table must show for knownCard
// (after runs of spaces are collapsed to one).
var scorecardPrinted = map[string]string{
	"Nodes":               "6 nodes",
	"Members":             "3 members",
	"K":                   "(transport 411 MB/s / k=3)",
	"M":                   "3+2, all in this process",
	"Trials":              "trials / objects / reads 5 / 20 / 347",
	"Objects":             "trials / objects / reads 5 / 20 / 347",
	"Reads":               "trials / objects / reads 5 / 20 / 347",
	"Losses":              "losses (goal 0) 2\n",
	"WrongBytes":          "wrong bytes served (goal 0) 1\n",
	"CorruptionsInjected": "corruptions detected / injected 9 / 10\n",
	"CorruptionsDetected": "corruptions detected / injected 9 / 10\n",
	"CorruptionToFull":    "full redundancy after detected corruption 2.35 s (longest of the trials)",
	"Published":           "published before the permanent loss 385.0 MiB",
	"RedundancyAfterLoss": "full redundancy after the loss 3.46 s",
	"RepairGrace":         "(grace 1s,",
	"RepairInterval":      "passes every 200ms)",
	"RepairedBytes":       "120.3 MB rebuilt",
	"RepairStart":         "started 1.23 s after the loss",
	"RepairWindow":        "rebuilt in 1.41 s",
	"RepairMBs":           "repair 85 MB/s = 0.62 of",
	"RepairCores":         "1.8 cores busy",
	"RepairCPUPerGB":      "21.3 CPU-s per GB rebuilt",
	"TransportMBs":        "transport 411 MB/s (libp2p, 3 node pairs at once)",
	"RSDecodeMBs":         "RS 3+2 decode 15.2 GB/s (one core)",
	"RepairBoundMBs":      "the same-run bound 137 MB/s",
}

// TestScorecardFixtureCoversEveryField keeps knownCard and scorecardPrinted in step with
// testnet.Scorecard: a field added there must be set here and given its printed form.
func TestScorecardFixtureCoversEveryField(t *testing.T) {
	v := reflect.ValueOf(knownCard())
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if v.Field(i).IsZero() {
			t.Errorf("knownCard leaves %s zero: set it so that dropping it from the output shows", name)
		}
		if _, ok := scorecardPrinted[name]; !ok {
			t.Errorf("scorecardPrinted has no entry for %s: print it and say how", name)
		}
	}
	if len(scorecardPrinted) != v.NumField() {
		t.Errorf("scorecardPrinted has %d entries for %d fields", len(scorecardPrinted), v.NumField())
	}
}

func TestScorecardTablePrintsEveryField(t *testing.T) {
	card := knownCard()
	r := runFakeScorecard(t, &card, nil)
	var out string
	for line := range strings.Lines(r.stdout) {
		out += strings.Join(strings.Fields(line), " ") + "\n"
	}
	for field, want := range scorecardPrinted {
		if !strings.Contains(out, want) {
			t.Errorf("%s: table lacks %q\n%s", field, want, r.stdout)
		}
	}
}

func TestScorecardJSONHasEveryField(t *testing.T) {
	card := knownCard()
	r := runFakeScorecard(t, &card, nil, "--json")
	var keys []string
	for i := range reflect.TypeFor[testnet.Scorecard]().NumField() {
		keys = append(keys, reflect.TypeFor[testnet.Scorecard]().Field(i).Name)
	}
	wantKeys(t, "scorecard --json", r.stdout, sortedCopy(keys)...)
	var got testnet.Scorecard
	r.decode(t, &got)
	if got != card {
		t.Errorf("scorecard --json round trip:\n got %+v\nwant %+v", got, card)
	}
}

// An unmeasured repair prints no rate and no ratio to the bound.
func TestScorecardNothingRebuilt(t *testing.T) {
	card := testnet.Scorecard{Nodes: 6, Members: 3, K: 3, M: 2, RepairBoundMBs: 137}
	var buf bytes.Buffer
	if err := printScorecard(&buf, &card); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "nothing rebuilt after the loss") || strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
		t.Errorf("nothing rebuilt:\n%s", out)
	}
}

func TestScorecardFlagsAndExitCodes(t *testing.T) {
	good := testnet.Scorecard{Nodes: 6, Members: 3, K: 3, M: 2, Reads: 10, CorruptionsInjected: 2, CorruptionsDetected: 2}
	missed := knownCard()
	var seen testnet.ScoreOptions
	r := runFakeScorecard(t, &good, &seen)
	if r.code != exitOK || seen != (testnet.ScoreOptions{Trials: 5, Objects: 20, Seed: 1, LossMiB: 384}) {
		t.Errorf("defaults: exit %d (%v), options %+v", r.code, r.err, seen)
	}

	prof := filepath.Join(t.TempDir(), "cpu.prof")
	r = runFakeScorecard(t, &good, &seen, "--trials", "2", "--objects", "6", "--seed", "3", "--loss-mib", "48", "--cpuprofile", prof)
	if r.code != exitOK || seen.Trials != 2 || seen.Objects != 6 || seen.Seed != 3 || seen.LossMiB != 48 {
		t.Errorf("flags: exit %d (%v), options %+v", r.code, r.err, seen)
	}
	if b, err := os.ReadFile(prof); err != nil || string(b) != "profile" {
		t.Errorf("--cpuprofile file: %q, %v", b, err)
	}

	for _, args := range [][]string{nil, {"--json"}} {
		r = runFakeScorecard(t, &missed, nil, args...)
		if r.code != exitFailure || !strings.Contains(r.stdout, "347") ||
			!strings.Contains(r.err.Error(), "2 of 347 reads failed, 1 reads returned wrong bytes, scrub found 9 of 10 injected corruptions") {
			t.Errorf("goals missed %v: exit %d (%v), stdout %q", args, r.code, r.err, r.stdout)
		}
	}

	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--loss-mib", "0"}, exitUsage},
		{[]string{"--trials", "-1"}, exitUsage},
		{[]string{"extra"}, exitUsage},
		{[]string{"--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir")}, exitUsage},
	} {
		if r := runFakeScorecard(t, &good, nil, c.args...); r.code != c.want {
			t.Errorf("%v: exit %d, want %d (%v)", c.args, r.code, c.want, r.err)
		}
	}
	failing := func(context.Context, testnet.ScoreOptions) (*testnet.Scorecard, error) {
		return nil, errs.E("testnet.Start", errs.Unavailable, os.ErrDeadlineExceeded)
	}
	if r := execScorecard(t, failing); r.code != exitUnavailable || r.stdout != "" {
		t.Errorf("a failed run: exit %d, stdout %q", r.code, r.stdout)
	}
}

// runFakeScorecard runs `meridian scorecard args...` with a measurement that returns card,
// records its options in seen (when not nil) and writes "profile" to the CPU profile.
func runFakeScorecard(t *testing.T, card *testnet.Scorecard, seen *testnet.ScoreOptions, args ...string) cliResult {
	t.Helper()
	return execScorecard(t, func(_ context.Context, o testnet.ScoreOptions) (*testnet.Scorecard, error) {
		if o.CPUProfile != nil {
			o.CPUProfile.Write([]byte("profile")) //nolint:errcheck // the test reads the file
			o.CPUProfile = nil
		}
		if seen != nil {
			*seen = o
		}
		c := *card
		return &c, nil
	}, args...)
}

// execScorecard runs the scorecard command, measured by run, in the whole command tree.
func execScorecard(t *testing.T, run scoreRunner, args ...string) cliResult {
	t.Helper()
	root := newRootCmd()
	old, _, err := root.Find([]string{"scorecard"})
	if err != nil {
		t.Fatal(err)
	}
	root.RemoveCommand(old)
	root.AddCommand(scorecardCmd(run))
	var out, errb bytes.Buffer
	root.SetArgs(append([]string{"scorecard"}, args...))
	root.SetOut(&out)
	root.SetErr(&errb)
	err = root.ExecuteContext(context.Background())
	r := cliResult{stdout: out.String(), stderr: errb.String(), err: err}
	if err != nil {
		r.code = exitCode(err)
	}
	return r
}

func sortedCopy(s []string) []string {
	s = append([]string(nil), s...)
	slices.Sort(s)
	return s
}
