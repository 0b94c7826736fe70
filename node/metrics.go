package node

import "github.com/prometheus/client_golang/prometheus"

// metrics are the node's own Prometheus series. Labels never carry CIDs or peer IDs.
type metrics struct {
	publishBytes   prometheus.Counter
	publishes      *prometheus.CounterVec // result
	readBytes      prometheus.Counter
	eventsDropped  prometheus.Counter
	gcDeleted      prometheus.Counter
	stripeFetch    prometheus.Histogram
	degradedShards prometheus.Counter
	publishPhase   *prometheus.HistogramVec // phase: store (encode, shards, manifest), commit (Raft)
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		publishBytes:   prometheus.NewCounter(prometheus.CounterOpts{Name: "meridian_publish_bytes_total", Help: "Plaintext bytes published through this node."}),
		publishes:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meridian_publishes_total", Help: "Publish attempts by result."}, []string{"result"}),
		readBytes:      prometheus.NewCounter(prometheus.CounterOpts{Name: "meridian_read_bytes_total", Help: "Plaintext bytes served by this node."}),
		eventsDropped:  prometheus.NewCounter(prometheus.CounterOpts{Name: "meridian_events_dropped_total", Help: "Subscription events dropped for slow subscribers."}),
		gcDeleted:      prometheus.NewCounter(prometheus.CounterOpts{Name: "meridian_gc_deleted_blocks_total", Help: "Orphan blocks removed by garbage collection."}),
		stripeFetch:    prometheus.NewHistogram(prometheus.HistogramOpts{Name: "meridian_stripe_fetch_seconds", Help: "Time to fetch k shards of a stripe.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		degradedShards: prometheus.NewCounter(prometheus.CounterOpts{Name: "meridian_publish_missing_shards_total", Help: "Shards a publish could not place because too few nodes were reachable (left to repair)."}),
		publishPhase: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "meridian_publish_phase_seconds", Help: "Time of each phase of a successful publish: store (encode and make shards and manifest durable), commit (Raft commit and local apply).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"phase"}),
	}
	reg.MustRegister(m.publishPhase, m.degradedShards, m.publishBytes, m.publishes, m.readBytes, m.eventsDropped, m.gcDeleted, m.stripeFetch)
	return m
}
