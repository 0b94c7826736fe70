package pid

import (
	"crypto/ed25519"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/datamodel"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
)

// fields reads a map node into a key -> value table, refusing keys outside allowed.
func fields(n datamodel.Node, what string, allowed ...string) (map[string]datamodel.Node, error) {
	if n.Kind() != datamodel.Kind_Map {
		return nil, fmt.Errorf("%s must be a map, not %s", what, n.Kind())
	}
	out := make(map[string]datamodel.Node, n.Length())
	it := n.MapIterator()
	for !it.Done() {
		k, v, err := it.Next()
		if err != nil {
			return nil, err
		}
		ks, err := k.AsString()
		if err != nil {
			return nil, err
		}
		if !contains(allowed, ks) {
			return nil, fmt.Errorf("%s has unknown field %q", what, ks)
		}
		out[ks] = v
	}
	return out, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// fromNode converts the data model form of a record into a Record. It checks shapes and kinds;
// Validate checks values.
func fromNode(n datamodel.Node) (*Record, error) {
	if n.Kind() != datamodel.Kind_Map {
		return nil, fmt.Errorf("record must be a map, not %s", n.Kind())
	}
	if err := checkVersion(n); err != nil {
		return nil, err
	}
	f, err := fields(n, "record", keyV, keyContent, keySHA256, keySize, keyType, keyName, keyCatalog,
		keyMeta, keyDerivedFrom, keyActivity, keyPublisher, keyCreated, keySig)
	if err != nil {
		return nil, err
	}
	d := decoder{f: f, what: "record"}
	r := &Record{
		V:       d.int(keyV, true),
		Content: d.link(keyContent, true),
		SHA256:  d.bytes(keySHA256, true),
		Size:    d.int(keySize, true),
		Type:    d.str(keyType, true),
		Name:    d.str(keyName, false),
		Catalog: d.str(keyCatalog, true),
		Created: d.str(keyCreated, true),
		Sig:     d.bytes(keySig, true),
	}
	if d.err != nil {
		return nil, d.err
	}
	if r.Meta, err = metaFromNode(f[keyMeta]); err != nil {
		return nil, err
	}
	if r.DerivedFrom, err = linksFromNode(f[keyDerivedFrom]); err != nil {
		return nil, err
	}
	if r.Activity, err = activityFromNode(f[keyActivity]); err != nil {
		return nil, err
	}
	if r.Publisher, err = publisherFromNode(f[keyPublisher]); err != nil {
		return nil, err
	}
	return r, nil
}

// checkVersion looks at "v" before anything else, so a record from a newer format gets an
// error that says so rather than one about its unknown fields.
func checkVersion(n datamodel.Node) error {
	vn, err := n.LookupByString(keyV)
	if err != nil {
		return fmt.Errorf("record has no version field %q", keyV)
	}
	v, err := vn.AsInt()
	if err != nil {
		return fmt.Errorf("record version must be an integer, not %s", vn.Kind())
	}
	if v != Version {
		return fmt.Errorf("record version %d is not supported (this build reads version %d); upgrade meridian", v, Version)
	}
	return nil
}

// decoder reads typed fields from a map, keeping the first error.
type decoder struct {
	f    map[string]datamodel.Node
	what string
	err  error
}

func (d *decoder) get(k string, required bool, kind datamodel.Kind) datamodel.Node {
	if d.err != nil {
		return nil
	}
	n, ok := d.f[k]
	if !ok {
		if required {
			d.err = fmt.Errorf("%s has no %q field", d.what, k)
		}
		return nil
	}
	if n.Kind() != kind {
		d.err = fmt.Errorf("%s field %q must be %s, not %s", d.what, k, kind, n.Kind())
		return nil
	}
	return n
}

func (d *decoder) int(k string, required bool) int64 {
	n := d.get(k, required, datamodel.Kind_Int)
	if n == nil {
		return 0
	}
	v, err := n.AsInt()
	if err != nil {
		d.err = fmt.Errorf("%s field %q: %w", d.what, k, err)
	}
	return v
}

func (d *decoder) str(k string, required bool) string {
	n := d.get(k, required, datamodel.Kind_String)
	if n == nil {
		return ""
	}
	v, _ := n.AsString() // cannot fail for Kind_String
	return v
}

func (d *decoder) bytes(k string, required bool) []byte {
	n := d.get(k, required, datamodel.Kind_Bytes)
	if n == nil {
		return nil
	}
	v, _ := n.AsBytes() // cannot fail for Kind_Bytes
	return v
}

func (d *decoder) link(k string, required bool) cid.Cid {
	n := d.get(k, required, datamodel.Kind_Link)
	if n == nil {
		return cid.Undef
	}
	c, err := linkCid(n)
	if err != nil {
		d.err = fmt.Errorf("%s field %q: %w", d.what, k, err)
	}
	return c
}

func linkCid(n datamodel.Node) (cid.Cid, error) {
	l, err := n.AsLink()
	if err != nil {
		return cid.Undef, err
	}
	cl, ok := l.(cidlink.Link)
	if !ok {
		return cid.Undef, fmt.Errorf("link is not a CID")
	}
	return cl.Cid, nil
}

func linksFromNode(n datamodel.Node) ([]cid.Cid, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind() != datamodel.Kind_List {
		return nil, fmt.Errorf("record field %q must be a list, not %s", keyDerivedFrom, n.Kind())
	}
	out := make([]cid.Cid, 0, n.Length())
	it := n.ListIterator()
	for !it.Done() {
		i, e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if e.Kind() != datamodel.Kind_Link {
			return nil, fmt.Errorf("%s[%d] must be a PID link, not %s", keyDerivedFrom, i, e.Kind())
		}
		c, err := linkCid(e)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", keyDerivedFrom, i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func activityFromNode(n datamodel.Node) (*Activity, error) {
	if n == nil {
		return nil, nil
	}
	f, err := fields(n, "activity", keyActName, keyActSoftware, keyActParams)
	if err != nil {
		return nil, err
	}
	d := decoder{f: f, what: "activity"}
	a := &Activity{Name: d.str(keyActName, true), Software: d.str(keyActSoftware, false)}
	if d.err != nil {
		return nil, d.err
	}
	if p, ok := f[keyActParams]; ok {
		if a.Params, err = stringMapFromNode(p, "activity.params"); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func publisherFromNode(n datamodel.Node) (Publisher, error) {
	if n == nil {
		return Publisher{}, fmt.Errorf("record has no %q field", keyPublisher)
	}
	f, err := fields(n, "publisher", keyPubMember, keyPubUser, keyPubKey)
	if err != nil {
		return Publisher{}, err
	}
	d := decoder{f: f, what: "publisher"}
	p := Publisher{
		Member: d.str(keyPubMember, true),
		User:   d.str(keyPubUser, false),
		Key:    ed25519.PublicKey(d.bytes(keyPubKey, true)),
	}
	return p, d.err
}

func stringMapFromNode(n datamodel.Node, what string) (map[string]string, error) {
	if n.Kind() != datamodel.Kind_Map {
		return nil, fmt.Errorf("%s must be a map, not %s", what, n.Kind())
	}
	out := make(map[string]string, n.Length())
	it := n.MapIterator()
	for !it.Done() {
		k, v, err := it.Next()
		if err != nil {
			return nil, err
		}
		ks, _ := k.AsString()
		vs, err := v.AsString()
		if err != nil {
			return nil, fmt.Errorf("%s.%s must be a string, not %s", what, ks, v.Kind())
		}
		out[ks] = vs
	}
	return out, nil
}
