package errs

import (
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestWithoutPaths(t *testing.T) {
	pe := &fs.PathError{Op: "open", Path: "/srv/meridian/node1/shards/ab/bafkreiabc", Err: syscall.EIO}
	rel := &fs.PathError{Op: "open", Path: "shards/ab/bafkreixyz", Err: syscall.ENOSPC}
	cases := []struct {
		name     string
		err      error
		gone     []string // must not be in the result
		kept     []string // must still be there
		flattend bool
	}{
		{"path error in chain", E("store.Get", Unavailable, pe), []string{"/srv", "node1"}, []string{"open " + PathMark, "input/output error"}, false},
		{"relative path in chain", E("store.Put", NoSpace, rel), []string{"shards/ab"}, []string{"no space left"}, false},
		{"link error", E("store.Put", Internal, &os.LinkError{Op: "rename", Old: "/d/tmp/x", New: "/d/blocks/y", Err: syscall.EXDEV}), []string{"/d/"}, []string{"rename"}, false},
		{"flattened", Errorf("node.fetch", Unavailable, "read shard: %v", pe), []string{"/srv"}, []string{"read shard: open " + PathMark}, true},
		{"store closed", Errorf("store.Has", Unavailable, "store %s is closed", "/var/lib/meridian/data/store"), []string{"/var/lib"}, []string{"store " + PathMark + " is closed"}, true},
		{"routes, multiaddrs and protocols stay", Errorf("x.y", Invalid, "see /v1/catalogs/{name}, /pid/bafy/content, /ip4/10.0.0.1/tcp/4001/p2p/12D3Koo and /meridian/shard/1.0.0"), nil,
			[]string{"/v1/catalogs/{name}", "/pid/bafy/content", "/ip4/10.0.0.1/tcp/4001/p2p/12D3Koo", "/meridian/shard/1.0.0"}, true},
		{"a lone slash word stays", Errorf("x.y", Invalid, "give k/m as 3/2 or the value /x"), nil, []string{"3/2", "/x"}, true},
		{"nil error", nil, nil, nil, false},
	}
	for _, tc := range cases {
		text := ""
		if tc.err != nil {
			text = tc.err.Error()
		}
		got := WithoutPaths(text, tc.err)
		for _, g := range tc.gone {
			if strings.Contains(got, g) {
				t.Errorf("%s: %q still holds %q", tc.name, got, g)
			}
		}
		for _, k := range tc.kept {
			if !strings.Contains(got, k) {
				t.Errorf("%s: %q lost %q", tc.name, got, k)
			}
		}
		if tc.flattend && WithoutPaths(text, nil) != got {
			t.Errorf("%s: the result depends on the chain for a flattened error", tc.name)
		}
	}
}
