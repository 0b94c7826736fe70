package api

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpPrefixKnowsEveryPackage keeps opPrefix in step with the module: an op of a package
// the pattern does not name ("blockhash.Verify: ") would reach clients as it is.
func TestOpPrefixKnowsEveryPackage(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if n := d.Name(); n == "testdata" || strings.HasPrefix(n, ".") && path != ".." {
			return filepath.SkipDir
		}
		gos, _ := filepath.Glob(filepath.Join(path, "*.go"))
		if len(gos) == 0 || path == ".." {
			return nil
		}
		name := filepath.Base(path)
		if got := publicText(name + ".Thing: what went wrong"); got != "what went wrong" {
			t.Errorf("package %s (%s): op not dropped: %q", name, path, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
