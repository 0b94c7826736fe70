package api

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// TestErrorsHaveNoPaths: error answers keep their kind and sense but carry no file path of
// the node's disks, whether the path error is in the chain or was flattened with %v.
func TestErrorsHaveNoPaths(t *testing.T) {
	pe := &fs.PathError{Op: "open", Path: "/srv/meridian/node1/shards/ab/bafkreiabc", Err: syscall.EIO}
	for _, err := range []error{
		errs.E("store.Get", errs.Unavailable, pe),
		errs.Errorf("node.ReadContent", errs.Unavailable, "shard: %v", pe),
		errs.Errorf("store.Put", errs.NoSpace, "store %s is full: %v", "/var/lib/meridian/data", syscall.ENOSPC),
	} {
		f := newFake()
		o := publish(t, f, "open", "x", "content")
		f.fail["ReadContent"] = err
		h := NewServer(f, Options{Logger: quietLogger()})
		w := serve(t, h, "GET", "/v1/objects/"+o.PID+"/content", nil, nil)
		body := w.Body.String()
		want := statusOfKind[errs.KindOf(err)]
		if w.Code != want || errorCode(t, body) != errs.KindOf(err).String() {
			t.Fatalf("%v: %d %s", err, w.Code, body)
		}
		if strings.Contains(body, "/srv") || strings.Contains(body, "/var/lib") || !strings.Contains(body, errs.PathMark) {
			t.Errorf("%v: answer %s", err, body)
		}
	}
}
