package node

import (
	"context"
	"slices"
	"time"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/chunker/crypt"
	"github.com/meridian-fed/meridian/pid"
)

// rewrapInterval is how often the re-wrap job looks for objects whose catalog gained readers.
const rewrapInterval = 30 * time.Second

// rewrapLoop wraps the data keys of existing objects for members that became readers of their
// catalog (a scope widened, a grant or a member added): DESIGN's background job, committed via
// Raft as AddKeys. Only nodes of a catalog's owner may add keys, and one of them — the active
// node with the smallest peer ID — does it, so the work is not repeated.
func (n *Node) rewrapLoop(ctx context.Context) {
	t := time.NewTicker(rewrapInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.rewrapCh:
		}
		if err := n.rewrapOnce(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("re-wrapping data keys for new readers", "err", err)
		}
	}
}

// rewrapWake asks rewrapLoop for a pass; it never blocks (the apply goroutine calls it).
func (n *Node) rewrapWake() {
	select {
	case n.rewrapCh <- struct{}{}:
	default:
	}
}

func (n *Node) rewrapOnce(ctx context.Context) error {
	if !n.responsibleFor(n.cfg.Member) {
		return nil
	}
	for _, c := range n.state.Catalogs() {
		if c.Owner != n.cfg.Member {
			continue
		}
		readers, err := n.state.Readers(c.Name)
		if err != nil {
			return err
		}
		if err := n.rewrapCatalog(ctx, c.Name, readers); err != nil {
			return err
		}
	}
	return nil
}

// responsibleFor reports whether this node is the active node of member m with the smallest
// peer ID.
func (n *Node) responsibleFor(m string) bool {
	var ids []string
	for _, nd := range n.state.Nodes(catalog.NodeActive) {
		if nd.Member == m {
			ids = append(ids, nd.PeerID)
		}
	}
	return len(ids) > 0 && slices.Min(ids) == n.PeerID().String()
}

func (n *Node) rewrapCatalog(ctx context.Context, name string, readers []string) error {
	for cursor := ""; ; {
		page, err := n.state.List(name, cursor, 1000)
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if err := n.rewrapObject(ctx, o, readers); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		cursor = page.Next
	}
}

func (n *Node) rewrapObject(ctx context.Context, o *catalog.Object, readers []string) error {
	var missing []string
	for _, r := range readers {
		if o.Key(r) == nil {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	dek, err := crypt.UnwrapKey(o.Key(n.cfg.Member), n.memberKey.Load())
	if err != nil {
		return err
	}
	keys, err := n.wrapKey(dek, missing) // sorted like readers
	if err != nil {
		return err
	}
	_, err = n.propose(ctx, catalog.NodePrefix+n.PeerID().String(), &catalog.AddKeys{PID: pid.Format(o.PID), Keys: keys})
	return err
}
