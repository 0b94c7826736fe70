package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

func sha256Of(b []byte) [32]byte { return sha256.Sum256(b) }

func (f *fakeBackend) CreateCatalog(ctx context.Context, sub api.Subject, c api.Catalog) (*api.Catalog, error) {
	if !hasRole(sub, "admin") {
		return nil, errs.Errorf("fake.CreateCatalog", errs.Permission, "admins only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.catalogs[c.Name]; ok {
		return nil, errs.Errorf("fake.CreateCatalog", errs.Exist, "catalog %q exists", c.Name)
	}
	c.Owner = sub.Member
	f.catalogs[c.Name] = &c
	return &c, nil
}

func (f *fakeBackend) Catalogs(ctx context.Context, sub api.Subject) ([]api.Catalog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return sortedByName(f.catalogs, func(c *api.Catalog) string { return c.Name }), nil
}

func (f *fakeBackend) Catalog(ctx context.Context, sub api.Subject, name string) (*api.Catalog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.catalogs[name]
	if !ok {
		return nil, errs.Errorf("fake.Catalog", errs.NotExist, "no catalog %q", name)
	}
	cp := *c
	return &cp, nil
}

func (f *fakeBackend) UpdateCatalog(ctx context.Context, sub api.Subject, name string, u api.CatalogUpdate) (*api.Catalog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.catalogs[name]
	if !ok {
		return nil, errs.Errorf("fake.UpdateCatalog", errs.NotExist, "no catalog %q", name)
	}
	if u.Scope != nil {
		c.Scope = *u.Scope
	}
	if u.Grants != nil {
		c.Grants = *u.Grants
	}
	if u.Placement != nil {
		c.Placement = *u.Placement
	}
	cp := *c
	return &cp, nil
}

func (f *fakeBackend) AddUser(ctx context.Context, sub api.Subject, u api.User) (*api.NewToken, error) {
	if !hasRole(sub, "admin") {
		return nil, errs.Errorf("fake.AddUser", errs.Permission, "admins only")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[u.ID]; ok {
		return nil, errs.Errorf("fake.AddUser", errs.Exist, "user %q exists", u.ID)
	}
	if u.Member == "" {
		u.Member = sub.Member
	}
	u.Tokens = []string{"t1"}
	f.users[u.ID] = &u
	return &api.NewToken{User: u.ID, ID: "t1", Secret: "secret-" + u.ID}, nil
}

func (f *fakeBackend) AddToken(ctx context.Context, sub api.Subject, user string) (*api.NewToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[user]
	if !ok {
		return nil, errs.Errorf("fake.AddToken", errs.NotExist, "no user %q", user)
	}
	id := fmt.Sprintf("t%d", len(u.Tokens)+1)
	u.Tokens = append(u.Tokens, id)
	return &api.NewToken{User: user, ID: id, Secret: "secret2-" + user}, nil
}

func (f *fakeBackend) RevokeToken(ctx context.Context, sub api.Subject, user, tokenID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[user]
	if !ok {
		return errs.Errorf("fake.RevokeToken", errs.NotExist, "no user %q", user)
	}
	for i, t := range u.Tokens {
		if t == tokenID {
			u.Tokens = append(u.Tokens[:i], u.Tokens[i+1:]...)
			return nil
		}
	}
	return errs.Errorf("fake.RevokeToken", errs.NotExist, "no token %q", tokenID)
}

func (f *fakeBackend) Users(ctx context.Context, sub api.Subject) ([]api.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return sortedByName(f.users, func(u *api.User) string { return u.ID }), nil
}

func (f *fakeBackend) Members(ctx context.Context, sub api.Subject) ([]api.Member, error) {
	return []api.Member{{ID: "aist", Name: "AIST", Region: "JP"}, {ID: "nchc", Name: "NCHC", Region: "TW"}}, nil
}

func (f *fakeBackend) Nodes(ctx context.Context, sub api.Subject) ([]api.NodeInfo, error) {
	// The answering node knows its own storage; of the others, a node reports neither storage
	// nor API address.
	return []api.NodeInfo{
		{PeerID: "12D3KooWfake", Member: "aist", API: "127.0.0.1:8480", Voter: true, State: "active", Connected: true, Used: 2048, Free: 1 << 30},
		{PeerID: "12D3KooWother", Member: "nchc", Voter: true, State: "active"},
	}, nil
}

func (f *fakeBackend) SetNodeState(ctx context.Context, sub api.Subject, peerID, state string) (*api.NodeInfo, error) {
	return &api.NodeInfo{PeerID: peerID, Member: "aist", State: state}, nil
}

func (f *fakeBackend) Scrub(ctx context.Context, sub api.Subject) (*api.ScrubReport, error) {
	return &api.ScrubReport{Blocks: 3, Bytes: 300}, nil
}

func (f *fakeBackend) Status(ctx context.Context, sub api.Subject) (*api.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &api.Status{Node: api.NodeInfo{PeerID: "12D3KooWfake", Member: "aist", State: "active"},
		Leader: "12D3KooWlead", Term: 2, Applied: uint64(len(f.order)), Peers: 4, Objects: new(len(f.objects)),
		Redundancy: &api.Redundancy{Full: 10, Degraded: 2, Critical: 1, RepairQueue: 3, ScrubAge: "2h0m0s", Measured: time.Now().Add(-90 * time.Second),
			Waiting: f.waiting, WaitingWhy: f.waitingWhy}}, nil
}

func (f *fakeBackend) AuditLog(ctx context.Context, sub api.Subject, from uint64, limit int) (*api.AuditPage, error) {
	var p api.AuditPage
	for i := from; i < 5 && len(p.Entries) < limit; i++ {
		p.Entries = append(p.Entries, api.AuditEntry{Index: i, Actor: "aist/root", Kind: "publish", Digest: fmt.Sprintf("d%d", i)})
	}
	if end := from + uint64(len(p.Entries)); end < 5 {
		p.Next = end
	}
	return &p, nil
}

func (f *fakeBackend) Subscribe(ctx context.Context, sub api.Subject, catalog string) (<-chan api.Object, error) {
	return nil, errs.Errorf("fake.Subscribe", errs.Invalid, "not in this fake")
}

func (f *fakeBackend) Ready(ctx context.Context) error { return nil }
