package placement

// feasible reports whether the shards still to place can go to distinct nodes among cands
// (entry indices) within the caps, given the nodes already chosen. Every node has one member
// and one region, so this is a max flow source → member → region → sink whose member→region
// capacity is the number of candidate nodes in both.
func (pl *Plan) feasible(c caps, cands []int, chosen []int) bool {
	need := pl.policy.Shards() - len(chosen)
	if need <= 0 {
		return true
	}
	mc, rc := make([]int, c.members), make([]int, c.regions)
	for _, i := range chosen {
		mc[pl.entries[i].member]++
		rc[pl.entries[i].region]++
	}
	// Vertices: 0 source, 1 sink, 2.. members, then regions.
	size := 2 + c.members + c.regions
	g := make([][]int, size)
	for i := range g {
		g[i] = make([]int, size)
	}
	for m := range c.members {
		g[0][2+m] = max(0, c.member-mc[m])
	}
	for r := range c.regions {
		g[2+c.members+r][1] = max(0, c.region-rc[r])
	}
	for _, i := range cands {
		if !contains(chosen, i) {
			g[2+pl.entries[i].member][2+c.members+pl.entries[i].region]++
		}
	}
	return maxFlow(g, need) >= need
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// maxFlow runs Edmonds-Karp on the residual capacity matrix g from 0 to 1, stopping at limit.
func maxFlow(g [][]int, limit int) int {
	flow := 0
	prev := make([]int, len(g))
	for flow < limit {
		for i := range prev {
			prev[i] = -1
		}
		prev[0] = 0
		queue := []int{0}
		for len(queue) > 0 && prev[1] < 0 {
			u := queue[0]
			queue = queue[1:]
			for v, capacity := range g[u] {
				if capacity > 0 && prev[v] < 0 {
					prev[v] = u
					queue = append(queue, v)
				}
			}
		}
		if prev[1] < 0 {
			break
		}
		push := limit - flow
		for v := 1; v != 0; v = prev[v] {
			push = min(push, g[prev[v]][v])
		}
		for v := 1; v != 0; v = prev[v] {
			g[prev[v]][v] -= push
			g[v][prev[v]] += push
		}
		flow += push
	}
	return flow
}
