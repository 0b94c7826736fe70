package layering

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/meridian-fed/meridian"

// allowed lists, for each package (relative to the module), the project packages it may import
// directly. A package missing from the table fails the test, so a new package must be placed in
// the layering on purpose. Keep in step with DESIGN.md "Packages and the direction of
// dependencies" and docs/ARCHITECTURE.md.
var allowed = map[string][]string{
	"errs":              {},
	"internal/layering": {},
	"pid":               {"errs"},
	"policy":            {"errs"},
	"placement":         {"errs"},
	"blockhash":         {"errs"},
	"store":             {"errs", "blockhash"},
	"chunker":           {"errs", "blockhash"},
	"catalog":           {"errs", "pid", "policy", "placement"},
	"consensus":         {"errs", "catalog"},
	"p2p":               {"errs", "store", "placement", "blockhash"},
	"api":               {"errs", "catalog", "pid", "policy"},
	"node":              {"*"},
	"testnet":           {"errs", "node", "api", "pid", "chunker", "store", "catalog", "consensus", "policy"}, // chunker, store: the codec and disk limits of the benchmark; catalog, consensus, policy: the catalog benchmark's bare raft cluster
	"repair":            {"errs", "chunker", "placement", "store"},
	"scalesim":          {"errs", "placement", "p2p", "store", "blockhash"}, // the scale simulation: real placement, DHT and shard protocol over mocknet
	"cmd/meridian":      {"*"},
}

type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
	Name       string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(&out)
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// rule returns the allowed list for a package: its own entry, or the entry of the nearest
// parent (so p2p/shardproto falls under p2p's rule and may import p2p's allowances and p2p).
func rule(rel string) ([]string, string, bool) {
	for r := rel; ; {
		if a, ok := allowed[r]; ok {
			return a, r, true
		}
		i := strings.LastIndex(r, "/")
		if i < 0 {
			return nil, "", false
		}
		r = r[:i]
	}
}

func TestImportsFollowDesign(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		allow, owner, ok := rule(rel)
		if !ok {
			t.Errorf("package %s has no entry in the layering table; add it on purpose", rel)
			continue
		}
		if len(allow) == 1 && allow[0] == "*" {
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			irel := strings.TrimPrefix(imp, module+"/")
			if irel == owner || strings.HasPrefix(irel, owner+"/") {
				continue // a package's own subpackages
			}
			if !permits(allow, irel) {
				t.Errorf("%s imports %s; allowed: %v", rel, irel, allow)
			}
		}
	}
}

func permits(allow []string, irel string) bool {
	for _, a := range allow {
		if irel == a || strings.HasPrefix(irel, a+"/") {
			return true
		}
	}
	return false
}

func TestEveryPackageHasDocComment(t *testing.T) {
	var missing []string
	for _, p := range listPackages(t) {
		if p.Name == "main" {
			continue
		}
		if !strings.HasPrefix(p.Doc, "Package "+p.Name+" ") {
			missing = append(missing, p.ImportPath)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("packages without a doc comment of the form \"Package name ...\": %v", missing)
	}
}
