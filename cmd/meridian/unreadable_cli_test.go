package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// unprivilegedEnv marks the child process TestPutUnreadableFile starts as an unprivileged user
// when it runs as root (root reads files whatever their mode, and CI runs as root).
const unprivilegedEnv = "MERIDIAN_TEST_UNPRIVILEGED_CHILD"

// TestPutUnreadableFile: a missing, unreadable or non-regular FILE is named with what to do
// about it. The mode-0 case needs a user the mode applies to: as root, the test runs itself
// again as nobody (uid 65534) for that case, so it runs in CI too.
func TestPutUnreadableFile(t *testing.T) {
	if os.Getenv(unprivilegedEnv) == "" {
		e := newCLIEnv(t)
		missing := e.dir + "/absent.bin"
		r := e.admin("put", missing, "--catalog", "open").wantCode(t, exitNotFound)
		if want := missing + " does not exist: check the path"; !strings.Contains(r.err.Error(), want) {
			t.Errorf("missing file: %v", r.err)
		}
		for _, p := range []string{e.dir, fifo(t, e.dir)} {
			r := e.admin("put", p, "--catalog", "open").wantCode(t, exitUsage)
			if want := p + " is not a regular file; pipe it with 'meridian put - --name N'"; !strings.Contains(r.err.Error(), want) {
				t.Errorf("put %s: %v, want %q", p, r.err, want)
			}
		}
	}
	if os.Geteuid() == 0 {
		runUnprivileged(t)
		return
	}
	e := newCLIEnv(t)
	locked := e.writeFile("locked.bin", []byte("x"))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	r := e.admin("put", locked, "--catalog", "open").wantCode(t, exitUsage)
	if want := "you may not read " + locked + ": make it readable"; !strings.Contains(r.err.Error(), want) {
		t.Errorf("unreadable file: %v", r.err)
	}
}

// fifo makes a named pipe in dir and holds it open for writing (O_RDWR does not block on
// Linux), so that put's open for reading returns at once and put must refuse the pipe itself.
func fifo(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return p
}

// runUnprivileged runs this test again in a child process as uid/gid 65534, where a mode-0
// file is unreadable.
func runUnprivileged(t *testing.T) {
	t.Helper()
	bin, tmp := unprivilegedCopy(t)
	cmd := exec.Command(bin, "-test.run=^TestPutUnreadableFile$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), unprivilegedEnv+"=1", "TMPDIR="+tmp, "HOME="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the unprivileged run failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestPutUnreadableFile") {
		t.Fatalf("the unprivileged run did not pass the test:\n%s", out)
	}
}

// unprivilegedCopy copies the test binary where any user may run it (go test builds it in a
// directory only its owner may enter) and makes a temporary directory any user may write.
func unprivilegedCopy(t *testing.T) (bin, tmp string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "meridian-unprivileged-") // t.TempDir's parent is 0700
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tmp = filepath.Join(dir, "tmp")
	b, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "meridian.test"), b, 0o755)
	}
	if err == nil {
		err = os.Mkdir(tmp, 0o777)
	}
	for _, p := range []struct {
		name string
		mode os.FileMode
	}{{dir, 0o755}, {tmp, 0o777 | os.ModeSticky}} {
		if err == nil {
			err = os.Chmod(p.name, p.mode)
		}
	}
	if err != nil {
		t.Fatalf("prepare the unprivileged run: %v", err)
	}
	return filepath.Join(dir, "meridian.test"), tmp
}
