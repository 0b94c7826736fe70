package consensus

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/meridian-fed/meridian/errs"
)

// memSink is a raft.SnapshotSink in memory.
type memSink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }
func (s *memSink) Close() error  { s.closed = true; return nil }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// capturingKV is a kvFSM with the Capturer fast path.
type capturingKV struct{ *kvFSM }

func (c capturingKV) Capture() (func(io.Writer) error, error) {
	m := c.snapshotMap()
	return func(w io.Writer) error { return json.NewEncoder(w).Encode(m) }, nil
}

func TestAdapterSnapshotRestore(t *testing.T) {
	t.Run("spooled", func(t *testing.T) { testSnapshotRestore(t, newKV()) })
	t.Run("captured", func(t *testing.T) { testSnapshotRestore(t, capturingKV{newKV()}) })
}

func testSnapshotRestore(t *testing.T, fsm FSM) {
	src := newFSMAdapter(fsm, t.TempDir())
	logs := []*raft.Log{
		{Index: 1, Type: raft.LogConfiguration},
		{Index: 2, Type: raft.LogCommand, Data: putCmd("a", "1")},
		{Index: 3, Type: raft.LogCommand, Data: casCmd("a", "9", "2")},
		{Index: 4, Type: raft.LogCommand, Data: putCmd("b", "x")},
	}
	out := src.ApplyBatch(logs)
	if out[0] != nil || out[1].(applyResult).err != nil || !errs.Is(out[2].(applyResult).err, errs.Conflict) {
		t.Fatalf("ApplyBatch results = %+v", out)
	}
	if src.appliedIndex() != 4 {
		t.Fatalf("applied = %d, want 4", src.appliedIndex())
	}
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	_, isCaptured := snap.(*capturedSnapshot)
	if _, want := fsm.(Capturer); isCaptured != want {
		t.Fatalf("snapshot type %T for FSM %T", snap, fsm)
	}
	src.ApplyBatch([]*raft.Log{{Index: 5, Type: raft.LogCommand, Data: putCmd("a", "after")}})
	var sink memSink
	if err := snap.Persist(&sink); err != nil || !sink.closed {
		t.Fatalf("Persist: %v closed=%v", err, sink.closed)
	}
	snap.Release()

	kv := newKV()
	dst := newFSMAdapter(kv, t.TempDir())
	if err := dst.Restore(nopCloser{bytes.NewReader(sink.Bytes())}); err != nil {
		t.Fatal(err)
	}
	if dst.appliedIndex() != 4 || kv.get("a") != "1" || kv.get("b") != "x" {
		t.Fatalf("restored applied=%d state=%v", dst.appliedIndex(), kv.snapshotMap())
	}
	bad := append([]byte("NOTMAGIC"), sink.Bytes()[len(snapMagic):]...)
	if err := dst.Restore(nopCloser{bytes.NewReader(bad)}); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("bad magic: %v, want Corrupt", err)
	}
}

func FuzzReadSnapHeader(f *testing.F) {
	f.Add(encodeSnapHeader(7))
	f.Add([]byte("MRDNSNP1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := readSnapHeader(bytes.NewReader(b))
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, []byte(snapMagic)) || idx != binary.BigEndian.Uint64(b[len(snapMagic):]) {
			t.Fatalf("accepted %x as index %d", b, idx)
		}
	})
}
