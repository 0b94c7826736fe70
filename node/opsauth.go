package node

import (
	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// Actions on one node's own machinery (an on-demand full scrub) belong to the member that
// runs the node: an admin of another member is refused, whatever its role, because the cost
// (hours of disk reads) falls on this member's hardware. See docs/node.md, "Who may act on a
// node".

// mayRunOwnNode checks that sub is an admin of this node's member; op names the action and
// what describes it in the refusal.
func (n *Node) mayRunOwnNode(sub api.Subject, op, what string) error {
	ps := toPolicySubject(sub)
	if ps.Anonymous || ps.User == "" {
		return errs.Errorf(op, errs.Unauthenticated, "%s needs a token of an admin of member %q", what, n.cfg.Member)
	}
	if ps.Member != n.cfg.Member {
		return errs.Errorf(op, errs.Permission,
			"%s is for admins of member %q, which runs this node (you are of member %q): ask an admin of member %q",
			what, n.cfg.Member, ps.Member, n.cfg.Member)
	}
	if !ps.Roles.Allows(policy.Admin) {
		return errs.Errorf(op, errs.Permission, "%s needs the admin role: ask an admin of member %q", what, n.cfg.Member)
	}
	return nil
}

// apiAccess is the API's access settings for /metrics and /v1/status from c; metrics tokens
// must be of this node's member.
func (c *Config) apiAccess() (api.Access, error) {
	a, err := api.ParseAccess(c.MetricsAccess, c.MetricsAllow, c.StatusAccess)
	if err != nil {
		return a, errs.E("node.Config", errs.Invalid, err)
	}
	a.Member = c.Member
	return a, nil
}
