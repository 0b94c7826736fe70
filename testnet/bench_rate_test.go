package testnet

import (
	"testing"
	"time"
)

// rate counts the thread's CPU time, not the wall clock: a function that computes for 5 ms
// of CPU and then waits 100 ms (as if the core were taken by another process) rates far
// above what the wall clock would give.
func TestRateCountsThreadCPU(t *testing.T) {
	if _, ok := threadCPU(); !ok {
		t.Skip("no thread CPU clock on this system")
	}
	got := rate(func() {
		c0, _ := threadCPU()
		for c, _ := threadCPU(); c-c0 < 5*time.Millisecond; c, _ = threadCPU() {
		}
		time.Sleep(100 * time.Millisecond)
	})
	if wall := mbs(limitBytes, 105*time.Millisecond); got < 4*wall {
		t.Fatalf("rate = %.0f MB/s; the wall clock gives at most %.0f, thread CPU time should give ~20× that", got, wall)
	}
}
