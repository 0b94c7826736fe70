package node

import (
	"context"

	"github.com/ipfs/go-cid"
)

// putLocal stores a block in this node's store and queues its DHT announcement, so readers
// whose computed holders lack it can find it here.
func (n *Node) putLocal(ctx context.Context, c cid.Cid, data []byte) error {
	if err := n.store.Put(ctx, c, data); err != nil {
		return err
	}
	n.p2p.Provide(c)
	return nil
}
