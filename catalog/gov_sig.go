package catalog

import (
	"crypto/ed25519"
	"strconv"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// Governance commands are signed (docs/governance.md, "Signatures"): the node that proposes
// one for an admin signs it with its node key, and the catalog accepts it only when the
// signer is a registered node (active or draining) of the actor's member. The actor alone
// proves nothing inside apply: the Raft leader writes the entries, so without a signature a
// leader of one member could approve in another member's name.

// GovSig is the signature a governance command carries.
type GovSig struct {
	Signer string `json:"signer"` // peer ID of the node that signed, a node of the actor's member
	Sig    []byte `json:"sig"`    // ed25519 over GovMessage, by the key Signer embeds
}

// GovBody is a governance command: GovPropose, GovApprove or GovWithdraw.
type GovBody interface {
	Body
	govSig() *GovSig
	govFields() string // the body's fields other than the signature, unambiguously
}

func (b *GovPropose) govSig() *GovSig  { return &b.GovSig }
func (b *GovApprove) govSig() *GovSig  { return &b.GovSig }
func (b *GovWithdraw) govSig() *GovSig { return &b.GovSig }

func (b *GovPropose) govFields() string {
	return strings.Join([]string{strconv.Quote(string(b.Action)), strconv.Quote(b.Member), strconv.FormatBool(b.Voter), strconv.Quote(b.Node)}, "\n")
}
func (b *GovApprove) govFields() string  { return strconv.FormatUint(b.ID, 10) }
func (b *GovWithdraw) govFields() string { return strconv.FormatUint(b.ID, 10) }

// GovMessage is what a node signs for a governance command b by actor in federation: the
// domain, the federation, the kind, the body's fields and the actor, so a signature cannot be
// replayed for another command, actor or federation.
func GovMessage(federation, actor string, b GovBody) []byte {
	return []byte("meridian-gov-v1\n" + strconv.Quote(federation) + "\n" + string(b.Kind()) + "\n" + b.govFields() + "\n" + strconv.Quote(actor))
}

// SignGov signs b for actor with key, the node key of peer signer.
func SignGov(b GovBody, federation, actor, signer string, key ed25519.PrivateKey) {
	g := b.govSig()
	g.Signer = signer
	g.Sig = ed25519.Sign(key, GovMessage(federation, actor, b))
}

// checkGovActor is what every governance command checks first: an admin user of an active
// member acts, through a command signed by a node of that member.
func (s *State) checkGovActor(op string, x *exec, b GovBody) error {
	if err := govAdmin(op, x); err != nil {
		return err
	}
	return s.checkGovSig(op, x, b)
}

// checkGovSig accepts governance command b only when signed by a registered node (active or
// draining) of the actor's member.
func (s *State) checkGovSig(op string, x *exec, b GovBody) error {
	g := b.govSig()
	n := s.nodes[g.Signer]
	if g.Signer == "" || n == nil || n.State == NodeGone || n.Member != x.sub.Member {
		return errs.Errorf(op, errs.Permission, "a governance command of %s must be signed by a registered node of member %s: send it to a node of %s", x.cmd.Actor, x.sub.Member, x.sub.Member)
	}
	key, err := nodeKey(op, g.Signer)
	if err != nil {
		return err
	}
	fed := ""
	if s.fed != nil {
		fed = s.fed.Name
	}
	if !ed25519.Verify(key, GovMessage(fed, x.cmd.Actor, b), g.Sig) {
		return errs.Errorf(op, errs.Permission, "the signature of node %s on this governance command does not verify: send the command again through a node of %s", g.Signer, x.sub.Member)
	}
	return nil
}
