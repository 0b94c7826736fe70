// Package repair keeps every stripe of every object at k+m shards on the nodes the placement
// policy allows: it finds stripes whose shards are missing, on lost or draining holders, and
// rebuilds or moves them (Repairer), and it re-hashes a node's own shards on a schedule
// (Scrubber). The planning is pure (PlanStripe); the I/O goes through small interfaces the node
// implements (Catalog, Shards). It imports errs, chunker, placement and store from the project.
package repair
