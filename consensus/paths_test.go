package consensus

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// TestForwardResultHasNoPaths: the outcome of a forwarded request that the leader sends back
// keeps its kind but not the leader's file paths.
func TestForwardResultHasNoPaths(t *testing.T) {
	err := errs.E("consensus.Propose", errs.Unavailable, &fs.PathError{Op: "write", Path: "/srv/meridian/raft/raft.db", Err: syscall.EIO})
	r := toResult(nil, 7, err)
	if r.kind != errs.Unavailable || strings.Contains(r.msg, "/srv") || !strings.Contains(r.msg, errs.PathMark) {
		t.Fatalf("result %+v", r)
	}
}
