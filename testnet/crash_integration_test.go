//go:build integration

package testnet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
)

var chaosLong = flag.Bool("chaos.long", false, "run the long chaos versions (e.g. 50 crash points)")

// TestIntegrationCrashPointsDuringPut kills -9 the publishing node at random points of
// uploads (4 crash points, 50 with -chaos.long; each upload is killed after a random 0-250 ms, which
// interrupts most of them): every acknowledged publish stays readable,
// and every catalog entry has all its data.
func TestIntegrationCrashPointsDuringPut(t *testing.T) {
	points := 4
	if *chaosLong {
		points = 50
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(points)*20*time.Second+time.Minute)
	defer cancel()
	t.Setenv("MERIDIAN_STRIPE_SIZE", "1048576")
	pc, err := UpProcesses(ctx, ProcOptions{Binary: buildMeridian(t), Dir: t.TempDir(), Nodes: 5, Members: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Down(false)
	rnd := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	sent := map[[32]byte]bool{} // every byte string ever uploaded
	acked := map[string][32]byte{}
	kills := 0
	for i := range points {
		data := make([]byte, rnd.IntN(24<<20)+1)
		for j := range data {
			data[j] = byte(rnd.Uint32())
		}
		sum := sha256.Sum256(data)
		sent[sum] = true
		pub, _ := api.NewClient([]string{pc.Nodes[0].API}, pc.Token, pc.TLS())
		done := make(chan *api.Object, 1)
		go func() {
			obj, err := pub.Put(ctx, "default", "crash.bin", bytes.NewReader(data), int64(len(data)))
			if err != nil {
				obj = nil
			}
			done <- obj
		}()
		delay := time.Duration(rnd.IntN(250)) * time.Millisecond
		killed := false
		select {
		case obj := <-done: // finished before the crash point
			if obj != nil {
				acked[obj.PID] = sum
			}
		case <-time.After(delay):
			if err := pc.Kill(0); err != nil {
				t.Fatal(err)
			}
			killed, kills = true, kills+1
			if obj := <-done; obj != nil {
				acked[obj.PID] = sum
			}
		}
		if !killed {
			continue
		}
		if err := pc.Start(ctx, 0); err != nil {
			t.Fatalf("crash point %d: restart: %v", i, err)
		}
		if err := pc.WaitReady(ctx); err != nil {
			t.Fatalf("crash point %d: %v", i, err)
		}
	}
	reader, _ := api.NewClient(pc.Endpoints()[1:], pc.Token, pc.TLS())
	page, err := reader.List(ctx, "default", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, o := range page.Objects {
		listed[o.PID] = true
		var buf bytes.Buffer
		if _, err := reader.Get(ctx, o.PID, &buf); err != nil {
			t.Fatalf("catalog entry %s without its data: %v", o.PID, err)
		}
		if !sent[sha256.Sum256(buf.Bytes())] {
			t.Fatalf("catalog entry %s serves bytes nobody uploaded", o.PID)
		}
	}
	for p, sum := range acked {
		if !listed[p] {
			t.Fatalf("acknowledged publish %s is not in the catalog", p)
		}
		var buf bytes.Buffer
		if _, err := reader.Get(ctx, p, &buf); err != nil || sha256.Sum256(buf.Bytes()) != sum {
			t.Fatalf("acknowledged publish %s unreadable or changed: %v", p, err)
		}
	}
	t.Logf("%d uploads, %d killed mid-way by kill -9: %d acknowledged, %d in the catalog, all readable", points, kills, len(acked), len(listed))
	if kills == 0 && *chaosLong {
		t.Fatal("no upload was interrupted: the test proved nothing")
	}
}
