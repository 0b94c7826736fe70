//go:build integration

package testnet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"io"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
)

var chaosLong = flag.Bool("chaos.long", false, "run the long chaos versions (e.g. 50 crash points)")

// TestIntegrationCrashPointsDuringPut kills -9 the publishing node at points of uploads (4
// crash points, 50 with -chaos.long): even points while the body is still being sent (the
// client's reader stops at a random byte until the kill is done, so the kill always lands
// mid-upload), odd points a random 0-1000 ms after the last byte was sent, while the node
// stores shards and commits. Every acknowledged publish stays readable, and every catalog
// entry has all its data.
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
	kills, midUpload := 0, 0
	for i := range points {
		data := make([]byte, rnd.IntN(24<<20)+1)
		for j := range data {
			data[j] = byte(rnd.Uint32())
		}
		sum := sha256.Sum256(data)
		sent[sum] = true
		pub, _ := api.NewClient([]string{pc.Nodes[0].API}, pc.Token, pc.TLS())
		body := newTripReader(data, int64(len(data)))
		if i%2 == 0 {
			body = newTripReader(data, rnd.Int64N(int64(len(data))))
		}
		done := make(chan *api.Object, 1)
		go func() {
			obj, err := pub.Put(ctx, "default", "crash.bin", body, int64(len(data)))
			if err != nil {
				obj = nil
			}
			done <- obj
		}()
		killed := false
		select {
		case obj := <-done: // finished before the crash point (only possible at odd points)
			if obj != nil {
				acked[obj.PID] = sum
			}
		case <-body.trip:
			if i%2 == 1 {
				select {
				case obj := <-done:
					if obj != nil {
						acked[obj.PID] = sum
					}
					continue
				case <-time.After(time.Duration(rnd.IntN(1000)) * time.Millisecond):
				}
			}
			if err := pc.Kill(0); err != nil {
				t.Fatal(err)
			}
			close(body.resume)
			killed, kills = true, kills+1
			if i%2 == 0 {
				midUpload++
			}
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
	t.Logf("%d uploads, %d killed by kill -9 (%d mid-upload): %d acknowledged, %d in the catalog, all readable", points, kills, midUpload, len(acked), len(listed))
	if midUpload != (points+1)/2 {
		t.Fatalf("%d uploads killed mid-upload, want %d: the test proved less than it says", midUpload, (points+1)/2)
	}
}

// tripReader serves data and, on reaching byte at, signals trip and stops until resume is
// closed, so that the test can kill the node while the upload is provably unfinished (at <
// len(data)) or just after its last byte (at == len(data): it trips on the read that finds
// the end, and does not wait).
type tripReader struct {
	data         []byte
	off, at      int64
	trip, resume chan struct{}
	tripped      bool
}

func newTripReader(data []byte, at int64) *tripReader {
	return &tripReader{data: data, at: at, trip: make(chan struct{}), resume: make(chan struct{})}
}

func (r *tripReader) Read(p []byte) (int, error) {
	if r.off >= r.at && !r.tripped {
		r.tripped = true
		close(r.trip)
		if r.at < int64(len(r.data)) {
			<-r.resume
		}
	}
	if r.off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	end := min(int64(len(r.data)), r.off+int64(len(p)))
	if !r.tripped {
		end = min(end, r.at)
	}
	n := copy(p, r.data[r.off:end])
	r.off += int64(n)
	return n, nil
}
