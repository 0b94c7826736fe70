package catalog

import (
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

func TestMembershipViews(t *testing.T) {
	f := newFixture(t)
	s := f.s
	if !s.IsRegisteredPeer(f.peers["aist"]) || s.IsRegisteredPeer(peerOf(t, seedKey("stranger"))) {
		t.Fatal("IsRegisteredPeer wrong before drain")
	}
	f.must("aist-admin", DrainNode(f.peers["aist"]))
	if !s.IsRegisteredPeer(f.peers["aist"]) {
		t.Fatal("a draining node must still be admitted: it is handing its shards over")
	}
	if got := s.Nodes(NodeDraining); len(got) != 1 || got[0].PeerID != f.peers["aist"] {
		t.Fatalf("Nodes(draining) = %v", got)
	}
	f.must("aist-admin", RemoveNode(f.peers["aist"]))
	if s.IsRegisteredPeer(f.peers["aist"]) || len(s.Nodes(NodeActive)) != 2 || len(s.Nodes()) != 3 {
		t.Fatal("a gone node is still admitted or listed as active")
	}
	if r := f.run("aist-admin", &SetNodeState{PeerID: f.peers["aist"], State: NodeActive}); !errs.Is(r.Err, errs.Conflict) {
		t.Fatalf("reviving a gone node: %v, want conflict", r.Err)
	}
	if ms := s.Members(); len(ms) != 3 || ms[0].ID != "aist" {
		t.Fatalf("Members = %v", ms)
	}
}

func TestAuthenticateAndRevoke(t *testing.T) {
	f := newFixture(t)
	sub, err := f.s.Authenticate(token("aist-pub"))
	if err != nil || sub.User != "aist-pub" || sub.Member != "aist" || sub.Roles != policy.RolePublish {
		t.Fatalf("Authenticate = %+v, %v", sub, err)
	}
	extra := token("aist-pub-2")
	f.must("aist-pub", &AddToken{User: "aist-pub", Token: extra})
	f.must("aist-admin", &RevokeToken{User: "aist-pub", Token: token("aist-pub")})
	sub, err = f.s.Authenticate(token("aist-pub"))
	if !errs.Is(err, errs.Unauthenticated) || !sub.Anonymous {
		t.Fatalf("revoked token: %+v, %v", sub, err)
	}
	// A revoked token is an unauthenticated subject: it reads public catalogs only.
	f.catalog("open", "aist", "public")
	f.catalog("closed", "aist", "member")
	if f.s.Authorize(sub, policy.Read, "open") != nil || !errs.Is(f.s.Authorize(sub, policy.Read, "closed"), errs.Unauthenticated) {
		t.Fatal("revoked token: wrong access")
	}
	if _, err := f.s.Authenticate(extra); err != nil {
		t.Fatalf("the other token stopped working: %v", err)
	}
	if r := f.run("esa-admin", &RevokeToken{User: "aist-pub", Token: extra}); !errs.Is(r.Err, errs.Permission) {
		t.Fatalf("another member's admin revoked a token: %v", r.Err)
	}
}

func TestRetireMember(t *testing.T) {
	f := newFixture(t)
	f.catalog("shared", "nchc", "federation")
	p, r := f.publish("nchc-pub", "shared", "a.tif", nil, "aist", "esa", "nchc")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r := f.run("esa-admin", &RetireMember{ID: "esa"}); !errs.Is(r.Err, errs.Conflict) {
		t.Fatalf("self-retire: %v", r.Err)
	}
	f.must("nchc-admin", &RetireMember{ID: "esa"})
	if f.s.IsRegisteredPeer(f.peers["esa"]) {
		t.Fatal("node of a retired member still admitted")
	}
	if _, err := f.s.Authenticate(token("esa-admin")); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("user of a retired member authenticated: %v", err)
	}
	o, _ := f.s.Resolve(p)
	if o.Key("esa") != nil || o.Key("aist") == nil {
		t.Fatalf("keys after retiring esa: %v", o.Keys)
	}
	if r := f.run("nchc-admin", &AddMember{Member: member("esa")}); !errs.Is(r.Err, errs.Exist) {
		t.Fatalf("re-adding a retired id: %v", r.Err)
	}
}

// TestRejections checks that bad commands are refused with the right kind and leave the state
// exactly as it was.
func TestRejections(t *testing.T) {
	f := newFixture(t)
	f.catalog("cat", "nchc", "member")
	members, _ := policy.ParseScope("members:aist")
	tests := []struct {
		name  string
		actor string
		body  Body
		kind  errs.Kind
	}{
		{"bootstrap twice", "nchc-admin", &Bootstrap{}, errs.Exist},
		{"add member by publisher", "nchc-pub", &AddMember{Member: member("jaxa")}, errs.Permission},
		{"add member anonymous", "nobody", &AddMember{Member: member("jaxa")}, errs.Unauthenticated},
		{"add member bad region", "nchc-admin", &AddMember{Member: Member{ID: "jaxa", Name: "J", Region: "jp", Recipient: recipients["jaxa"]}}, errs.Invalid},
		{"add member bad recipient", "nchc-admin", &AddMember{Member: Member{ID: "jaxa", Name: "J", Region: "JP", Recipient: "age1nope"}}, errs.Invalid},
		{"add existing member", "nchc-admin", &AddMember{Member: member("aist")}, errs.Exist},
		{"add node bad peer", "nchc-admin", &AddNode{Node: Node{PeerID: "12D3nope", Member: "nchc", State: NodeActive}}, errs.Invalid},
		{"add node twice", "aist-admin", &AddNode{Node: Node{PeerID: f.peers["aist"], Member: "aist", State: NodeActive}}, errs.Exist},
		{"add node to other member", "nchc-admin", &AddNode{Node: Node{PeerID: peerOf(t, seedKey("y")), Member: "aist", State: NodeActive}}, errs.Permission},
		{"add node unknown member", "nchc-admin", &AddNode{Node: Node{PeerID: peerOf(t, seedKey("x")), Member: "jaxa", State: NodeActive}}, errs.NotExist},
		{"add node bad addr", "nchc-admin", &AddNode{Node: Node{PeerID: peerOf(t, seedKey("x")), Member: "nchc", Addrs: []string{"tcp/1"}, State: NodeActive}}, errs.Invalid},
		{"drain other member's node", "aist-admin", DrainNode(f.peers["nchc"]), errs.Permission},
		{"add user to other member", "aist-admin", &AddUser{User: User{ID: "x", Member: "nchc"}}, errs.Permission},
		{"add existing user", "nchc-admin", &AddUser{User: User{ID: "nchc-pub", Member: "nchc"}}, errs.Exist},
		{"add user with used token", "nchc-admin", &AddUser{User: User{ID: "x", Member: "nchc", Tokens: []Hash{token("aist-admin")}}}, errs.Exist},
		{"add used token", "nchc-pub", &AddToken{User: "nchc-pub", Token: token("esa-pub")}, errs.Exist},
		{"add token to other user", "nchc-pub", &AddToken{User: "nchc-read", Token: token("new")}, errs.Permission},
		{"revoke unknown token", "nchc-admin", &RevokeToken{User: "nchc-pub", Token: token("nope")}, errs.NotExist},
		{"create catalog for other member", "aist-admin", &CreateCatalog{Name: "x", Owner: "nchc", Scope: policy.Scope{Kind: policy.ScopeMember}}, errs.Permission},
		{"create existing catalog", "nchc-admin", &CreateCatalog{Name: "cat", Owner: "nchc", Scope: policy.Scope{Kind: policy.ScopeMember}}, errs.Exist},
		{"create catalog bad name", "nchc-admin", &CreateCatalog{Name: "-x", Owner: "nchc", Scope: policy.Scope{Kind: policy.ScopeMember}}, errs.Invalid},
		{"create catalog bad placement", "nchc-admin", &CreateCatalog{Name: "x", Owner: "nchc", Scope: policy.Scope{Kind: policy.ScopeMember}, Placement: Placement{K: 200, M: 100}}, errs.Invalid},
		{"scope by publisher", "nchc-pub", &SetScope{Catalog: "cat", Scope: members}, errs.Permission},
		{"scope by other admin", "aist-admin", &SetScope{Catalog: "cat", Scope: members}, errs.Permission},
		{"scope unknown catalog", "nchc-admin", &SetScope{Catalog: "nope", Scope: members}, errs.NotExist},
		{"scope unknown member", "nchc-admin", &SetScope{Catalog: "cat", Scope: policy.Scope{Kind: policy.ScopeMembers, Members: []string{"jaxa"}}}, errs.NotExist},
		{"grants unsorted", "nchc-admin", &SetGrants{Catalog: "cat", Grants: []policy.Grant{{Action: policy.Read, Member: "esa"}, {Action: policy.Read, Member: "aist"}}}, errs.Invalid},
		{"grants unknown user", "nchc-admin", &SetGrants{Catalog: "cat", Grants: []policy.Grant{{Action: policy.Read, User: "ghost"}}}, errs.NotExist},
		{"placement excludes unknown", "nchc-admin", &SetPlacement{Catalog: "cat", Placement: Placement{K: 2, M: 1, ExcludedMembers: []string{"ghost"}}}, errs.NotExist},
		{"subscribe without read", "aist-read", &Subscribe{Catalog: "cat"}, errs.Permission},
		{"subscribe as node", NodePrefix + f.peers["nchc"], &Subscribe{Catalog: "cat"}, errs.Unauthenticated},
		{"keys for unknown object", "nchc-admin", &AddKeys{PID: "bafyreigdmqpykrgxyaxtlafqpqhzrb7qy2rh75nldvfd4tucqmi5ajbxo4", Keys: keysFor("aist")}, errs.NotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.s.Digest()
			r := f.run(tt.actor, tt.body)
			if !errs.Is(r.Err, tt.kind) {
				t.Fatalf("err = %v (kind %v), want kind %v", r.Err, errs.KindOf(r.Err), tt.kind)
			}
			if f.s.Digest() != before {
				t.Fatal("a rejected command changed the state")
			}
		})
	}
}

func TestApplyEnvelope(t *testing.T) {
	f := newFixture(t)
	good := f.encode("nchc-admin", &AddMember{Member: member("jaxa")})
	tests := []struct {
		name string
		b    []byte
		kind errs.Kind
	}{
		{"garbage", []byte("{"), errs.Invalid},
		{"unknown field", []byte(`{"v":1,"kind":"member.add","actor":"a","time":1,"body":{},"x":1}`), errs.Invalid},
		{"unknown kind", []byte(`{"v":1,"kind":"member.eat","actor":"a","time":1,"body":{}}`), errs.Invalid},
		{"version 2", []byte(`{"v":2,"kind":"member.add","actor":"a","time":1,"body":{}}`), errs.Invalid},
		{"no time", []byte(`{"v":1,"kind":"member.add","actor":"nchc-admin","time":0,"body":{"member":{}}}`), errs.Invalid},
		{"trailing", append(append([]byte{}, good...), []byte(" {}")...), errs.Invalid},
		{"bad scope", []byte(`{"v":1,"kind":"catalog.create","actor":"nchc-admin","time":5,"body":{"name":"x","owner":"nchc","scope":"all","placement":{"k":1,"m":0}}}`), errs.Invalid},
		{"body unknown field", []byte(`{"v":1,"kind":"member.retire","actor":"nchc-admin","time":5,"body":{"id":"esa","x":1}}`), errs.Invalid},
	}
	for _, tt := range tests {
		if r := f.applyBytes(tt.b); !errs.Is(r.Err, tt.kind) {
			t.Errorf("%s: %v, want %v", tt.name, r.Err, tt.kind)
		}
	}
	applied := f.s.Applied()
	if r := f.s.Apply(applied, good); !errs.Is(r.Err, errs.Conflict) {
		t.Errorf("replayed index: %v", r.Err)
	}
	if err := f.s.Check(good); err != nil {
		t.Errorf("Check(good) = %v", err)
	}
	if r := f.applyBytes(good); r.Err != nil || r.Audit.Kind != KindAddMember {
		t.Errorf("good command: %+v", r)
	}
	if err := f.s.Check(good); !errs.Is(err, errs.Exist) {
		t.Errorf("Check after apply = %v, want exist", err)
	}
}

func TestNotBootstrapped(t *testing.T) {
	s := New()
	f := &fixture{t: t, s: s, time: 1}
	if r := f.run("x", &AddMember{Member: member("aist")}); !errs.Is(r.Err, errs.Unavailable) {
		t.Fatalf("command before bootstrap: %v", r.Err)
	}
	if r := f.run("someone-else", &Bootstrap{
		Federation: Federation{Name: "f", DefaultPlacement: Placement{K: 1}},
		Member:     member("nchc"),
		Admin:      User{ID: "nchc-admin", Member: "nchc", Roles: policy.RoleAdmin},
	}); !errs.Is(r.Err, errs.Invalid) {
		t.Fatalf("bootstrap by another actor: %v", r.Err)
	}
}
