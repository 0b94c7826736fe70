package layering

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/meridian-fed/meridian"

type pkg struct {
	ImportPath   string
	Doc          string
	Name         string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// listPackages runs go list over the module with the given build flags.
func listPackages(t *testing.T, flags ...string) []pkg {
	t.Helper()
	args := append(append([]string{"list"}, flags...), "-json", module+"/...")
	cmd := exec.Command("go", args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
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

// graph is, per package relative to the module, its project imports.
type graph map[string]map[string]bool

func (g graph) add(from, to string) {
	if g[from] == nil {
		g[from] = map[string]bool{}
	}
	if to != "" {
		g[from][to] = true
	}
}

// realGraph returns the production and the test-only project imports of every package, over
// the default build and the integration-tagged one.
func realGraph(t *testing.T) (prod, test graph) {
	prod, test = graph{}, graph{}
	for _, flags := range [][]string{nil, {"-tags", "integration"}} {
		for _, p := range listPackages(t, flags...) {
			rel := relative(p.ImportPath)
			prod.add(rel, "")
			for _, imp := range p.Imports {
				if irel, ok := project(imp); ok {
					prod.add(rel, irel)
				}
			}
			for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
				if irel, ok := project(imp); ok && irel != rel {
					test.add(rel, irel)
				}
			}
		}
	}
	for rel, tos := range test {
		for to := range tos {
			if prod[rel][to] {
				delete(tos, to) // imported by the package itself: not test-only
			}
		}
	}
	return prod, test
}

func relative(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
}

func project(imp string) (string, bool) {
	if !strings.HasPrefix(imp, module+"/") {
		return "", false
	}
	return relative(imp), true
}

// diff reports, in words, how the real graph differs from the table.
func diff(kind string, real graph, table map[string][]string) []string {
	var out []string
	for from, tos := range real {
		for to := range tos {
			if !slices.Contains(table[from], to) {
				out = append(out, fmt.Sprintf("%s %s imports %s, which the layering table does not list: if the dependency is meant, add it to %s[%q] in internal/layering/graph_test.go and to docs/ARCHITECTURE.md; otherwise remove the import", kind, from, to, tableName(kind), from))
			}
		}
	}
	for from, tos := range table {
		for _, to := range tos {
			if !real[from][to] {
				out = append(out, fmt.Sprintf("the layering table lets %s import %s (%s), but no %s file does: remove the edge from %s[%q]", from, to, kind, kind, tableName(kind), from))
			}
		}
	}
	sort.Strings(out)
	return out
}

func tableName(kind string) string {
	if kind == "test" {
		return "testImports"
	}
	return "imports"
}

func TestImportGraphIsTheTable(t *testing.T) {
	prod, test := realGraph(t)
	for rel := range prod {
		if _, ok := imports[rel]; !ok {
			t.Errorf("package %s has no entry in the layering table: add it to imports in internal/layering/graph_test.go on purpose (and to docs/ARCHITECTURE.md)", rel)
		}
	}
	for rel := range imports {
		if _, ok := prod[rel]; !ok {
			t.Errorf("the layering table names %s, which is not a package of the module: remove its entry", rel)
		}
	}
	for _, d := range slices.Concat(diff("production", prod, imports), diff("test", test, testImports)) {
		t.Error(d)
	}
}

func TestNoForbiddenEdge(t *testing.T) {
	prod, test := realGraph(t)
	for _, e := range never {
		if prod[e.from][e.to] || test[e.from][e.to] || slices.Contains(imports[e.from], e.to) || slices.Contains(testImports[e.from], e.to) {
			t.Errorf("%s imports %s (or the table allows it), which the design rules out: %s", e.from, e.to, e.why)
		}
	}
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
