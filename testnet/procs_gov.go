package testnet

import (
	"context"
	"os"
	"path/filepath"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// MemberTokenFile names the file in a process testnet's dir that holds the first admin token
// of member m (node 0's member writes admin.token too, for older scripts).
func MemberTokenFile(dir, m string) string { return filepath.Join(dir, "admin-"+m+".token") }

// MemberEndpoints lists the API addresses of member m's nodes first, then the others': a
// member's admin changes the catalog through a node of its own member, and the client moves
// on only when one is down.
func (pc *ProcCluster) MemberEndpoints(m string) []string {
	var own, others []string
	for _, n := range pc.Nodes {
		if n.Member == m {
			own = append(own, n.API)
		} else {
			others = append(others, n.API)
		}
	}
	return append(own, others...)
}

// readMemberToken reads the admin token that node i's join (or init) wrote for its member.
func (pc *ProcCluster) readMemberToken(i int) error {
	m := pc.Nodes[i].Member
	b, err := os.ReadFile(MemberTokenFile(pc.Dir, m))
	if err != nil {
		return errs.Errorf("testnet.Up", errs.Unavailable, "no admin token of %s after its first node joined: %v", m, err)
	}
	if pc.MemberTokens == nil {
		pc.MemberTokens = map[string]string{}
	}
	pc.MemberTokens[m] = string(trimNL(b))
	if i == 0 {
		pc.Token = pc.MemberTokens[m]
	}
	return nil
}

// prepareJoin passes the governance decisions node i needs before it joins (node 0's
// admin proposes, the other members' admins approve) and says whether it joins as a voter.
func (pc *ProcCluster) prepareJoin(ctx context.Context, i int, first bool, peerID string) (voter bool, err error) {
	m := pc.Nodes[i].Member
	proposer, err := api.NewClient(pc.MemberEndpoints(pc.Nodes[0].Member), pc.Token, pc.TLS())
	if err != nil {
		return false, err
	}
	var nodes []api.NodeInfo
	err = waitFor(ctx, func() error { // /readyz waits for enough nodes to place shards: not yet
		nodes, err = proposer.Nodes(ctx)
		return err
	})
	if err != nil {
		return false, err
	}
	voter = voterFor(i, len(pc.Nodes), pc.members(), nodes, m)
	a := admitter{proposer: proposer, approvers: map[string]*api.Client{}}
	for id, tok := range pc.MemberTokens {
		if id == pc.Nodes[0].Member {
			continue
		}
		if a.approvers[id], err = api.NewClient(pc.MemberEndpoints(id), tok, pc.TLS()); err != nil {
			return false, err
		}
	}
	return voter, a.admit(ctx, m, peerID, first, voter)
}

// initNode creates node i's data dir (identity, member key, config) before it joins, so its
// peer ID is known to the add-member decision that admits its member; `node join` then runs
// from the initialised dir.
func (pc *ProcCluster) initNode(i int) (string, error) {
	nd := pc.Nodes[i]
	cfg := node.DefaultConfig(nd.Dir)
	cfg.Member, cfg.Listen, cfg.APIAddr = nd.Member, []string{nd.Listen}, nd.API
	id, err := node.Init(cfg)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// members counts the members the process testnet's nodes belong to.
func (pc *ProcCluster) members() int {
	seen := map[string]bool{}
	for _, n := range pc.Nodes {
		seen[n.Member] = true
	}
	return len(seen)
}
