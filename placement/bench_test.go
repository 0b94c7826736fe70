package placement

import (
	"fmt"
	"testing"
)

// bench100 is a federation of 100 nodes in 10 members over 4 regions.
func bench100(b *testing.B) []Node {
	regions := []string{"JP", "TW", "KR", "US"}
	specs := make([]string, 100)
	for i := range specs {
		specs[i] = fmt.Sprintf("m%d/%s", i%10, regions[(i%10)%4])
	}
	return makeNodes(b, "bench", specs...)
}

// BenchmarkPlan100 measures one stripe's placement over a prepared Plan (the per-stripe cost).
func BenchmarkPlan100(b *testing.B) {
	nodes := bench100(b)
	for _, p := range []Policy{{K: 3, M: 2}, {K: 8, M: 4}, {K: 6, M: 4, Jurisdiction: true}} {
		b.Run(fmt.Sprintf("%d+%d/jurisdiction=%v", p.K, p.M, p.Jurisdiction), func(b *testing.B) {
			pl, err := NewPlan(nodes, p)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			s := 0
			for b.Loop() {
				if _, err := pl.Place(key(s)); err != nil {
					b.Fatal(err)
				}
				s++
			}
		})
	}
}

// BenchmarkPlace100 measures the one-shot Place, which also decodes and hashes 100 peer IDs.
func BenchmarkPlace100(b *testing.B) {
	nodes := bench100(b)
	p := Policy{K: 8, M: 4}
	b.ReportAllocs()
	s := 0
	for b.Loop() {
		if _, err := Place(key(s), nodes, p); err != nil {
			b.Fatal(err)
		}
		s++
	}
}
