package chunker

import (
	"github.com/meridian-fed/meridian/errs"
)

// write puts decoded stripes back in order and writes the requested part of each, until the
// workers are done. It returns only the errors of writing.
func (d *decoder) write() error {
	pending := map[int]*job{}
	d.next = d.first
	for j := range d.done {
		pending[j.index] = j
		for {
			j, ok := pending[d.next]
			if !ok {
				break
			}
			delete(pending, d.next)
			if err := d.emit(j); err != nil {
				return err
			}
			d.next++
			d.free <- j
		}
	}
	return nil
}

// holdBack is how much of a whole read's last stripe waits for the content check: on a
// mismatch the reader is left with a body at least this much short, never a complete one.
const holdBack = 64 << 10

// emit writes the part of stripe j inside [off, end) and feeds the whole-object check.
func (d *decoder) emit(j *job) error {
	start := int64(j.index) * int64(d.m.StripeSize)
	lo := max(d.off-start, 0)
	hi := min(d.end-start, int64(len(j.s.plain)))
	if d.content == nil || j.index != d.last {
		if err := d.put(j.s.plain[lo:hi]); err != nil {
			return err
		}
		if d.content != nil {
			d.content.add(j.s.plain, j.s.leaves)
		}
		return nil
	}
	// The last stripe of a whole read: its leaves are hashed while its bytes go out, all but
	// a tail held back until the content CID checks out (the workers left these leaves
	// alone, so a small object's hashing is off the critical path).
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		if d.content.aligned {
			j.s.leaves = leafDigests(j.s.leaves, j.s.plain)
		}
	}()
	tail := hi - min(holdBack, hi-lo)
	err := d.put(j.s.plain[lo:tail])
	<-hashed
	if err != nil {
		return err
	}
	d.content.add(j.s.plain, j.s.leaves)
	if err := d.check(); err != nil {
		return err
	}
	return d.put(j.s.plain[tail:hi])
}

func (d *decoder) put(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := d.w.Write(b); err != nil {
		return errs.Errorf("", errs.Unavailable, "writing the output: %w", err)
	}
	return nil
}

// check compares a whole-object read with the manifest's content CID, once.
func (d *decoder) check() error {
	if d.content == nil || d.checked {
		return nil
	}
	d.checked = true
	if got := d.content.root(); !got.Equals(d.m.Content) {
		return errs.Errorf("chunker.Decode", errs.Corrupt,
			"decoded bytes have content CID %s, the manifest says %s: the object was encoded wrongly", got, d.m.Content)
	}
	return nil
}
