//go:build integration

package testnet

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
)

// buildMeridian compiles the meridian binary for process tests.
func buildMeridian(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "meridian")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/meridian-fed/meridian/cmd/meridian").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestIntegrationKillPublisherMidUpload: kill -9 of the publishing node while an upload is
// under way leaves no catalog entry, and every node collects the orphan shards it received.
func TestIntegrationKillPublisherMidUpload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	t.Setenv("MERIDIAN_ORPHAN_GRACE", "2s")
	t.Setenv("MERIDIAN_GC_INTERVAL", "1s")
	t.Setenv("MERIDIAN_STRIPE_SIZE", "1048576")
	pc, err := UpProcesses(ctx, ProcOptions{Binary: buildMeridian(t), Dir: t.TempDir(), Nodes: 5, Members: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Down(false)

	pub, err := api.NewClient([]string{pc.Nodes[0].API}, pc.Token, pc.TLS())
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := pub.Put(ctx, "default", "doomed.bin", pr, -1)
		done <- err
	}()
	// Feed 24 MiB, wait until shards have landed on another node, then kill -9 the publisher.
	go func() {
		chunk := make([]byte, 1<<20)
		for i := 0; i < 24; i++ {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		<-ctx.Done()
	}()
	others, _ := api.NewClient(pc.Endpoints()[1:], pc.Token, pc.TLS())
	waitUntil(t, ctx, "shards stored on other nodes", func() bool { return usedOn(ctx, pc, 1, 2, 3, 4) > 0 })
	if err := pc.Kill(0); err != nil {
		t.Fatal(err)
	}
	pw.CloseWithError(io.ErrClosedPipe)
	if err := <-done; err == nil {
		t.Fatal("upload to a killed node reported success")
	}
	page, err := others.List(ctx, "default", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 0 {
		t.Fatalf("catalog has %d objects after an interrupted publish", len(page.Objects))
	}
	waitUntil(t, ctx, "orphans collected on the surviving nodes", func() bool { return usedOn(ctx, pc, 1, 2, 3, 4) == 0 })
	if err := pc.Start(ctx, 0); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "orphans collected on the restarted publisher", func() bool { return usedOn(ctx, pc, 0) == 0 })
}

// usedOn sums the block bytes the given nodes report, or -1 when one cannot be asked.
func usedOn(ctx context.Context, pc *ProcCluster, nodes ...int) int64 {
	var sum int64
	for _, i := range nodes {
		cl, err := api.NewClient([]string{pc.Nodes[i].API}, pc.Token, pc.TLS())
		if err != nil {
			return -1
		}
		st, err := cl.Status(ctx)
		if err != nil {
			return -1
		}
		sum += st.Node.Used
	}
	return sum
}
