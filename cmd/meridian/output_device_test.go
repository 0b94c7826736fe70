package main

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOutputIntoFIFOKeepsIt: -o naming something that is not a regular file (here a FIFO,
// standing in for /dev/null) is written in place. Renaming a temporary file over it, as for a
// regular file, replaced the machine's /dev/null with a plain file once.
func TestOutputIntoFIFOKeepsIt(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		r, err := os.Open(fifo) // blocks until the writer opens it
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	out, err := createOutput(fifo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(out, "bytes"); err != nil {
		t.Fatal(err)
	}
	if err := out.commit(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(fifo)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("after get: %v, %v; the FIFO must still be a FIFO", st.Mode(), err)
	}
	select {
	case b := <-got:
		if string(b) != "bytes" {
			t.Fatalf("the reader got %q", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was written into the FIFO")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(fifo), ".*.part")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
