package strictfs

import (
	"bytes"
	"errors"
	"io/fs"
	"syscall"
	"testing"
)

// The power-loss tests of the store are only as good as this model of a disk; these cases pin
// down what survives a cut and what does not.

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, h *FS, name string, data []byte, sync bool) {
	t.Helper()
	f, err := h.Create(name)
	mustNil(t, err)
	_, err = f.Write(data)
	mustNil(t, err)
	if sync {
		mustNil(t, f.Sync())
	}
	mustNil(t, f.Close())
}

func TestCrashKeepsOnlySynced(t *testing.T) {
	tests := []struct {
		name               string
		syncFile, syncDir  bool
		wantExist, wantAll bool
	}{
		{"nothing synced", false, false, false, false},
		{"file synced, entry not", true, false, false, false},
		{"entry synced, data not", false, true, true, false},
		{"both synced", true, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			h := m.FS()
			mustNil(t, h.MkdirAll("/d"))
			mustNil(t, h.SyncDir("/"))
			write(t, h, "/d/f", []byte("hello"), tt.syncFile)
			if tt.syncDir {
				mustNil(t, h.SyncDir("/d"))
			}
			m.Crash()
			b, err := m.ReadFile("/d/f")
			if exists := err == nil; exists != tt.wantExist {
				t.Fatalf("after crash exists = %v (%v), want %v", exists, err, tt.wantExist)
			}
			if all := bytes.Equal(b, []byte("hello")); all != tt.wantAll {
				t.Fatalf("after crash data %q, want all = %v", b, tt.wantAll)
			}
		})
	}
}

func TestCrashUndoesUnsyncedRenameAndRemove(t *testing.T) {
	m := New()
	h := m.FS()
	mustNil(t, h.MkdirAll("/a"))
	mustNil(t, h.MkdirAll("/b"))
	mustNil(t, h.SyncDir("/"))
	write(t, h, "/a/x", []byte("x"), true)
	write(t, h, "/a/y", []byte("y"), true)
	mustNil(t, h.SyncDir("/a"))
	mustNil(t, h.Rename("/a/x", "/b/x"))
	mustNil(t, h.Remove("/a/y"))
	m.Crash()
	if _, err := m.ReadFile("/b/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unsynced rename survived: %v", err)
	}
	for _, name := range []string{"/a/x", "/a/y"} {
		if _, err := m.ReadFile(name); err != nil {
			t.Fatalf("%s: unsynced removal survived: %v", name, err)
		}
	}
	h = m.FS()
	mustNil(t, h.Rename("/a/x", "/b/x"))
	mustNil(t, h.SyncDir("/b"))
	mustNil(t, h.SyncDir("/a"))
	m.Crash()
	if _, err := m.ReadFile("/a/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("synced rename left the old name: %v", err)
	}
	if b, err := m.ReadFile("/b/x"); err != nil || string(b) != "x" {
		t.Fatalf("synced rename lost: %q %v", b, err)
	}
}

func TestCrashKillsHandles(t *testing.T) {
	m := New()
	h := m.FS()
	f, err := h.Create("/f")
	mustNil(t, err)
	m.Crash()
	if _, err := f.Write([]byte("late")); !errors.Is(err, ErrPowerLost) {
		t.Fatalf("write after crash: %v, want ErrPowerLost", err)
	}
	if err := h.SyncDir("/"); !errors.Is(err, ErrPowerLost) {
		t.Fatalf("sync after crash: %v, want ErrPowerLost", err)
	}
	if _, err := m.FS().Stat("/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unsynced create survived: %v", err)
	}
}

func TestCrashAfter(t *testing.T) {
	m := New()
	h := m.FS()
	m.CrashAfter(2)
	mustNil(t, h.Mkdir("/a"))
	if err := h.SyncDir("/"); !errors.Is(err, ErrPowerLost) {
		t.Fatalf("second call: %v, want the power cut", err)
	}
	if _, err := m.FS().Stat("/a"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the call the cut struck took effect: %v", err)
	}
}

func TestDirectWritesMustBeAligned(t *testing.T) {
	h := New().FS()
	f, err := h.CreateDirect("/f")
	mustNil(t, err)
	if _, err := f.Write(make([]byte, 100)); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("unaligned direct write: %v, want EINVAL", err)
	}
	buf := make([]byte, 2*directAlign)
	off := directAlign - int(uintptrOf(buf)%directAlign)
	if _, err := f.Write(buf[off : off+directAlign]); err != nil {
		t.Fatalf("aligned direct write: %v", err)
	}
}

func TestLockIsExclusiveUntilClosedOrCrash(t *testing.T) {
	m := New()
	l, err := m.FS().Lock("/LOCK")
	mustNil(t, err)
	if _, err := m.FS().Lock("/LOCK"); err == nil {
		t.Fatal("second lock granted")
	}
	mustNil(t, l.Close())
	l, err = m.FS().Lock("/LOCK")
	mustNil(t, err)
	m.Crash()
	if _, err := m.FS().Lock("/LOCK"); err != nil {
		t.Fatalf("lock held across a crash: %v", err)
	}
	mustNil(t, l.Close())
}
