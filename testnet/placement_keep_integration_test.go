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
	var cat *api.Catalog
	cat, err = admin.CreateCatalog(ctx, api.Catalog{Name: "jp", Scope: "member",
		Placement: api.Placement{AllowedRegions: []string{"JP"}, Jurisdiction: true}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Client(2).Catalog(ctx, "jp")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("created %+v, read back %+v", cat.Placement, got.Placement)
	if !slices.Equal(got.Placement.AllowedRegions, []string{"JP"}) || !got.Placement.Jurisdiction || got.Placement.K == 0 || got.Placement.M == 0 {
		t.Fatalf("placement %+v lost what was asked", got.Placement)
	}
	_, err = admin.Put(ctx, "jp", "x", bytes.NewReader([]byte("x")), 1)
	t.Logf("put into JP-only jurisdiction catalog: %v", err)
	if err == nil {
		t.Fatal("put into a JP-only jurisdiction catalog succeeded: one region holds every shard")
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
