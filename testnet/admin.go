package testnet

import "github.com/meridian-fed/meridian/api"

// Admin is a subject with the admin role in node i's member: node.Status shows it the
// object count and redundancy, which it shows to nobody else (docs/api.md, "Who may see
// metrics and status"). For calls on c.Node(i) directly, not over HTTP.
func (c *Cluster) Admin(i int) api.Subject {
	return api.Subject{Member: c.cfgs[i].Member, User: "testnet-admin", Roles: []string{"admin"}}
}

// AdminToken returns the token of the first admin of node i's member: c.Token for the
// federation's first member, MemberTokens for the members joins created ("" when the
// member's admin token is not known, e.g. with Options.JoinMemberKey).
func (c *Cluster) AdminToken(i int) string {
	if tok, ok := c.MemberTokens[c.cfgs[i].Member]; ok {
		return tok
	}
	if c.cfgs[i].Member == c.cfgs[0].Member {
		return c.Token
	}
	return ""
}
