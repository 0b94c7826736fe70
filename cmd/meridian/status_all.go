package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/meridian-fed/meridian/api"
)

// fedStatus is `status --all`: every configured node's status and the federation's redundancy,
// the sum of the nodes' shares (each stripe is counted by the one node responsible for it).
type fedStatus struct {
	Nodes    []nodeStatus    `json:"nodes"`
	Answered int             `json:"answered"`
	Total    *api.Redundancy `json:"total,omitempty"` // nil unless every node answered with counts
}

type nodeStatus struct {
	Endpoint string      `json:"endpoint"`
	Status   *api.Status `json:"status,omitempty"`
	Error    string      `json:"error,omitempty"`
}

// allStatus asks every endpoint of c at once.
func allStatus(ctx context.Context, c *api.Client) (*fedStatus, error) {
	eps := c.Endpoints()
	out := &fedStatus{Nodes: make([]nodeStatus, len(eps))}
	var wg sync.WaitGroup
	for i, ep := range eps {
		out.Nodes[i].Endpoint = ep
		one, err := c.Only(ep)
		if err != nil {
			return nil, err
		}
		wg.Go(func() {
			st, err := one.Status(ctx)
			if err != nil {
				out.Nodes[i].Error = err.Error()
				return
			}
			out.Nodes[i].Status = st
		})
	}
	wg.Wait()
	out.Total = &api.Redundancy{}
	for _, n := range out.Nodes {
		if n.Status == nil {
			out.Total = nil
			continue
		}
		out.Answered++
		r := n.Status.Redundancy
		if r == nil || out.Total == nil {
			out.Total = nil
			continue
		}
		out.Total.Full += r.Full
		out.Total.Degraded += r.Degraded
		out.Total.Critical += r.Critical
		out.Total.Lost += r.Lost
		out.Total.RepairQueue += r.RepairQueue
		out.Total.Waiting += r.Waiting
		if out.Total.WaitingWhy == "" {
			out.Total.WaitingWhy = r.WaitingWhy
		}
		if out.Total.Measured.IsZero() || r.Measured.Before(out.Total.Measured) {
			out.Total.Measured = r.Measured // the oldest share dates the sum
		}
	}
	return out, nil
}

func printAllStatus(w io.Writer, fs *fedStatus) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "node\tmember\tstate\tstripes it repairs\tmeasured\n")
	for _, n := range fs.Nodes {
		if n.Status == nil {
			fmt.Fprintf(tw, "%s\t-\tno answer\t%s\t-\n", n.Endpoint, n.Error)
			continue
		}
		st := n.Status
		counts, age := "not known yet", "-"
		if r := st.Redundancy; r != nil {
			counts = fmt.Sprintf("%d full, %d degraded, %d critical, %d lost", r.Full, r.Degraded, r.Critical, r.Lost)
			age = time.Since(r.Measured).Round(time.Second).String() + " ago"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.Node.PeerID, st.Node.Member, st.Node.State, counts, age)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if t := fs.Total; t != nil {
		fmt.Fprintf(w, "federation: %d full, %d degraded, %d critical, %d lost; repair queue %d (%d of %d nodes, oldest count %v ago)\n",
			t.Full, t.Degraded, t.Critical, t.Lost, t.RepairQueue, fs.Answered, len(fs.Nodes), time.Since(t.Measured).Round(time.Second))
		if t.Waiting > 0 {
			fmt.Fprintf(w, "repair waits: %d stripes cannot get their missing shards within the catalogs' constraints (%s)\n", t.Waiting, t.WaitingWhy)
		}
		return nil
	}
	fmt.Fprintf(w, "federation: no total: %d of %d nodes answered with counts; stripes of the others are not counted (each stripe is counted by one node)\n", countWith(fs), len(fs.Nodes))
	return nil
}

func countWith(fs *fedStatus) int {
	n := 0
	for _, x := range fs.Nodes {
		if x.Status != nil && x.Status.Redundancy != nil {
			n++
		}
	}
	return n
}
