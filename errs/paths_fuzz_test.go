package errs

import (
	"strings"
	"testing"
)

// FuzzWithoutPaths: it never panics, is idempotent, and leaves no absolute path of two or
// more elements under /srv (a stand-in data dir) in its result.
func FuzzWithoutPaths(f *testing.F) {
	f.Add("open /srv/meridian/node1/shards/ab: input/output error")
	f.Add("see /v1/catalogs and /ip4/1.2.3.4/tcp/1")
	f.Add("/a/b/c:/d/e")
	f.Fuzz(func(t *testing.T, s string) {
		once := WithoutPaths(s, nil)
		if twice := WithoutPaths(once, nil); twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, once, twice)
		}
		in := "read " + s + " /srv/data/x: failed"
		if strings.Contains(WithoutPaths(in, nil), "/srv/data") {
			t.Fatalf("path left in %q", WithoutPaths(in, nil))
		}
	})
}
