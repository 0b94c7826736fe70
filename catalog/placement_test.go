package catalog

import (
	"sync"
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

func TestPlacementPlan(t *testing.T) {
	f := newFixture(t)
	f.must("nchc-admin", &CreateCatalog{Name: "c", Owner: "nchc", Scope: mustScope(t, "member"), Placement: Placement{K: 2, M: 1}})
	pl, err := f.s.PlacementPlan("c")
	if err != nil {
		t.Fatal(err)
	}
	holders, err := pl.Place([32]byte{1})
	if err != nil || len(holders) != 3 {
		t.Fatalf("Place = %v, %v", holders, err)
	}
	f.must("esa-admin", DrainNode(f.peers["esa"]))
	nodes := f.s.PlacementNodes()
	active := 0
	for _, n := range nodes {
		if n.Active {
			active++
		}
		if n.Region != regions[n.Member] {
			t.Fatalf("node %s has region %s", n.ID, n.Region)
		}
	}
	if len(nodes) != 3 || active != 2 {
		t.Fatalf("PlacementNodes: %d nodes, %d active", len(nodes), active)
	}
	if _, err := f.s.PlacementPlan("nope"); !errs.Is(err, errs.NotExist) {
		t.Fatal(err)
	}
	if r := f.run("nchc-admin", &SetPlacement{Catalog: "c", Placement: Placement{K: 1, M: 1, Jurisdiction: true}}); !errs.Is(r.Err, errs.Invalid) {
		t.Fatalf("jurisdiction with k=1: %v", r.Err)
	}
}

// TestConcurrentReaders runs queries while commands are applied; run with -race.
func TestConcurrentReaders(t *testing.T) {
	f := newFixture(t)
	f.catalog("c", "nchc", "federation")
	var bodies [][]byte
	for i := range 50 {
		p, rec := f.record("nchc-pub", "nchc-pub", "c", "obj"+string(rune('a'+i%26))+string(rune('a'+i/26)), nil)
		bodies = append(bodies, f.encode("nchc-pub", &Publish{PID: p.String(), Record: rec, Manifest: manifestCID("m"), Keys: keysFor("aist", "esa", "nchc")}))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				f.s.Search(f.s.Subject("aist-read"), Query{Name: "obj"})
				f.s.List("c", "", 10)
				f.s.IsRegisteredPeer(f.peers["aist"])
				f.s.Digest()
			}
		})
	}
	for _, b := range bodies {
		if r := f.applyBytes(b); r.Err != nil {
			t.Error(r.Err)
		}
	}
	close(stop)
	wg.Wait()
	if f.s.Len() != 50 {
		t.Fatalf("Len = %d", f.s.Len())
	}
}

func mustScope(t testing.TB, s string) policy.Scope {
	t.Helper()
	sc, err := policy.ParseScope(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
