package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// maxInviteFile bounds what join reads from an invite file or standard input; invites are a
// few hundred bytes.
const maxInviteFile = 64 << 10

// inviteText returns the invite that 'node join' was given: from --invite-file (a path, or
// "-" for standard input), or from its one argument. A file or standard input keeps the
// invite, which holds the federation key, out of the process list (ps shows argv for the life
// of the process), so the argument form warns.
func inviteText(cmd *cobra.Command, args []string, file string) (string, error) {
	switch {
	case file != "" && len(args) > 0:
		return "", usageError{fmt.Errorf("give the invite as an argument or with --invite-file, not both")}
	case file == "" && len(args) == 0:
		return "", usageError{fmt.Errorf("give the invite with --invite-file PATH (or --invite-file - to read standard input)")}
	case file == "":
		fmt.Fprintln(cmd.ErrOrStderr(), "warning: an invite on the command line is visible to every user of this machine (ps) while the node runs; prefer --invite-file")
		return args[0], nil
	}
	var r io.Reader = cmd.InOrStdin()
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", usageError{fmt.Errorf("--invite-file: %v", err)}
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInviteFile+1))
	if err != nil {
		return "", usageError{fmt.Errorf("--invite-file: %v", err)}
	}
	if len(b) > maxInviteFile {
		return "", usageError{fmt.Errorf("--invite-file holds more than %d bytes; it should hold only the line printed by 'meridian federation invite'", maxInviteFile)}
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usageError{fmt.Errorf("--invite-file %s is empty; put in it the line printed by 'meridian federation invite'", file)}
	}
	return s, nil
}
