package chunker

import (
	"bytes"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/codec/dagcbor"
	"github.com/ipld/go-ipld-prime/datamodel"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
	"github.com/meridian-fed/meridian/errs"
)

// DecodeManifest parses and validates manifest bytes from outside. It accepts only the canonical
// encoding (the bytes must be what Encode writes for the result), so one manifest has one CID.
// Errors have kind Corrupt.
func DecodeManifest(b []byte) (*Manifest, error) {
	const op = "chunker.DecodeManifest"
	if len(b) > MaxManifestSize {
		return nil, errs.Errorf(op, errs.Corrupt, "manifest of %d bytes exceeds %d", len(b), MaxManifestSize)
	}
	nb := basicnode.Prototype.Map.NewBuilder()
	opts := dagcbor.DecodeOptions{AllowLinks: true, AllocationBudget: 64*int64(len(b)) + 4096, MaxDepth: 8}
	if err := opts.Decode(nb, bytes.NewReader(b)); err != nil {
		return nil, errs.Errorf(op, errs.Corrupt, "manifest is not DAG-CBOR: %v", err)
	}
	m, err := manifestFromNode(nb.Build())
	if err != nil {
		return nil, errs.Errorf(op, errs.Corrupt, "manifest: %v", err)
	}
	again, err := m.Encode()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, b) {
		return nil, errs.Errorf(op, errs.Corrupt, "manifest is not in canonical form")
	}
	return m, nil
}

// fields reads a map with exactly the given keys.
type fields struct {
	n   datamodel.Node
	err error
}

func newFields(n datamodel.Node, keys int) *fields {
	f := &fields{n: n}
	if n.Kind() != datamodel.Kind_Map {
		f.err = fmt.Errorf("want a map, got %s", n.Kind())
	} else if n.Length() != int64(keys) {
		f.err = fmt.Errorf("map has %d keys, want %d", n.Length(), keys)
	}
	return f
}

func (f *fields) get(key string) datamodel.Node {
	if f.err != nil {
		return nil
	}
	v, err := f.n.LookupByString(key)
	if err != nil {
		f.err = fmt.Errorf("missing %q", key)
		return nil
	}
	return v
}

func (f *fields) int(key string) int64 {
	v := f.get(key)
	if v == nil {
		return 0
	}
	i, err := v.AsInt()
	if err != nil || i < 0 {
		f.err = fmt.Errorf("%q is not a non-negative integer", key)
	}
	return i
}

// small reads an integer that must fit an int on every platform.
func (f *fields) small(key string) int {
	i := f.int(key)
	if i > 1<<31-1 && f.err == nil {
		f.err = fmt.Errorf("%q too large", key)
	}
	return int(i)
}

func (f *fields) str(key string) string {
	v := f.get(key)
	if v == nil {
		return ""
	}
	s, err := v.AsString()
	if err != nil {
		f.err = fmt.Errorf("%q is not a string", key)
	}
	return s
}

func (f *fields) bool(key string) bool {
	v := f.get(key)
	if v == nil {
		return false
	}
	b, err := v.AsBool()
	if err != nil {
		f.err = fmt.Errorf("%q is not a bool", key)
	}
	return b
}

func (f *fields) cid(key string) cid.Cid {
	v := f.get(key)
	if v == nil {
		return cid.Undef
	}
	return f.asCID(v, key)
}

func (f *fields) asCID(v datamodel.Node, what string) cid.Cid {
	l, err := v.AsLink()
	if err != nil {
		f.err = fmt.Errorf("%s is not a CID", what)
		return cid.Undef
	}
	cl, ok := l.(cidlink.Link)
	if !ok {
		f.err = fmt.Errorf("%s is not a CID", what)
		return cid.Undef
	}
	return cl.Cid
}

func (f *fields) list(key string) datamodel.ListIterator {
	v := f.get(key)
	if v == nil {
		return nil
	}
	if v.Kind() != datamodel.Kind_List {
		f.err = fmt.Errorf("%q is not a list", key)
		return nil
	}
	return v.ListIterator()
}

func manifestFromNode(n datamodel.Node) (*Manifest, error) {
	f := newFields(n, 10)
	m := &Manifest{
		Version: f.small("v"), K: f.small("k"), M: f.small("m"), Size: f.int("size"),
		StripeSize: f.small("stripe"), Cipher: f.str("cipher"), Compression: f.str("compress"),
		Content: f.cid("content"),
	}
	if v := f.get("sha256"); v != nil {
		b, err := v.AsBytes()
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("sha256 is not 32 bytes")
		}
		copy(m.SHA256[:], b)
	}
	it := f.list("stripes")
	if f.err != nil {
		return nil, f.err
	}
	for !it.Done() {
		_, v, err := it.Next()
		if err != nil {
			return nil, err
		}
		s, err := stripeFromNode(v)
		if err != nil {
			return nil, fmt.Errorf("stripe %d: %w", len(m.Stripes), err)
		}
		m.Stripes = append(m.Stripes, s)
	}
	return m, nil
}

func stripeFromNode(n datamodel.Node) (Stripe, error) {
	f := newFields(n, 4)
	s := Stripe{Length: f.small("n"), Compressed: f.bool("z"), Sealed: f.small("sealed")}
	it := f.list("shards")
	if f.err != nil {
		return s, f.err
	}
	for !it.Done() && f.err == nil {
		_, v, err := it.Next()
		if err != nil {
			return s, err
		}
		s.Shards = append(s.Shards, f.asCID(v, "shard"))
	}
	return s, f.err
}
