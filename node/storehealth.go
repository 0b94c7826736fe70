package node

import "github.com/prometheus/client_golang/prometheus"

// The block store heals a layout that vanished under it (store/heal.go); what it cannot heal
// (a read-only remount, a lost mount) is reported here: readyz fails, status warns, and the
// metrics below say so to a scraper.

// registerStoreMetrics exports the store's health: meridian_store_writable is 1 while a file
// can be created in the data directory, 0 when it vanished or turned read-only;
// meridian_store_relayouts_total counts directories the store recreated while running.
func (n *Node) registerStoreMetrics() {
	n.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "meridian_store_writable",
		Help: "1 while the block store's directory exists and takes new files; 0 when it vanished or is read-only (see readyz).",
	}, func() float64 {
		if n.store.Health() != nil {
			return 0
		}
		return 1
	}), prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "meridian_store_relayouts_total",
		Help: "Times the block store recreated directories that vanished while the node ran.",
	}, func() float64 { return float64(n.store.Relayouts()) }))
}

// storeWarnings is the store's problem, if any, for status.
func (n *Node) storeWarnings() []string {
	if n.store == nil {
		return nil
	}
	if err := n.store.Health(); err != nil {
		return []string{err.Error()}
	}
	return nil
}
