package node

import "github.com/meridian-fed/meridian/api"

// pageRecordBytes is how many bytes of records one listing or search page may decode: half of
// the API's page limit, since a record's JSON form (with its hex, base64 and field names)
// takes up to about twice its DAG-CBOR bytes. The API trims the JSON to its limit again; this
// bound keeps a node from decoding a thousand large records to answer one request.
func (n *Node) pageRecordBytes() int {
	max := n.cfg.APILimits.MaxPageBytes
	if max <= 0 {
		max = api.DefaultMaxPageBytes
	}
	return max / 2
}
