package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// pairedBackend refuses k without m as the catalog does, with a message of its own, so a test
// can tell the server's message from one the CLI would make up.
type pairedBackend struct{ *fakeBackend }

const pairedMsg = "placement gives k=3 without m: pass m too (server says so)"

func (b pairedBackend) CreateCatalog(ctx context.Context, sub api.Subject, c api.Catalog) (*api.Catalog, error) {
	if (c.Placement.K == 0) != (c.Placement.M == 0) {
		return nil, errs.Errorf("catalog.CreateCatalog", errs.Invalid, pairedMsg)
	}
	return b.fakeBackend.CreateCatalog(ctx, sub, c)
}

func newPairedEnv(t *testing.T) *cliEnv {
	e := newCLIEnv(t)
	ts := httptest.NewServer(api.NewServer(pairedBackend{e.f}, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

// TestCatalogCreateCoding: placement constraints go to the server with or without --k and
// --m (the catalog keeps them and takes k and m from the federation's default), and the
// server's refusal of --k without --m reaches the user as a usage error with its message.
func TestCatalogCreateCoding(t *testing.T) {
	e := newPairedEnv(t)
	for _, args := range [][]string{{"--k", "3"}, {"--m", "2"}} {
		r := e.admin(append([]string{"catalog", "create", "c"}, args...)...).wantCode(t, exitUsage)
		if !strings.Contains(r.err.Error(), "server says so") {
			t.Errorf("%v: %v, want the server's message", args, r.err)
		}
	}
	var cat api.Catalog
	e.admin("catalog", "create", "jp", "--regions", "JP,TW", "--exclude", "nchc", "--jurisdiction", "--json").ok(t).decode(t, &cat)
	p := cat.Placement
	if !slices.Equal(p.AllowedRegions, []string{"JP", "TW"}) || !slices.Equal(p.ExcludedMembers, []string{"nchc"}) || !p.Jurisdiction {
		t.Fatalf("placement sent %+v, want the regions, excludes and jurisdiction given", p)
	}
	e.admin("catalog", "create", "c", "--k", "3", "--m", "2", "--regions", "JP").ok(t)
	e.admin("catalog", "create", "d").ok(t)
}
