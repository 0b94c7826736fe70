//go:build integration

package testnet

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// TestIntegrationBounds checks the limits per caller over real nodes: metadata over the
// limits or with control or bidirectional characters is refused and reaches no node, a
// listing of large records is cut by bytes and pages on, net/http's own refusals are JSON,
// and a node cut off from the federation answers a listing with 503 within its deadline.
func TestIntegrationBounds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const deadline = 3 * time.Second
	c, err := Start(ctx, Options{Dir: t.TempDir(), StripeSize: stripe, Tune: func(cfg *node.Config) {
		cfg.APILimits = api.Limits{RequestTimeout: deadline, MaxPageBytes: 64 << 10, BodyWindow: time.Second, BodyMinRate: 16 << 10}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := c.Client(0)

	big := make([]api.PutOption, 0, 8)
	for i := range 8 {
		big = append(big, api.WithMeta(fmt.Sprintf("k%d", i), strings.Repeat("m", 3000))) // 24 KB
	}
	for name, opts := range map[string][]api.PutOption{
		"meta over 16 KiB": big,
		"escape in meta":   {api.WithMeta("note", "\x1b]0;owned\a")},
	} {
		if _, err := cl.Put(ctx, "default", "x.bin", bytes.NewReader([]byte("x")), 1, opts...); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: put answered %v, want invalid", name, err)
		}
	}
	if _, err := cl.Put(ctx, "default", "invoice\u202efdp.exe", bytes.NewReader([]byte("x")), 1); !errs.Is(err, errs.Invalid) {
		t.Errorf("bidi override in the name: put answered %v, want invalid", err)
	}
	if p, err := cl.List(ctx, "default", "", 100); err != nil || len(p.Objects) != 0 {
		t.Fatalf("after refused puts: %v, %d objects", err, len(p.Objects))
	}

	// 12 objects of ~12 KB of metadata each: a page of 1000 is cut at 64 KiB and pages on.
	for i := range 12 {
		opts := []api.PutOption{}
		for j := range 4 {
			opts = append(opts, api.WithMeta(fmt.Sprintf("pad%d", j), strings.Repeat("p", 3000)))
		}
		if _, err := cl.Put(ctx, "default", fmt.Sprintf("o%d.bin", i), bytes.NewReader(randomBytes(100)), 100, opts...); err != nil {
			t.Fatal(err)
		}
	}
	seen, pages, cursor := map[string]bool{}, 0, ""
	for {
		p, err := cl.List(ctx, "default", cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(p)
		if len(b) > 64<<10+1024 {
			t.Fatalf("page of %d bytes", len(b))
		}
		for _, o := range p.Objects {
			if seen[o.PID] {
				t.Fatalf("%s listed twice", o.PID)
			}
			seen[o.PID] = true
		}
		pages++
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if len(seen) != 12 || pages < 2 {
		t.Fatalf("%d objects in %d pages", len(seen), pages)
	}

	// net/http's own refusals (400, 431) are JSON only on a plain-HTTP listener: beneath TLS
	// api.JSONErrors cannot see them (docs/api.md). TestJSONErrorsListener and
	// TestJSONErrorsBeneathTLS in api test both cases; this federation speaks TLS.

	// an upload whose body stops after one byte is cut with 408 after the body window
	meta, _ := api.EncodeMetaHeader(api.PublishRequest{Name: "stalled.bin"})
	start := time.Now()
	resp := rawAnswer(t, c, 0, fmt.Sprintf("PUT /v1/catalogs/default/objects HTTP/1.1\r\nHost: x\r\n"+
		"Authorization: Bearer %s\r\n%s: %s\r\nContent-Length: 1048576\r\n\r\nx", c.Token, api.MetaHeader, meta))
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), `"invalid"`) || time.Since(start) > 15*time.Second {
		t.Fatalf("stalled upload: %d after %s: %s", resp.StatusCode, time.Since(start), b)
	}
	t.Logf("stalled upload cut after %s", time.Since(start))

	// a node cut off from every other answers within its deadline, with 503
	const victim = 4
	c.Partition([]int{0, 1, 2, 3}, []int{victim})
	defer c.Heal()
	only, err := api.NewClient([]string{c.Endpoint(victim)}, c.Token, c.TLS())
	if err != nil {
		t.Fatal(err)
	}
	lctx, lcancel := context.WithTimeout(ctx, deadline+10*time.Second)
	defer lcancel()
	start = time.Now()
	_, err = only.List(lctx, "default", "", 10)
	if took := time.Since(start); !errs.Is(err, errs.Unavailable) || took > deadline+5*time.Second {
		t.Fatalf("listing on a cut-off node: %v after %s, want unavailable within %s", err, took, deadline)
	}
	t.Logf("cut-off node answered the listing in %s: %v", time.Since(start), err)
}

func rawAnswer(t *testing.T, c *Cluster, i int, req string) *http.Response {
	t.Helper()
	cfg, err := api.TLSTrust{Pins: c.Pins()}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", c.Endpoint(i), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = io.WriteString(conn, req) }() // the server may answer before it has read it all
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
