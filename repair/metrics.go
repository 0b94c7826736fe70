package repair

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the Prometheus series of repair and scrub. Labels never carry CIDs or peer IDs.
type Metrics struct {
	checked     prometheus.Counter
	found       *prometheus.CounterVec // health found before repair: degraded, critical, lost
	shards      *prometheus.CounterVec // action: rebuilt, copied, deleted, rebalanced, delete_refused
	failures    prometheus.Counter
	rebuilt     prometheus.Counter // bytes of shards rebuilt
	transferred prometheus.Counter // bytes fetched and stored by repair
	stripes     *prometheus.GaugeVec
	queue       prometheus.Gauge
	lastPass    prometheus.Gauge

	scrubBlocks, scrubBytes, scrubCorrupt, scrubRemoved, scrubFailed prometheus.Counter
	scrubLast, scrubSeconds                                          prometheus.Gauge
}

// NewMetrics creates the series and registers them with reg (nil: not registered, still counted).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m := &Metrics{
		checked:      c("meridian_repair_stripes_checked_total", "Stripes this node checked as their responsible repairer."),
		found:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meridian_repair_stripes_found_total", Help: "Stripes found below k+m shards, by health before repair."}, []string{"health"}),
		shards:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meridian_repair_shards_total", Help: "Shards rebuilt, copied or deleted by repair, rebalanced to their placement holder, or kept because their holder refused the delete (delete_refused)."}, []string{"action"}),
		failures:     c("meridian_repair_failures_total", "Stripe repairs that failed and left the stripe unchanged."),
		rebuilt:      c("meridian_repair_rebuilt_bytes_total", "Bytes of shards reconstructed by repair."),
		transferred:  c("meridian_repair_transferred_bytes_total", "Bytes repair fetched and stored (the rate-limited traffic)."),
		stripes:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "meridian_repair_stripes", Help: "Stripes of the last repair pass by health after repair."}, []string{"health"}),
		queue:        g("meridian_repair_queue", "Stripes and manifests that still need repair after the last pass."),
		lastPass:     g("meridian_repair_last_pass_timestamp_seconds", "End of the last complete repair pass, Unix time."),
		scrubBlocks:  c("meridian_scrub_blocks_total", "Blocks re-hashed by scrub."),
		scrubBytes:   c("meridian_scrub_bytes_total", "Bytes re-hashed by scrub."),
		scrubCorrupt: c("meridian_scrub_corrupt_total", "Blocks whose bytes did not match their CID."),
		scrubRemoved: c("meridian_scrub_removed_total", "Corrupt blocks deleted by scrub (repair restores them)."),
		scrubFailed:  c("meridian_scrub_failed_total", "Blocks scrub could not read."),
		scrubLast:    g("meridian_scrub_last_timestamp_seconds", "End of the last complete scrub, Unix time."),
		scrubSeconds: g("meridian_scrub_duration_seconds", "Duration of the last complete scrub."),
	}
	if reg != nil {
		reg.MustRegister(m.checked, m.found, m.shards, m.failures, m.rebuilt, m.transferred, m.stripes,
			m.queue, m.lastPass, m.scrubBlocks, m.scrubBytes, m.scrubCorrupt, m.scrubRemoved,
			m.scrubFailed, m.scrubLast, m.scrubSeconds)
	}
	return m
}

// passDone publishes the gauges of a finished pass.
func (m *Metrics) passDone(r *Report) {
	m.stripes.WithLabelValues("full").Set(float64(r.Full))
	m.stripes.WithLabelValues("degraded").Set(float64(r.Degraded))
	m.stripes.WithLabelValues("critical").Set(float64(r.Critical))
	m.stripes.WithLabelValues("lost").Set(float64(r.Lost))
	m.queue.Set(float64(r.Queued))
	m.lastPass.Set(float64(r.End.UnixNano()) / 1e9)
}
