//go:build integration

package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/meridian-fed/meridian/store"
	"github.com/meridian-fed/meridian/store/storetest"
)

const (
	crashDirEnv   = "MERIDIAN_STORE_CRASH_DIR"
	crashRoundEnv = "MERIDIAN_STORE_CRASH_ROUND"
	crashWriters  = 4
)

// TestIntegrationDiskCrash runs a writer process that puts blocks from several goroutines and
// prints each CID once Put has returned; the test kills it with SIGKILL mid-stream, reopens the
// store and checks that every acknowledged block is intact, that interrupted writes were
// cleaned up and that nothing in the store is damaged. It repeats over the same directory.
func TestIntegrationDiskCrash(t *testing.T) {
	dir := t.TempDir()
	acked := make(map[cid.Cid]bool)
	for round := range 3 {
		for _, c := range runAndKill(t, dir, round, 40) {
			acked[c] = true
		}
		debris, _ := os.ReadDir(filepath.Join(dir, "tmp"))
		t.Logf("round %d: %d blocks acknowledged so far, %d interrupted writes left in tmp", round, len(acked), len(debris))

		d, err := store.OpenDisk(dir, store.DiskOptions{})
		if err != nil {
			t.Fatalf("reopen after SIGKILL: %v", err)
		}
		if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) != 0 {
			t.Errorf("%d interrupted writes left after reopen", len(left))
		}
		ctx := context.Background()
		for c := range acked {
			if _, err := d.Get(ctx, c); err != nil {
				t.Errorf("acknowledged block %s: %v", c, err)
			}
		}
		rep, err := store.Scrub(ctx, d, store.ScrubOptions{}, func(c cid.Cid, err error) { t.Errorf("scrub: %s: %v", c, err) })
		if err != nil || rep.Blocks < int64(len(acked)) {
			t.Errorf("scrub = %+v, %v; want at least the %d acknowledged blocks", rep, err, len(acked))
		}
		u, _ := d.Usage(ctx)
		if u.Blocks != rep.Blocks || u.Used != rep.Bytes {
			t.Errorf("usage %+v disagrees with scrub %+v", u, rep)
		}
		d.Close()
	}
}

// runAndKill starts the writer, waits for n acknowledgements (under a deadline), kills it and
// returns the acknowledged CIDs.
func runAndKill(t *testing.T, dir string, round, n int) []cid.Cid {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIntegrationDiskCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	killed := false
	defer func() {
		if !killed { // a failure below: do not leave the writer running
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var acked []cid.Cid
	sc := bufio.NewScanner(out)
	for len(acked) < n && sc.Scan() {
		s, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			continue // test framework output
		}
		c, err := cid.Decode(s)
		if err != nil {
			t.Fatalf("writer printed %q: %v", sc.Text(), err)
		}
		acked = append(acked, c)
	}
	cmd.Process.Kill() // SIGKILL: no deferred code, no flush
	cmd.Wait()
	killed = true
	if len(acked) < n {
		t.Fatalf("writer acknowledged only %d blocks before it stopped", len(acked))
	}
	return acked
}

// TestIntegrationDiskCrashWriter is the writer process; it does nothing unless started by
// TestIntegrationDiskCrash. It stops by itself after a minute in case its parent died.
func TestIntegrationDiskCrashWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestIntegrationDiskCrash")
	}
	round, _ := strconv.Atoi(os.Getenv(crashRoundEnv))
	d, err := store.OpenDisk(dir, store.DiskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var mu sync.Mutex // serialises lines on stdout
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				seed := uint64(round)<<32 | uint64(w)<<24 | uint64(i)
				c, b := storetest.Block(t, seed, 1000+int(seed%7)*200_000, cid.Raw)
				if err := d.Put(ctx, c, b); err != nil {
					fmt.Fprintln(os.Stderr, "writer:", err)
					return
				}
				mu.Lock()
				_, err := fmt.Printf("acked %s\n", c)
				mu.Unlock()
				if err != nil {
					return // parent gone
				}
			}
		})
	}
	wg.Wait()
}
