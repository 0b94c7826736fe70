package consensus

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

func TestRequestRoundTrip(t *testing.T) {
	for _, r := range []*request{
		{op: opPropose, timeout: 1500 * time.Millisecond, cmds: [][]byte{[]byte("put a 1")}},
		{op: opPropose, cmds: [][]byte{[]byte("a"), nil, []byte("c")}},
		{op: opAddVoter, peer: "12D3KooW", addrs: []string{"/ip4/127.0.0.1/tcp/1", "/ip4/10.0.0.1/tcp/2"}},
		{op: opReadIndex},
		{op: opProbeIndex, timeout: 375 * time.Millisecond},
	} {
		got, err := unmarshalRequest(r.marshal())
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("round trip of %+v = %+v, %v", r, got, err)
		}
	}
}

func TestResponseRoundTrip(t *testing.T) {
	for _, r := range []*response{
		{result: result{value: []byte("v"), index: 42}},
		{result: result{kind: errs.NotLeader, msg: "not leader"}, leader: "12D3KooW"},
		{result: result{kind: errs.Conflict, rejected: true, msg: "a is 1"}},
		{results: []result{{value: []byte("x"), index: 7}, {kind: errs.Invalid, rejected: true, msg: "bad"}}},
	} {
		got, err := unmarshalResponse(r.marshal())
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("round trip of %+v = %+v, %v", r, got, err)
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good := (&request{op: opPropose, cmds: [][]byte{[]byte("x")}}).marshal()
	cases := map[string][]byte{
		"empty":     nil,
		"version":   append([]byte{9}, good[1:]...),
		"op":        append([]byte{wireVersion, 77}, good[2:]...),
		"truncated": good[:len(good)-2],
		"trailing":  append(append([]byte{}, good...), 0),
		"no cmds":   (&request{op: opPropose}).marshal(),
	}
	for name, b := range cases {
		if _, err := unmarshalRequest(b); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: err = %v, want Invalid", name, err)
		}
	}
	if _, err := unmarshalResponse([]byte{wireVersion, 0, 2, 0, 0, 0, 0, 0}); err == nil {
		t.Error("bad rejected flag accepted")
	}
}

func TestFrameCap(t *testing.T) {
	var buf bytes.Buffer
	if err := writeFrame(&buf, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(raw)), 99); !errs.Is(err, errs.Invalid) {
		t.Fatalf("oversized frame: %v, want Invalid", err)
	}
	b, err := readFrame(bufio.NewReader(bytes.NewReader(raw)), 100)
	if err != nil || len(b) != 100 {
		t.Fatalf("frame = %d bytes, %v", len(b), err)
	}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(raw[:50])), 100); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("short frame: %v, want Unavailable", err)
	}
}

func FuzzUnmarshalRequest(f *testing.F) {
	f.Add((&request{op: opPropose, cmds: [][]byte{[]byte("x"), []byte("y")}}).marshal())
	f.Add((&request{op: opAddNonvoter, peer: "p", addrs: []string{"/ip4/1.2.3.4/tcp/5"}}).marshal())
	f.Add((&request{op: opProbeIndex, timeout: time.Second}).marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := unmarshalRequest(b)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		again, err := unmarshalRequest(r.marshal())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encoding %+v gave %+v, %v", r, again, err)
		}
	})
}

func FuzzUnmarshalResponse(f *testing.F) {
	f.Add((&response{result: result{value: []byte("v"), index: 3}}).marshal())
	f.Add((&response{result: result{kind: errs.Conflict, rejected: true, msg: "no"}}).marshal())
	f.Add((&response{results: []result{{value: []byte("a")}, {kind: errs.NotLeader, msg: "m"}}}).marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := unmarshalResponse(b)
		if err != nil {
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.Corrupt {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		again, err := unmarshalResponse(r.marshal())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encoding %+v gave %+v, %v", r, again, err)
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{3, 'a', 'b', 'c'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := readFrame(bufio.NewReader(bytes.NewReader(b)), 1024)
		if err != nil {
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.Unavailable {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		if len(got) > 1024 {
			t.Fatalf("frame of %d bytes passed a 1024 cap", len(got))
		}
		n, hdr := binary.Uvarint(b)
		if hdr <= 0 || n != uint64(len(got)) || !bytes.Equal(got, b[hdr:hdr+len(got)]) {
			t.Fatalf("frame %x read from %x", got, b)
		}
	})
}
