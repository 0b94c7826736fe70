package catalog

import (
	"crypto/ed25519"
	"slices"
	"strings"

	"filippo.io/age"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/placement"
	"github.com/meridian-fed/meridian/policy"
)

// Limits on command fields.
const (
	MaxName       = 256     // member and federation display names
	MaxAddrs      = 32      // addresses per node
	MaxWrappedKey = 4 << 10 // bytes of one wrapped data key
	MaxGrants     = 1024    // grants per catalog
	MaxShards     = placement.MaxShards
)

func invalid(op, format string, args ...any) error {
	return errs.Errorf(op, errs.Invalid, format, args...)
}

// validID checks user ids and catalog names: 1 to 128 characters of letters, digits, '.',
// '-', '_' and '@', not starting with a punctuation mark, and not the node actor prefix.
func validID(op, what, id string) error {
	if id == "" || len(id) > 128 {
		return invalid(op, "%s %q must be 1 to 128 characters", what, id)
	}
	for i, c := range id {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '-' && c != '_' && c != '@') {
			return invalid(op, "%s %q: use letters, digits, '.', '-', '_' and '@', starting with a letter or digit", what, id)
		}
	}
	return nil
}

// validRegion checks an ISO 3166-1 alpha-2 code's form: two upper-case ASCII letters.
func validRegion(op, r string) error {
	if len(r) != 2 || r[0] < 'A' || r[0] > 'Z' || r[1] < 'A' || r[1] > 'Z' {
		return invalid(op, "region %q must be an ISO 3166-1 alpha-2 country code such as TW or JP", r)
	}
	return nil
}

func validMember(op string, m *Member) error {
	if err := policy.ValidMemberID(m.ID); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	if m.Name == "" || len(m.Name) > MaxName {
		return invalid(op, "member %s needs a display name of 1 to %d bytes", m.ID, MaxName)
	}
	if err := validRegion(op, m.Region); err != nil {
		return err
	}
	if _, err := age.ParseX25519Recipient(m.Recipient); err != nil {
		return invalid(op, "member %s: recipient is not an age X25519 recipient (age1…): %v", m.ID, err)
	}
	if m.Retired {
		return invalid(op, "member %s cannot be added retired", m.ID)
	}
	return nil
}

// nodeKey checks a peer ID and returns the ed25519 key it embeds.
func nodeKey(op, peerID string) (ed25519.PublicKey, error) {
	id, err := peer.Decode(peerID)
	if err != nil {
		return nil, invalid(op, "peer ID %q: %v", peerID, err)
	}
	pk, err := id.ExtractPublicKey()
	if err != nil || pk.Type() != crypto.Ed25519 {
		return nil, invalid(op, "peer ID %s does not embed an ed25519 key; nodes use ed25519 identities", peerID)
	}
	raw, err := pk.Raw()
	if err != nil {
		return nil, invalid(op, "peer ID %s: %v", peerID, err)
	}
	return ed25519.PublicKey(raw), nil
}

func validNode(op string, n *Node) (ed25519.PublicKey, error) {
	key, err := nodeKey(op, n.PeerID)
	if err != nil {
		return nil, err
	}
	if len(n.Addrs) > MaxAddrs {
		return nil, invalid(op, "node %s lists %d addresses, at most %d", n.PeerID, len(n.Addrs), MaxAddrs)
	}
	for _, a := range n.Addrs {
		if _, err := ma.NewMultiaddr(a); err != nil {
			return nil, invalid(op, "node %s: address %q is not a multiaddr: %v", n.PeerID, a, err)
		}
	}
	if n.Capacity < 0 {
		return nil, invalid(op, "node %s: capacity must not be negative", n.PeerID)
	}
	if err := validNodeAPI(op, n.PeerID, n.API, n.TLSPin); err != nil {
		return nil, err
	}
	if n.State != NodeActive {
		return nil, invalid(op, "node %s must be added active", n.PeerID)
	}
	return key, nil
}

func validUser(op string, u *User) error {
	if err := validID(op, "user id", u.ID); err != nil {
		return err
	}
	if err := policy.ValidMemberID(u.Member); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	if u.Roles&^(policy.RoleRead|policy.RolePublish|policy.RoleAdmin) != 0 {
		return invalid(op, "user %s: unknown role bits", u.ID)
	}
	if len(u.Key) != 0 && len(u.Key) != ed25519.PublicKeySize {
		return invalid(op, "user %s: key must be a %d-byte ed25519 public key", u.ID, ed25519.PublicKeySize)
	}
	if len(u.Tokens) > 64 || !sortedUnique(u.Tokens, func(a, b Hash) int { return slices.Compare(a[:], b[:]) }) {
		return invalid(op, "user %s: tokens must be sorted, distinct and at most 64", u.ID)
	}
	return nil
}

// sortedUnique reports whether xs is strictly increasing under cmp.
func sortedUnique[T any](xs []T, cmp func(a, b T) int) bool {
	for i := 1; i < len(xs); i++ {
		if cmp(xs[i-1], xs[i]) >= 0 {
			return false
		}
	}
	return true
}

func validPlacement(op string, p *Placement) error {
	if err := p.Validate(); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	for _, r := range p.AllowedRegions {
		if err := validRegion(op, r); err != nil {
			return err
		}
	}
	if !sortedUnique(p.AllowedRegions, strings.Compare) || !sortedUnique(p.ExcludedMembers, strings.Compare) {
		return invalid(op, "placement regions and excluded members must be sorted and distinct")
	}
	return nil
}
