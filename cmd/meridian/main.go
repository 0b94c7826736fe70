// Command meridian is the one binary of a Meridian federation: daemon, client, codec tools and
// local testnet. The work lives in the packages; main only wires commands.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/meridian-fed/meridian/errs"
)

func main() {
	root := newRootCmd()
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "meridian:", err)
		os.Exit(exitCode(err))
	}
}

// Exit codes, documented in docs/CLI.md.
const (
	exitOK          = 0
	exitFailure     = 1 // anything not listed below
	exitUsage       = 2 // bad flags or arguments
	exitNotFound    = 3
	exitPermission  = 4 // unauthenticated or not permitted
	exitUnavailable = 5 // no endpoint or peer reachable, not enough shards
	exitCorrupt     = 6 // bytes did not verify
)

func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	switch errs.KindOf(err) {
	case errs.Invalid:
		return exitUsage
	case errs.NotExist:
		return exitNotFound
	case errs.Permission, errs.Unauthenticated, errs.WrongNode:
		return exitPermission // WrongNode reaches here only when no configured node may serve it
	case errs.Unavailable, errs.Timeout, errs.NotLeader, errs.NotCaughtUp:
		return exitUnavailable
	case errs.Corrupt:
		return exitCorrupt
	}
	return exitFailure
}

// usageError marks errors in how the command was called.
type usageError struct{ error }
