package scalesim

import (
	"context"
	"fmt"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p"
	"github.com/meridian-fed/meridian/p2p/shardproto"
	"github.com/meridian-fed/meridian/store"
)

// mesh is a mocknet of hosts, each running the federation DHT (server mode, the project's
// protocol prefix, no values) and the shard protocol over a memory store.
type mesh struct {
	net     mocknet.Mocknet
	hosts   []host.Host
	dhts    []*dht.IpfsDHT
	stores  []*store.Memory
	servers []*shardproto.Server
}

// newMesh starts one host per key, links and connects them all, waits until every routing
// table is filled and then makes every link delay each write by latency (set afterwards, so
// the setup does not pay it).
func newMesh(ctx context.Context, keys []crypto.PrivKey, latency time.Duration) (*mesh, error) {
	const op = "scalesim.mesh"
	m := &mesh{net: mocknet.New()}
	for i, k := range keys {
		if err := m.add(i, k); err != nil {
			m.close()
			return nil, errs.E(op, errs.Internal, err)
		}
	}
	if err := m.net.LinkAll(); err != nil {
		m.close()
		return nil, errs.E(op, errs.Internal, err)
	}
	if err := m.net.ConnectAllButSelf(); err != nil {
		m.close()
		return nil, errs.E(op, errs.Internal, err)
	}
	if err := m.waitTables(ctx, min(len(keys)-1, 40)); err != nil {
		m.close()
		return nil, err
	}
	for _, byPeer := range m.net.Links() {
		for _, links := range byPeer {
			for l := range links {
				l.SetOptions(mocknet.LinkOptions{Latency: latency})
			}
		}
	}
	return m, nil
}

func (m *mesh) add(i int, k crypto.PrivKey) error {
	addr, err := ma.NewMultiaddr(fmt.Sprintf("/ip4/10.%d.%d.%d/tcp/4001", i>>16&255, i>>8&255, i&255))
	if err != nil {
		return err
	}
	h, err := m.net.AddPeer(k, addr)
	if err != nil {
		return err
	}
	d, err := dht.New(h, dht.Mode(dht.ModeServer), dht.ProtocolPrefix(p2p.DHTPrefix),
		dht.DisableValues(), dht.DisableAutoRefresh())
	if err != nil {
		return err
	}
	st := store.NewMemory(0)
	m.hosts, m.dhts, m.stores = append(m.hosts, h), append(m.dhts, d), append(m.stores, st)
	m.servers = append(m.servers, shardproto.NewServer(h, shardproto.ServerConfig{Store: st}))
	return nil
}

// waitTables waits until every DHT's routing table holds at least want peers: the peers
// enter it once identify has shown they speak the DHT protocol.
func (m *mesh) waitTables(ctx context.Context, want int) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	nudge := time.Now().Add(5 * time.Second)
	for {
		low := -1
		for i, d := range m.dhts {
			if d.RoutingTable().Size() < want {
				low = i
				break
			}
		}
		if low < 0 {
			return nil
		}
		if time.Now().After(nudge) {
			// On a loaded machine an identify can be lost, and with auto-refresh off nothing
			// retries it: add the lagging host's peers (every one of which serves the DHT,
			// as the mesh built them) to its table directly.
			m.fillTable(low)
		}
		select {
		case <-ctx.Done():
			return errs.Errorf("scalesim.mesh", errs.Timeout, "routing table of host %d has %d peers, want %d: the mesh did not settle; retry with fewer --nodes",
				low, m.dhts[low].RoutingTable().Size(), want)
		case <-tick.C:
		}
	}
}

// fillTable adds every other host of the mesh to host i's routing table.
func (m *mesh) fillTable(i int) {
	rt := m.dhts[i].RoutingTable()
	for j, h := range m.hosts {
		if j != i {
			_, _ = rt.TryAddPeer(h.ID(), true, false) // a full bucket refuses, as in a real table
		}
	}
}

// close stops everything, servers first, then the DHTs, then the network.
func (m *mesh) close() {
	for _, s := range m.servers {
		s.Close()
	}
	for _, d := range m.dhts {
		_ = d.Close()
	}
	_ = m.net.Close()
}
