package api

// learnNodes learns the pins of the nodes that are not gone, each for its API address, and
// returns how many were new. An address that two nodes or more claim gets no learned pin
// (and loses any learned before): the catalog refuses such a registration, so a claim on
// another node's address is an attack or a stale entry, and neither node's key is trusted
// there; the user's own pins and CA roots still apply.
func (ps *pinSet) learnNodes(ns []NodeInfo) int {
	claims := map[string]map[string]bool{} // address -> peer IDs claiming it
	for _, n := range ns {
		if addr := urlAddr(n.API); addr != "" && n.State != "gone" {
			if claims[addr] == nil {
				claims[addr] = map[string]bool{}
			}
			claims[addr][n.PeerID] = true
		}
	}
	added := 0
	for _, n := range ns {
		addr := urlAddr(n.API)
		if len(claims[addr]) > 1 {
			ps.forget(addr)
			continue
		}
		if n.TLSPin != "" && n.State != "gone" && ps.learn(n.API, n.TLSPin) {
			added++
		}
	}
	return added
}

// forget drops the pins learned for addr.
func (ps *pinSet) forget(addr string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.learned, addr)
}
