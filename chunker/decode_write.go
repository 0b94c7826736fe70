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

// emit writes the part of stripe j inside [off, end) and feeds the whole-object check.
func (d *decoder) emit(j *job) error {
	start := int64(j.index) * int64(d.m.StripeSize)
	lo := max(d.off-start, 0)
	hi := min(d.end-start, int64(len(j.s.plain)))
	if _, err := d.w.Write(j.s.plain[lo:hi]); err != nil {
		return errs.Errorf("", errs.Unavailable, "writing the output: %w", err)
	}
	if d.content == nil {
		return nil
	}
	d.content.add(j.s.plain, j.s.leaves)
	return nil
}

// check compares a whole-object read with the manifest's content CID.
func (d *decoder) check() error {
	if d.content == nil {
		return nil
	}
	if got := d.content.root(); !got.Equals(d.m.Content) {
		return errs.Errorf("chunker.Decode", errs.Corrupt,
			"decoded bytes have content CID %s, the manifest says %s: the object was encoded wrongly", got, d.m.Content)
	}
	return nil
}
