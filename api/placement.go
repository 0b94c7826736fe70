package api

// PlacementAudit says where the shards of an object are and whether the catalog's placement
// constraints hold for every stripe (meridian verify --placement). It is the answering node's
// view: the holders are the nodes that answered its HAS queries.
type PlacementAudit struct {
	Policy    Placement         `json:"policy"`     // the catalog's placement
	MemberCap int               `json:"member_cap"` // most shards of a stripe one member may hold
	RegionCap int               `json:"region_cap"` // most shards of a stripe one region may hold
	OK        bool              `json:"ok"`         // no stripe breaks a constraint
	Stripes   []StripePlacement `json:"stripes"`
}

// StripePlacement is one stripe's shards as found and what breaks a constraint, if anything.
type StripePlacement struct {
	Index    int           `json:"index"`
	Shards   []ShardHolder `json:"shards"`             // one row per copy found, in shard order
	Breaches []string      `json:"breaches,omitempty"` // empty: the constraints hold
}

// ShardHolder is one copy of a shard: the node that holds it, with its member and region. A
// shard no node answered for has one row with Node empty.
type ShardHolder struct {
	Shard  int    `json:"shard"`
	Node   string `json:"node,omitempty"`
	Member string `json:"member,omitempty"`
	Region string `json:"region,omitempty"`
}
