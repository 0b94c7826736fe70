package main

import (
	"fmt"
	"io"

	"github.com/meridian-fed/meridian/chunker"
)

// cidWriter computes the content CID of what is written to it on a goroutine it owns, which
// ends in finish. Writes are copied into a bounded queue (cidQueue buffers of at most
// cidChunk bytes) so hashing overlaps the download instead of stalling it.
type cidWriter struct {
	q    chan []byte
	free chan []byte
	stop chan struct{} // closed when the hashing goroutine has returned
	res  cidResult
}

type cidResult struct {
	id  chunker.ContentID
	err error
}

const (
	cidQueue = 16
	cidChunk = 256 << 10
)

func newCIDWriter() *cidWriter {
	cw := &cidWriter{q: make(chan []byte, cidQueue), free: make(chan []byte, cidQueue+1), stop: make(chan struct{})}
	go func() {
		defer close(cw.stop)
		cw.res.id, cw.res.err = chunker.ComputeContentID(&queueReader{cw: cw})
	}()
	return cw
}

func (cw *cidWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		var buf []byte
		select {
		case buf = <-cw.free:
		default:
			buf = make([]byte, 0, cidChunk)
		}
		k := min(len(b), cidChunk)
		buf = append(buf[:0], b[:k]...)
		select {
		case cw.q <- buf:
		case <-cw.stop:
			return 0, fmt.Errorf("content CID: %w", cw.res.err)
		}
		b = b[k:]
	}
	return n, nil
}

// finish ends the stream and returns the result (meaningless after a failed download).
func (cw *cidWriter) finish() (chunker.ContentID, error) {
	close(cw.q)
	<-cw.stop
	return cw.res.id, cw.res.err
}

// queueReader reads the queued buffers in order.
type queueReader struct {
	cw  *cidWriter
	cur []byte
	buf []byte // backing array of cur, returned to free when used up
}

func (r *queueReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.buf != nil {
			select {
			case r.cw.free <- r.buf:
			default:
			}
			r.buf = nil
		}
		b, ok := <-r.cw.q
		if !ok {
			return 0, io.EOF
		}
		r.cur, r.buf = b, b
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}
