package api

import (
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

// TestUploadErrorMidStreamReachesClient: a node whose backend fails after reading part of a
// 1 MiB upload answers with its own error, and the client gets that answer, not "connection
// reset by peer" (which net/http's immediate close of the half-read connection used to cause
// about 1 upload in 25). 40 uploads per run, so losing the answer fails nearly every run.
func TestUploadErrorMidStreamReachesClient(t *testing.T) {
	ctx := testCtx(t)
	flaky := newFake()
	flaky.publishAfter = 1000
	ts, _ := counted(t, flaky)
	data := strings.Repeat("y", 1<<20)
	for i := 0; i < 40; i++ {
		c := newTestClient(t, "admin", ts.URL)
		_, err := c.Put(ctx, "open", "big", onlyReader{strings.NewReader(data)}, int64(len(data)))
		if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "holders went away after 1000 bytes") {
			t.Fatalf("upload %d: %v, want the node's own unavailable answer", i, err)
		}
	}
}
