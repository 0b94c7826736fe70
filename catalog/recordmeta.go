package catalog

import (
	"errors"
	"math"
	"strconv"
)

// recordMeta calls fn with each top-level meta entry of a DAG-CBOR record whose value Search
// can compare: text as it is, integers in decimal (what metaString gives the decoded value).
// Lists, maps and other values are skipped. It walks the bytes without building the record,
// in about a microsecond where pid.Decode takes tens: restore indexes a million records with
// it. The bytes are a record the catalog accepted (their PID was checked), so an error only
// means a record this walker does not understand; the differential and fuzz tests hold it to
// pid.Decode. k and v are only valid during the call.
func recordMeta(rec []byte, fn func(k, v []byte)) error {
	w := cborWalker{b: rec}
	major, n, err := w.head()
	if err != nil || major != cborMap {
		return errNotRecord
	}
	for range n {
		key, err := w.text()
		if err != nil {
			return err
		}
		if string(key) != "meta" {
			if err := w.skip(0); err != nil {
				return err
			}
			continue
		}
		return w.meta(fn)
	}
	return nil
}

var errNotRecord = errors.New("not a DAG-CBOR record this walker understands")

const (
	cborUint, cborNeg, cborBytes, cborText, cborArray, cborMap, cborTag = 0, 1, 2, 3, 4, 5, 6
	cborMaxDepth                                                        = 32
)

type cborWalker struct {
	b   []byte
	i   int
	num []byte // scratch for decimal integers
}

// head reads an item's major type and argument (length, count or value). Indefinite lengths
// are not DAG-CBOR and are refused.
func (w *cborWalker) head() (major byte, arg uint64, err error) {
	if w.i >= len(w.b) {
		return 0, 0, errNotRecord
	}
	c := w.b[w.i]
	w.i++
	major, ai := c>>5, c&31
	size := 0
	switch {
	case ai < 24:
		return major, uint64(ai), nil
	case ai <= 27:
		size = 1 << (ai - 24)
	default:
		return 0, 0, errNotRecord
	}
	if len(w.b)-w.i < size {
		return 0, 0, errNotRecord
	}
	for _, x := range w.b[w.i : w.i+size] {
		arg = arg<<8 | uint64(x)
	}
	w.i += size
	return major, arg, nil
}

// take returns the next n bytes.
func (w *cborWalker) take(n uint64) ([]byte, error) {
	if n > uint64(len(w.b)-w.i) {
		return nil, errNotRecord
	}
	out := w.b[w.i : w.i+int(n)]
	w.i += int(n)
	return out, nil
}

func (w *cborWalker) text() ([]byte, error) {
	major, n, err := w.head()
	if err != nil || major != cborText {
		return nil, errNotRecord
	}
	return w.take(n)
}

// skip passes over one item and everything inside it.
func (w *cborWalker) skip(depth int) error {
	if depth > cborMaxDepth {
		return errNotRecord
	}
	major, n, err := w.head()
	if err != nil {
		return err
	}
	switch major {
	case cborBytes, cborText:
		_, err = w.take(n)
		return err
	case cborArray, cborMap:
		if major == cborMap {
			if n > math.MaxUint64/2 {
				return errNotRecord
			}
			n *= 2
		}
		if n > uint64(len(w.b)-w.i) { // every item takes a byte at least
			return errNotRecord
		}
		for range n {
			if err := w.skip(depth + 1); err != nil {
				return err
			}
		}
	case cborTag:
		return w.skip(depth + 1)
	}
	return nil
}

// meta walks the meta map, calling fn with its text and integer entries.
func (w *cborWalker) meta(fn func(k, v []byte)) error {
	major, n, err := w.head()
	if err != nil || major != cborMap {
		return errNotRecord
	}
	for range n {
		k, err := w.text()
		if err != nil {
			return err
		}
		start := w.i
		major, arg, err := w.head()
		if err != nil {
			return err
		}
		switch {
		case major == cborText:
			v, err := w.take(arg)
			if err != nil {
				return err
			}
			fn(k, v)
		case major == cborUint && arg <= math.MaxInt64:
			fn(k, strconv.AppendInt(w.num[:0], int64(arg), 10))
		case major == cborNeg && arg <= math.MaxInt64:
			fn(k, strconv.AppendInt(w.num[:0], -1-int64(arg), 10))
		default:
			w.i = start
			if err := w.skip(0); err != nil {
				return err
			}
		}
	}
	return nil
}
