package api

import (
	"errors"
	"regexp"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// publicMessage is the text of err for people on the other end of the wire: the sentences,
// without the operation names ("node.dataKey: ", "policy.Can: ") that errs.Error puts in
// front of them for the node's log. Those name internal functions: they help nobody outside
// and tell an attacker how the node is built.
//
// The ops of the error chain are removed where they stand; ops of errors that were flattened
// into a message with %v are no longer in the chain, so a pattern removes any remaining
// "pkg.Name: " of this project's packages.
func publicMessage(err error) string {
	msg := errs.WithoutPaths(err.Error(), err)
	for _, op := range opsOf(err) {
		msg = strings.ReplaceAll(msg, op+": ", "")
	}
	return publicText(msg)
}

// publicText removes the op names of this module's packages, and the node's file paths
// (errs.WithoutPaths), from a text sent to a client (an error message, a verification problem).
func publicText(s string) string {
	return strings.TrimSpace(opPrefix.ReplaceAllString(errs.WithoutPaths(s, nil), "$1"))
}

// opsOf lists the Op of every errs.Error in err's chain, longest first (so "a.b.C" goes
// before "b.C" would cut into it).
func opsOf(err error) []string {
	var ops []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ee, ok := e.(*errs.Error); ok && ee.Op != "" {
			ops = append(ops, ee.Op)
		}
	}
	// insertion sort by length, descending: chains are short
	for i := 1; i < len(ops); i++ {
		for j := i; j > 0 && len(ops[j]) > len(ops[j-1]); j-- {
			ops[j], ops[j-1] = ops[j-1], ops[j]
		}
	}
	return ops
}

// opPrefix matches "pkg.Func: " and "pkg.Type.Method: " of this module's packages (the ops
// of errs.Error), at the start of the text or after a space or opening punctuation, so
// hostnames and file names that merely contain a dot are left alone.
var opPrefix = regexp.MustCompile(`(^|[\s(\[{"'` + "`" + `,;])(?:(?:api|node|catalog|policy|pid|store|p2p|shardproto|chunker|crypt|placement|consensus|repair|errs|testnet|layering|meridian|fetch|wire|kv|codec|blockhash|scalesim|strictfs|storetest|fakestore)(?:\.[A-Za-z_][A-Za-z0-9_]*)+: )+`)
