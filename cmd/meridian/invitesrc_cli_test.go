package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestInviteText: 'node join' takes the invite from a file or standard input (out of the
// process list), or from its argument with a warning; two sources or none are usage errors.
func TestInviteText(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "invite")
	if err := os.WriteFile(file, []byte("  mrdn-invite-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		args  []string
		file  string
		stdin string
		want  string // "" for a usage error
		warn  bool
	}{
		{"file", nil, file, "", "mrdn-invite-from-file", false},
		{"stdin", nil, "-", "mrdn-invite-from-stdin\n", "mrdn-invite-from-stdin", false},
		{"argument", []string{"mrdn-arg"}, "", "", "mrdn-arg", true},
		{"both", []string{"mrdn-arg"}, file, "", "", false},
		{"neither", nil, "", "", "", false},
		{"empty file", nil, empty, "", "", false},
		{"missing file", nil, filepath.Join(dir, "nope"), "", "", false},
		{"huge stdin", nil, "-", strings.Repeat("x", maxInviteFile+1), "", false},
	}
	for _, tc := range cases {
		cmd := &cobra.Command{}
		var errb bytes.Buffer
		cmd.SetIn(strings.NewReader(tc.stdin))
		cmd.SetErr(&errb)
		got, err := inviteText(cmd, tc.args, tc.file)
		if tc.want == "" {
			if _, ok := err.(usageError); !ok {
				t.Errorf("%s: %q, %v; want a usage error", tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if warned := strings.Contains(errb.String(), "--invite-file"); warned != tc.warn {
			t.Errorf("%s: warning %q, want warning %v", tc.name, errb.String(), tc.warn)
		}
	}
}

// TestJoinReadsInviteFromStdin: the command reaches the invite check with what standard input
// held, and without an invite it is a usage error.
func TestJoinReadsInviteFromStdin(t *testing.T) {
	e := newCLIEnv(t)
	r := e.exec(strings.NewReader("not-an-invite\n"), "node", "join", "--invite-file", "-", "--data-dir", t.TempDir())
	if r.err == nil || !strings.Contains(r.err.Error(), "not an invite") {
		t.Fatalf("join with a bad invite on stdin: %v", r.err)
	}
	e.exec(strings.NewReader(""), "node", "join", "--data-dir", t.TempDir()).wantCode(t, exitUsage)
}
