//go:build integration

package testnet

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

func TestIntegrationCatalogKeepsPlacement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startCluster(t, ctx)
	admin, err := api.NewClient([]string{c.Endpoint(0)}, c.Token, c.TLS())
	if err != nil {
		t.Fatal(err)
	}
	// JP only, in jurisdiction mode: one region would hold every shard. The federation can
	// never meet that, so the catalog is refused when created (it used to be created, and
	// every put into it failed).
	_, err = admin.CreateCatalog(ctx, api.Catalog{Name: "jp", Scope: "member",
		Placement: api.Placement{AllowedRegions: []string{"JP"}, Jurisdiction: true}})
	t.Logf("JP-only jurisdiction catalog: %v", err)
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "can never hold a stripe") {
		t.Fatalf("JP-only jurisdiction catalog: err = %v, want invalid saying the federation can never meet it", err)
	}
	// Constraints the four TW and JP nodes can meet: kept, read back from another node.
	if _, err := admin.CreateCatalog(ctx, api.Catalog{Name: "nofr", Scope: "member",
		Placement: api.Placement{K: 2, M: 2, ExcludedMembers: []string{MemberOf(2, 3)}, AllowedRegions: []string{"JP", "TW"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Client(2).Catalog(ctx, "nofr")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read back %+v", got.Placement)
	if !slices.Equal(got.Placement.AllowedRegions, []string{"JP", "TW"}) || !slices.Equal(got.Placement.ExcludedMembers, []string{MemberOf(2, 3)}) {
		t.Fatalf("placement %+v lost what was asked", got.Placement)
	}
	_, err = admin.CreateCatalog(ctx, api.Catalog{Name: "k3", Scope: "member", Placement: api.Placement{K: 3}})
	t.Logf("k without m: %v", err)
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "pass m too") {
		t.Fatalf("k without m: %v", err)
	}
	_, err = admin.Put(ctx, "nope", "x", bytes.NewReader([]byte("x")), 1)
	t.Logf("put into missing catalog: %v", err)
	if !errs.Is(err, errs.NotExist) || !strings.Contains(err.Error(), "meridian ls") {
		t.Fatalf("missing catalog: %v", err)
	}
	// Two regions allowed (4 nodes), explicit coding: a put works and reads back.
	if _, err := admin.CreateCatalog(ctx, api.Catalog{Name: "jptw", Scope: "member",
		Placement: api.Placement{K: 2, M: 2, AllowedRegions: []string{"JP", "TW"}}}); err != nil {
		t.Fatal(err)
	}
	data := randomBytes(stripe + 5)
	mustGet(t, ctx, c.Client(3), put(t, ctx, admin, "jptw", data), data)
}
