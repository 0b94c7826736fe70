package wire

import (
	"bytes"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// TestWriteErrorHasNoPaths: an error answered to a peer keeps its kind and its sense but not
// the node's file paths, whether the path error is in the chain or was flattened.
func TestWriteErrorHasNoPaths(t *testing.T) {
	pe := &fs.PathError{Op: "open", Path: "/srv/meridian/node1/shards/ab/bafkreiabc", Err: syscall.EIO}
	for _, err := range []error{
		errs.E("store.Get", errs.Unavailable, pe),
		errs.Errorf("shardproto.get", errs.Unavailable, "read: %v", pe),
	} {
		var b bytes.Buffer
		if err := WriteError(&b, err); err != nil {
			t.Fatal(err)
		}
		f, err2 := ReadFrame(&b, 0)
		if err2 != nil || f.Type != TError {
			t.Fatalf("frame %v, %v", f.Type, err2)
		}
		got := DecodeError(f.Payload)
		if !errs.Is(got, errs.Unavailable) || strings.Contains(got.Error(), "/srv") || !strings.Contains(got.Error(), "input/output error") {
			t.Errorf("peer got %q (kind %v)", got, errs.KindOf(got))
		}
	}
}
