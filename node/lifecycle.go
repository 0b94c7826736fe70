package node

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"go.yaml.in/yaml/v3"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p"
	"github.com/meridian-fed/meridian/policy"
)

// Init prepares a data dir: the node's identity, its member's age key (created unless one was
// copied in) and node.yaml with cfg's settings. It refuses a dir that already holds a config.
func Init(cfg Config) (peer.ID, error) {
	const op = "node.Init"
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", errs.E(op, errs.Unavailable, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, ConfigFile)); err == nil {
		return "", errs.Errorf(op, errs.Exist, "%s already holds a node; use another --data-dir", cfg.DataDir)
	}
	priv, err := p2p.LoadOrCreateIdentity(filepath.Join(cfg.DataDir, p2p.KeyFileName))
	if err != nil {
		return "", err
	}
	if _, err := LoadOrCreateMemberKey(cfg.DataDir); err != nil {
		return "", err
	}
	if err := writeConfigFile(cfg); err != nil {
		return "", err
	}
	return peer.IDFromPrivateKey(priv)
}

func writeConfigFile(cfg Config) error {
	m := map[string]any{
		"member": cfg.Member, "listen": cfg.Listen, "api_addr": cfg.APIAddr, "bootstrap": cfg.Bootstrap,
		"capacity": cfg.Capacity, "stripe_size": cfg.StripeSize, "transfers": cfg.Transfers, "max_object": cfg.MaxObject,
		"orphan_grace": cfg.OrphanGrace.String(), "gc_interval": cfg.GCInterval.String(), "repair_grace": cfg.RepairGrace.String(), "repair_interval": cfg.RepairInterval.String(), "repair_rate": cfg.RepairRate, "log_level": cfg.LogLevel,
	}
	for k, v := range map[string]string{"tls_cert": cfg.TLSCert, "tls_key": cfg.TLSKey, "api_url": cfg.APIURL} {
		if v != "" {
			m[k] = v
		}
	}
	if cfg.InsecurePlainHTTP {
		m["insecure_plain_http"] = true
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		return errs.E("node.writeConfig", errs.Internal, err)
	}
	return writeFileSync(filepath.Join(cfg.DataDir, ConfigFile), b, 0o600)
}

// FederationSpec describes a new federation and its first member.
type FederationSpec struct {
	Name         string
	MemberName   string
	Region       string
	K, M         int // default placement of catalogs
	AdminUser    string
	AdminTokenTo string // file the admin token is written to (0600); "" = not written
}

// InitFederation creates a federation with the node in cfg.DataDir (already Init'ed) as its
// first voter and returns the running node and the first admin's token (shown once).
func InitFederation(ctx context.Context, cfg Config, spec FederationSpec) (*Node, string, error) {
	const op = "node.InitFederation"
	pskPath := filepath.Join(cfg.DataDir, SwarmKeyFile)
	if _, err := os.Stat(pskPath); err == nil {
		return nil, "", errs.Errorf(op, errs.Exist, "%s already belongs to a federation; start it with 'meridian node run'", cfg.DataDir)
	}
	psk, err := p2p.GeneratePSK()
	if err != nil {
		return nil, "", err
	}
	if err := writeFileSync(pskPath, p2p.EncodePSK(psk), 0o600); err != nil {
		return nil, "", err
	}
	n, err := Start(ctx, cfg, true)
	if err != nil {
		return nil, "", err
	}
	token, err := n.bootstrapCatalog(ctx, spec)
	if err != nil {
		n.Close()
		return nil, "", err
	}
	n.openGateNow(ctx)
	if spec.AdminTokenTo != "" {
		if err := writeFileSync(spec.AdminTokenTo, []byte(token+"\n"), 0o600); err != nil {
			n.Close()
			return nil, "", err
		}
	}
	if err := n.markMember(spec.Name); err != nil {
		n.Close()
		return nil, "", err
	}
	return n, token, nil
}

func (n *Node) bootstrapCatalog(ctx context.Context, spec FederationSpec) (string, error) {
	if _, err := n.raft.WaitLeader(ctx); err != nil {
		return "", err
	}
	token, err := newSecret()
	if err != nil {
		return "", err
	}
	admin := catalog.User{ID: orDefault(spec.AdminUser, "admin"), Member: n.cfg.Member,
		Roles: policy.RoleRead | policy.RolePublish | policy.RoleAdmin, Tokens: []catalog.Hash{catalog.TokenHash([]byte(token))}}
	self := &catalog.Node{PeerID: n.PeerID().String(), Member: n.cfg.Member, Addrs: n.P2PAddrs(), Voter: true, Capacity: n.cfg.Capacity, State: catalog.NodeActive,
		API: n.apiURL(), TLSPin: n.TLSPin()}
	body := &catalog.Bootstrap{
		Federation: catalog.Federation{Name: spec.Name, DefaultPlacement: catalog.Placement{K: spec.K, M: spec.M}},
		Member:     catalog.Member{ID: n.cfg.Member, Name: orDefault(spec.MemberName, n.cfg.Member), Region: spec.Region, Recipient: n.memberKey.Load().Recipient().String()},
		Admin:      admin,
		Node:       self,
		Governed:   true, // docs/node.md, "Governance"
	}
	if _, err := n.propose(ctx, admin.ID, body); err != nil {
		return "", err
	}
	return token, nil
}

// JoinSpec says what a joining node tells the federation about itself and its member.
type JoinSpec struct {
	MemberName   string // for a new member
	Region       string // for a new member
	AdminTokenTo string // where a new member's first admin token is written
}

// Join starts the node in cfg.DataDir (already Init'ed) and redeems the invite with the
// inviting node. It returns the running node once this node is registered in its own replica
// of the catalog, and the new member's admin token when the member was created by the join.
func Join(ctx context.Context, cfg Config, iv Invite, spec JoinSpec) (*Node, string, error) {
	const op = "node.Join"
	pskPath := filepath.Join(cfg.DataDir, SwarmKeyFile)
	if _, err := os.Stat(pskPath); err == nil {
		return nil, "", errs.Errorf(op, errs.Exist, "%s already belongs to a federation; start it with 'meridian node run'", cfg.DataDir)
	}
	if iv.Member != cfg.Member {
		return nil, "", errs.Errorf(op, errs.Invalid, "the invite is for member %s but this node is configured for %s", iv.Member, cfg.Member)
	}
	if err := writeFileSync(pskPath, []byte(iv.PSK), 0o600); err != nil {
		return nil, "", err
	}
	cfg.Bootstrap = iv.Inviter
	n, err := Start(ctx, cfg, false)
	if err != nil {
		os.Remove(pskPath)
		return nil, "", err
	}
	ans, token, err := n.join(ctx, iv, spec)
	if err != nil {
		n.Close()
		os.Remove(pskPath)
		return nil, "", err
	}
	n.openGateNow(ctx)
	var bootstrap []string
	for _, nd := range ans.Nodes {
		bootstrap = append(bootstrap, nd.Addrs...)
	}
	cfg.Bootstrap = bootstrap
	if err := writeConfigFile(cfg); err != nil {
		n.Close()
		return nil, "", err
	}
	if token != "" && spec.AdminTokenTo != "" {
		if err := writeFileSync(spec.AdminTokenTo, []byte(token+"\n"), 0o600); err != nil {
			n.Close()
			return nil, "", err
		}
	}
	if err := n.markMember(ans.Federation); err != nil {
		n.Close()
		return nil, "", err
	}
	os.Remove(filepath.Join(cfg.DataDir, pendingAdminTokenFile)) // the caller has the token now
	return n, token, nil
}

// markMember records in the data dir that this node has become part of a federation (after
// init or join), which is what scripts and the testnet wait for.
func (n *Node) markMember(federation string) error {
	b, _ := json.Marshal(map[string]any{"federation": federation, "peer_id": n.PeerID().String(), "since": n.now().UTC().Format(time.RFC3339)})
	return writeFileSync(filepath.Join(n.cfg.DataDir, StateFile), b, 0o600)
}

// join redeems the invite. It makes the token of a new member's first admin itself and sends
// only its hash, so the redeeming node (of another member) never holds it; the token is
// returned when the join created the member.
func (n *Node) join(ctx context.Context, iv Invite, spec JoinSpec) (*joinAnswer, string, error) {
	infos, err := parseAddrInfos(iv.Inviter)
	if err != nil || len(infos) == 0 {
		return nil, "", errs.Errorf("node.join", errs.Invalid, "invite has no usable inviter address")
	}
	token, err := n.pendingAdminToken()
	if err != nil {
		return nil, "", err
	}
	hash := catalog.TokenHash([]byte(token))
	mem := catalog.Member{ID: n.cfg.Member, Name: orDefault(spec.MemberName, n.cfg.Member), Region: spec.Region, Recipient: n.memberKey.Load().Recipient().String()}
	req, _ := json.Marshal(joinRequest{
		Addrs: n.P2PAddrs(), Capacity: n.cfg.Capacity, API: n.apiURL(), TLSPin: n.TLSPin(), AdminTokenHash: &hash,
		AdminTokenSig: ed25519.Sign(n.signKey, catalog.FirstAdminMessage(mem, hash)), // the whole record: the redeemer cannot swap the recipient
		Member:        mem,
	})
	out, err := n.p2p.Join(ctx, infos[0], []byte(iv.Secret), req)
	if err != nil {
		return nil, "", err
	}
	var ans joinAnswer
	if err := json.Unmarshal(out, &ans); err != nil {
		return nil, "", errs.E("node.join", errs.Corrupt, err)
	}
	if !ans.AdminCreated {
		token = ""
	}
	if err := n.adoptMemberKey(ans.MemberKey); err != nil {
		return nil, "", err
	}
	for _, nd := range ans.Nodes {
		if id, err := peer.Decode(nd.ID); err == nil {
			n.trusted.Add(id)
		}
	}
	// Wait until Raft has replicated our own registration here.
	for !n.state.IsRegisteredPeer(n.PeerID().String()) {
		select {
		case <-ctx.Done():
			return nil, "", errs.Errorf("node.join", errs.Timeout, "joined, but the catalog has not replicated to this node yet; check that it can reach the voters")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := n.checkMemberKey(); err != nil {
		return nil, "", err // an inviting node too old to send the key
	}
	return &ans, token, nil
}

// openGateNow tries to catch up at once, so a node that has just bootstrapped or joined a
// federation answers requests when it is handed to the caller instead of after the
// catch-up loop's next attempt. A failure is logged; the loop keeps trying.
func (n *Node) openGateNow(ctx context.Context) {
	if err := n.tryCatchUp(ctx); err != nil {
		n.log.Warn("not caught up with the federation yet; requests get 503 until it is", "err", err)
	}
}

// pendingAdminTokenFile keeps, in a joining node's data dir, the token it made for its new
// member's first admin, so a join retried after a refusal sends the same hash (the member
// may have been created by the first attempt).
const pendingAdminTokenFile = "join-admin.token"

func (n *Node) pendingAdminToken() (string, error) {
	path := filepath.Join(n.cfg.DataDir, pendingAdminTokenFile)
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return string(b), nil
	}
	token, err := newSecret()
	if err != nil {
		return "", err
	}
	return token, writeFileSync(path, []byte(token), 0o600)
}
