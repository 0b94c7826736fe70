// Package repair keeps every stripe of every object at k+m shards, and every manifest on m+1
// nodes, where the placement policy allows: it finds shards that are missing, on lost or on
// draining holders, and rebuilds or moves them (Repairer), and it re-hashes a node's own blocks
// on a schedule (Scrubber). The planning is pure (Planner.PlanStripe, PlanReplicas); the I/O
// goes through small interfaces the node implements (Catalog, Shards). It imports errs,
// chunker, placement and store from the project.
package repair
