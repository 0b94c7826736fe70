package node

import "testing"

func TestReachabilityCountsNewConnections(t *testing.T) {
	set := func(ids ...string) map[string]bool {
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	var r reachability
	steps := []struct {
		connected map[string]bool
		back      int
		why       string
	}{
		{set("a"), 0, "the first round is this node's start"},
		{set("a", "b", "c"), 2, "b and c connected (catalog replayed, or back before this node saw them)"},
		{set("a"), 0, "b and c lost"},
		{set("a"), 0, "still lost"},
		{set("a", "b"), 1, "b back"},
		{set("a", "b", "c", "d"), 2, "c back, d joined"},
		{set("a", "b", "c", "d"), 0, "nothing changed"},
	}
	for _, s := range steps {
		if got := r.update(s.connected); got != s.back {
			t.Fatalf("%s: %d back, want %d", s.why, got, s.back)
		}
	}
}
