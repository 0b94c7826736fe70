package api

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	ID, Event, Data string
}

// maxSSELine bounds one line of an event stream (an event's JSON is far smaller).
const maxSSELine = 4 << 20

var errSSELine = errors.New("event stream line too long")

// sseReader reads an event stream (HTML Living Standard §9.2.6): "field: value" lines, ":"
// comments, an empty line dispatches; lines end in LF or CRLF (a lone CR is not a line end).
type sseReader struct {
	br *bufio.Reader
}

func newSSEReader(r io.Reader) *sseReader { return &sseReader{br: bufio.NewReaderSize(r, 64<<10)} }

// next returns the next event with data; it returns io.EOF at the end of the stream.
func (r *sseReader) next() (sseEvent, error) {
	var ev sseEvent
	var data strings.Builder
	hasData := false
	for {
		line, err := r.line()
		if err != nil {
			return sseEvent{}, err
		}
		if len(line) == 0 {
			if hasData {
				ev.Data = data.String()
				return ev, nil
			}
			ev = sseEvent{}
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "": // comment
		case "event":
			ev.Event = string(value)
		case "id":
			ev.ID = string(value)
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			if data.Len()+len(value) > maxSSELine {
				return sseEvent{}, errSSELine
			}
			data.Write(value)
			hasData = true
		}
	}
}

// line reads one line without its end, at most maxSSELine bytes.
func (r *sseReader) line() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxSSELine {
			return nil, errSSELine
		}
		buf = append(buf, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return nil, err // a last line without its end is dropped, as the standard says
		}
		buf = bytes.TrimSuffix(buf[:len(buf)-1], []byte("\r"))
		return buf, nil
	}
}
