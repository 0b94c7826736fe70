package consensus

import (
	"bufio"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"

	"github.com/meridian-fed/meridian/errs"
)

// snapMagic starts every snapshot this package writes; the applied index follows it, then
// the FSM's own bytes.
const snapMagic = "MRDNSNP1"

const snapHeaderLen = len(snapMagic) + 8

func encodeSnapHeader(applied uint64) []byte {
	b := make([]byte, 0, snapHeaderLen)
	b = append(b, snapMagic...)
	return binary.BigEndian.AppendUint64(b, applied)
}

// readSnapHeader reads and checks the header a snapshot received from the leader starts with.
func readSnapHeader(r io.Reader) (uint64, error) {
	var b [snapHeaderLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, errs.E("consensus.Restore", errs.Corrupt, err)
	}
	if string(b[:len(snapMagic)]) != snapMagic {
		return 0, errs.Errorf("consensus.Restore", errs.Corrupt, "snapshot does not start with %q: it was not written by this version", snapMagic)
	}
	return binary.BigEndian.Uint64(b[len(snapMagic):]), nil
}

// removeSpools deletes spool files a crash left behind.
func removeSpools(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, "spool-*.snap"))
	for _, f := range old {
		_ = os.Remove(f)
	}
}

// Snapshot implements raft.FSM. It runs on the FSM goroutine, so the FSM sees no concurrent
// Apply. A Capturer takes its view here and writes it later; any other FSM's state is spooled to a temporary file in the data dir (bounded memory) and raft
// copies it to the snapshot store in the background.
func (a *fsmAdapter) Snapshot() (raft.FSMSnapshot, error) {
	const op = "consensus.Snapshot"
	if c, ok := a.fsm.(Capturer); ok {
		write, err := c.Capture()
		if err != nil {
			return nil, errs.E(op, errs.Internal, err)
		}
		return &capturedSnapshot{applied: a.appliedIndex(), write: write}, nil
	}
	f, err := os.CreateTemp(a.spoolDir, "spool-*.snap")
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	s := &spooledSnapshot{f: f}
	w := bufio.NewWriterSize(f, 1<<16)
	if _, err = w.Write(encodeSnapHeader(a.appliedIndex())); err == nil {
		if err = a.fsm.Snapshot(w); err == nil {
			err = w.Flush()
		}
	}
	if err != nil {
		s.Release()
		return nil, errs.E(op, errs.Internal, err)
	}
	return s, nil
}

// Restore implements raft.FSM, with a snapshot from the local store or installed by the leader.
func (a *fsmAdapter) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<16)
	idx, err := readSnapHeader(br)
	if err != nil {
		return err
	}
	if err := a.fsm.Restore(br); err != nil {
		return errs.E("consensus.Restore", errs.Corrupt, err)
	}
	a.setApplied(idx)
	return nil
}

// spooledSnapshot is a point-in-time FSM state in a temporary file.
type spooledSnapshot struct{ f *os.File }

// Persist copies the spooled state to the snapshot store.
func (s *spooledSnapshot) Persist(sink raft.SnapshotSink) error {
	_, err := s.f.Seek(0, io.SeekStart)
	if err == nil {
		_, err = io.Copy(sink, s.f)
	}
	if err != nil {
		_ = sink.Cancel()
		return errs.E("consensus.Persist", errs.Unavailable, err)
	}
	return sink.Close()
}

// Release removes the spool file.
func (s *spooledSnapshot) Release() {
	_ = s.f.Close()
	_ = os.Remove(s.f.Name())
}

// Capturer is an optional fast path for an FSM that can take a point-in-time view of its
// state cheaply (copy-on-write or immutable structures). Capture runs on the FSM goroutine,
// with no Apply running, and should return quickly; the returned write function runs later
// in the background while Apply goes on. Without it, Snapshot(w) runs on the FSM goroutine.
type Capturer interface {
	Capture() (write func(w io.Writer) error, err error)
}

// capturedSnapshot is a point-in-time view written straight into the snapshot sink.
type capturedSnapshot struct {
	applied uint64
	write   func(io.Writer) error
}

// Persist writes the header and the view into the sink.
func (s *capturedSnapshot) Persist(sink raft.SnapshotSink) error {
	w := bufio.NewWriterSize(sink, 1<<16)
	_, err := w.Write(encodeSnapHeader(s.applied))
	if err == nil {
		if err = s.write(w); err == nil {
			err = w.Flush()
		}
	}
	if err != nil {
		_ = sink.Cancel()
		return errs.E("consensus.Persist", errs.Internal, err)
	}
	return sink.Close()
}

// Release does nothing: the view is garbage collected.
func (s *capturedSnapshot) Release() {}
