package catalog

import (
	"net"
	"net/url"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Rules that close three holes found in review: the voter cap when a member is admitted, a
// node registered for a member by another member, and two nodes registering one API address.

// addMemberCapLocked refuses admitting member m (with a voter grant when voter) when the
// federation would then have three members or more and a member would hold half or more of
// the voters. Voters are counted as registered (quorum voters) plus the grants not used yet:
// voters gathered while the federation was small must not carry a majority into it.
func (s *State) addMemberCapLocked(op, m string, voter bool) error {
	held := map[string]int{}
	for _, n := range s.nodes {
		if n.Voter && n.State != NodeGone && s.activeMemberLocked(n.Member) {
			held[n.Member]++
		}
	}
	for id, g := range s.gov.grants {
		held[id] += g
	}
	members := 1 // m itself
	for id := range s.gov.admitted {
		if s.members[id] == nil && id != m {
			members++ // admitted, not added yet
		}
	}
	members += s.activeMembersLocked()
	if voter {
		held[m]++
	}
	total := 0
	for _, v := range held {
		total += v
	}
	if members < 3 {
		return nil
	}
	for id, v := range held {
		if v > 0 && 2*v >= total {
			return errs.Errorf(op, errs.Conflict,
				"with %s the federation would have %d members and member %s would hold %d of %d voters (registered or granted): with three members or more no member may hold half or more; admit %s with a voter, or add voters of other members first", m, members, id, v, total, m)
		}
	}
	return nil
}

// checkNodeForOtherMember refuses, in a governed federation, registering a node of member m
// that has no node left (all gone) by an actor of another member: a node acts as admin of its
// member, so that would hand m to the other member. Only the first node its admission named
// (checkFirstNode), or the peer a passed rebind-member named, is registered that way.
func (s *State) checkNodeForOtherMember(op string, x *exec, n *Node) error {
	if !s.gov.governed || x.sub.Member == n.Member {
		return nil
	}
	if _, bound := s.gov.firstNode[n.Member]; bound {
		return nil
	}
	return errs.Errorf(op, errs.Permission,
		"member %s has no node left: another member may register a node for it only under a passed decision naming the node: an admin of any member proposes it (meridian federation propose rebind-member %s --node PEER), admins of a majority of the members approve it, then the node joins with an invite", n.Member, n.Member)
}

// apiAddr is the host:port an API URL is served at (the scheme's default port when none is
// given), or "" for an empty or unparsable URL.
func apiAddr(api string) string {
	u, err := url.Parse(api)
	if api == "" || err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// checkAPIUnique refuses an API URL whose host:port another node (not gone) registered
// already: clients trust a learned certificate pin for its address, so one node claiming
// another's address would make clients accept its certificate there. Loopback addresses are
// exempt: each names the machine the client runs on, and nodes on different hosts that listen
// on a wildcard address all register https://127.0.0.1:<port> by default (node.apiURL).
func (s *State) checkAPIUnique(op, peerID, api string) error {
	addr := apiAddr(api)
	if addr == "" || loopbackAddr(addr) {
		return nil
	}
	for id, n := range s.nodes {
		if id != peerID && n.State != NodeGone && apiAddr(n.API) == addr {
			return errs.Errorf(op, errs.Conflict, "api address %s is registered by node %s already: each node serves its API at its own host:port; give this node its own address (or remove the other node first)", addr, id)
		}
	}
	return nil
}

// checkRebindProposal accepts a rebind-member of active member m, which has no node left, to
// peer p (a valid, unregistered peer ID): once passed, p may be registered as m's node by
// another member's node (as a first node is), and only p until it is.
func (s *State) checkRebindProposal(op, m, p string) error {
	if err := s.checkActiveMember(op, m); err != nil {
		return err
	}
	if s.memberHasNodesLocked(m) {
		return errs.Errorf(op, errs.Conflict, "member %s still has a node: an admin of %s registers further nodes itself (invite them from one of its nodes)", m, m)
	}
	if _, err := nodeKey(op, p); err != nil {
		return invalid(op, "rebind-member names the peer ID of the member's new node ('meridian node init' prints it): %v", err)
	}
	if s.nodes[p] != nil {
		return errs.Errorf(op, errs.Exist, "peer %s is registered already; the member's new node needs its own identity", p)
	}
	return nil
}

// loopbackAddr reports whether host:port addr is on a loopback or unspecified host.
func loopbackAddr(addr string) bool {
	h, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(h)
	return h == "localhost" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}
