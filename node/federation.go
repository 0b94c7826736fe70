package node

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// Invite is what `meridian federation invite` prints and `meridian node join` reads.
type Invite struct {
	V       int      `json:"v"`
	PSK     string   `json:"psk"`     // the federation key file's contents
	Inviter []string `json:"inviter"` // multiaddrs with /p2p/ of the node that redeems it
	Secret  string   `json:"secret"`  // one-time secret
	Member  string   `json:"member"`
	Voter   bool     `json:"voter"`
}

const invitePrefix = "meridian-invite:"

// Encode returns the invite as one copy-pasteable line.
func (iv Invite) Encode() (string, error) {
	b, err := json.Marshal(iv)
	if err != nil {
		return "", errs.E("node.Invite", errs.Internal, err)
	}
	return invitePrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeInvite parses an invite line.
func DecodeInvite(s string) (Invite, error) {
	const op = "node.DecodeInvite"
	var iv Invite
	raw, ok := strings.CutPrefix(strings.TrimSpace(s), invitePrefix)
	if !ok {
		return iv, errs.Errorf(op, errs.Invalid, "not an invite (it starts with %q); copy the whole line printed by 'meridian federation invite'", invitePrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return iv, errs.Errorf(op, errs.Invalid, "invite is damaged (%v); copy it again", err)
	}
	if err := json.Unmarshal(b, &iv); err != nil || iv.V != 1 || iv.Secret == "" || len(iv.Inviter) == 0 || iv.Member == "" {
		return iv, errs.Errorf(op, errs.Invalid, "invite is incomplete or of an unknown version; ask for a new one")
	}
	return iv, nil
}

// joinRequest is what a joining node sends with the invite secret.
type joinRequest struct {
	Addrs    []string       `json:"addrs"`
	Capacity int64          `json:"capacity"`
	Member   catalog.Member `json:"member"` // used only when the member is new
	// AdminTokenHash is the hash of the token the joiner made for a new member's first admin
	// (used only when the member is new): the redeeming node never sees the token.
	AdminTokenHash *catalog.Hash `json:"admin_token_hash,omitempty"`
	// AdminTokenSig signs catalog.FirstAdminMessage(Member, hash) with the joiner's node key:
	// the catalog checks it against the peer the member's admission named.
	AdminTokenSig []byte `json:"admin_token_sig,omitempty"`
	API           string `json:"api,omitempty"`     // the joiner's API URL
	TLSPin        string `json:"tls_pin,omitempty"` // and its certificate's pin
}

// joinAnswer is what the inviting node answers once the joiner is registered.
type joinAnswer struct {
	Federation   string     `json:"federation"`
	Nodes        []nodeAddr `json:"nodes"`
	AdminCreated bool       `json:"admin_created,omitempty"` // the member was new: its first admin holds the joiner's token
	// MemberKey is the member's age identity encrypted to the recipient the joiner sent, when
	// the joiner's own was not the member's (memberkey.go).
	MemberKey []byte `json:"member_key,omitempty"`
}

type nodeAddr struct {
	ID    string   `json:"id"`
	Addrs []string `json:"addrs"`
}

// redeem registers a joining node: a new member first when needed, then the node in the
// catalog (so every gater admits it), then in Raft.
func (n *Node) redeem(ctx context.Context, joiner peer.ID, secret, reqBytes []byte) (_ []byte, err error) {
	const op = "node.redeem"
	var req joinRequest
	if err := json.Unmarshal(reqBytes, &req); err != nil {
		return nil, errs.Errorf(op, errs.Invalid, "join request: %v", err)
	}
	info, err := addrInfo(joiner, req.Addrs) // refuse bad input before spending the invite
	if err != nil {
		return nil, err
	}
	iv, ok, err := n.invites.take(secret, n.now())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Errorf(op, errs.Permission, "invite unknown, used or expired: ask for a new one")
	}
	defer func() {
		if err != nil { // the join did not complete: the same invite may be tried again
			if rerr := n.invites.restore(iv); rerr != nil {
				n.log.Warn("cannot restore an invite after a failed join", "err", rerr)
			}
		}
	}()
	actor := catalog.NodePrefix + n.PeerID().String()
	var ans joinAnswer
	if _, err := n.state.Member(iv.Member); err != nil {
		if err = n.addMember(ctx, actor, iv.Member, req); err != nil {
			return nil, joinConflict(err)
		}
		ans.AdminCreated = true
	} else {
		ans.AdminCreated = n.firstAdminHolds(iv.Member, req.AdminTokenHash) // created by an earlier attempt
		if ans.MemberKey, err = n.memberKeyFor(iv.Member, req.Member.Recipient); err != nil {
			return nil, err // before registering anything: the invite is kept
		}
	}
	node := catalog.Node{PeerID: joiner.String(), Member: iv.Member, Addrs: req.Addrs, Voter: iv.Voter, Capacity: req.Capacity, State: catalog.NodeActive,
		API: req.API, TLSPin: req.TLSPin}
	if prev, err := n.state.Node(node.PeerID); err != nil || prev.Member != node.Member || prev.State != catalog.NodeActive {
		// Not registered by an earlier attempt that failed later on: register it now.
		if _, err := n.propose(ctx, actor, &catalog.AddNode{Node: node}); err != nil {
			return nil, joinConflict(err)
		}
	}
	if err = n.addToRaft(ctx, info, iv.Voter); err != nil {
		return nil, err
	}
	fed, _ := n.state.Federation()
	ans.Federation = fed.Name
	for _, nd := range n.state.Nodes(catalog.NodeActive, catalog.NodeDraining) {
		ans.Nodes = append(ans.Nodes, nodeAddr{ID: nd.PeerID, Addrs: nd.Addrs})
	}
	n.log.Info("node joined", "peer", joiner, "member", iv.Member, "voter", iv.Voter)
	return json.Marshal(ans)
}

// joinConflict turns the catalog's refusal of a join's registration (member not admitted, no
// voter grant, not the node the admission named) into a conflict: the invite is valid and is
// kept, and the joiner is not penalised as for a bad invite, so it can retry once the
// federation has decided.
func joinConflict(err error) error {
	if errs.Is(err, errs.Permission) {
		return errs.E("node.redeem", errs.Conflict, err)
	}
	return err
}

// firstAdminHolds reports whether member m's first admin (created by a join) holds the token
// of hash h: the joiner's earlier attempt created the member.
func (n *Node) firstAdminHolds(m string, h *catalog.Hash) bool {
	u, err := n.state.User(m + "-admin")
	return err == nil && h != nil && u.Member == m && slices.Contains(u.Tokens, *h)
}

// addMember registers a new member with a first admin user holding the token whose hash the
// joiner sent.
func (n *Node) addMember(ctx context.Context, actor, id string, req joinRequest) error {
	if req.AdminTokenHash == nil {
		return errs.Errorf("node.redeem", errs.Invalid, "the joining node sent no admin token hash for new member %s: upgrade it", id)
	}
	m := req.Member
	m.ID = id
	admin := catalog.User{ID: id + "-admin", Member: id, Roles: policy.RoleRead | policy.RolePublish | policy.RoleAdmin, Tokens: []catalog.Hash{*req.AdminTokenHash}}
	_, err := n.propose(ctx, actor, &catalog.AddMember{Member: m, Admin: &admin, AdminSig: req.AdminTokenSig})
	return err
}

func addrInfo(id peer.ID, addrs []string) (peer.AddrInfo, error) {
	info := peer.AddrInfo{ID: id}
	for _, a := range addrs {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			return info, errs.Errorf("node.addrInfo", errs.Invalid, "bad multiaddr %q: %v", a, err)
		}
		if rest, last := ma.SplitLast(m); last != nil && last.Code() == ma.P_P2P {
			m = rest // only a trailing /p2p/<id>: a relay address keeps its /p2p-circuit
		}
		if len(m) == 0 {
			return info, errs.Errorf("node.addrInfo", errs.Invalid, "address %q names a peer but no transport: send listen addresses such as /ip4/…/tcp/…", a)
		}
		info.Addrs = append(info.Addrs, m)
	}
	return info, nil
}

// parseAddrInfos parses multiaddrs with /p2p/<id> into AddrInfos, merging those of one peer.
func parseAddrInfos(addrs []string) ([]peer.AddrInfo, error) {
	var ms []ma.Multiaddr
	for _, a := range addrs {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			return nil, errs.Errorf("node.parseAddrInfos", errs.Invalid, "bootstrap address %q: %v", a, err)
		}
		ms = append(ms, m)
	}
	infos, err := peer.AddrInfosFromP2pAddrs(ms...)
	if err != nil {
		return nil, errs.Errorf("node.parseAddrInfos", errs.Invalid, "bootstrap addresses need a /p2p/<peer id> suffix: %v", err)
	}
	return infos, nil
}

// addrsFile holds the running node's libp2p and API addresses, for the CLI on the same host.
const addrsFile = "addrs.json"

type runningAddrs struct {
	P2P    []string `json:"p2p"`
	API    string   `json:"api"`
	APIURL string   `json:"api_url,omitempty"`
	TLSPin string   `json:"tls_pin,omitempty"`
}

func (n *Node) writeAddrsFile() error {
	b, _ := json.Marshal(runningAddrs{P2P: n.P2PAddrs(), API: n.APIAddr(), APIURL: n.apiURL(), TLSPin: n.TLSPin()})
	return writeFileSync(filepath.Join(n.cfg.DataDir, addrsFile), b, 0o644)
}

func readAddrsFile(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, addrsFile))
	if err != nil {
		return nil, errs.Errorf("node.readAddrs", errs.Unavailable, "no %s in %s: start the node first ('meridian node run')", addrsFile, dir)
	}
	var a runningAddrs
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, errs.E("node.readAddrs", errs.Corrupt, err)
	}
	return a.P2P, nil
}

// ReadAPIAddr returns the API address of the node running from dir.
func ReadAPIAddr(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, addrsFile))
	if err != nil {
		return "", errs.Errorf("node.ReadAPIAddr", errs.Unavailable, "no %s in %s: start the node first", addrsFile, dir)
	}
	var a runningAddrs
	if err := json.Unmarshal(b, &a); err != nil {
		return "", errs.E("node.ReadAPIAddr", errs.Corrupt, err)
	}
	return a.API, nil
}

// ReadAPIIdentity returns the API URL and certificate pin of the node running from dir ("" pin
// for plain HTTP), for its operator's tools: invites, 'meridian node pin'.
func ReadAPIIdentity(dir string) (apiURL, pin string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, addrsFile))
	if err != nil {
		return "", "", errs.Errorf("node.ReadAPIIdentity", errs.Unavailable, "no %s in %s: start the node first", addrsFile, dir)
	}
	var a runningAddrs
	if err := json.Unmarshal(b, &a); err != nil {
		return "", "", errs.E("node.ReadAPIIdentity", errs.Corrupt, err)
	}
	return a.APIURL, a.TLSPin, nil
}
