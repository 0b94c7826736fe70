package pid

import (
	"sort"

	"github.com/ipfs/go-cid"
	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
	cidlink "github.com/ipld/go-ipld-prime/linking/cid"
	"github.com/ipld/go-ipld-prime/node/basicnode"
)

// Keys of the record map, as they appear in the encoding.
const (
	keyV           = "v"
	keyContent     = "content"
	keySHA256      = "sha256"
	keySize        = "size"
	keyType        = "type"
	keyName        = "name"
	keyCatalog     = "catalog"
	keyMeta        = "meta"
	keyDerivedFrom = "derived_from"
	keyActivity    = "activity"
	keyPublisher   = "publisher"
	keyCreated     = "created"
	keySig         = "sig"

	keyActName     = "name"
	keyActSoftware = "software"
	keyActParams   = "params"

	keyPubMember = "member"
	keyPubUser   = "user"
	keyPubKey    = "key"
)

// node builds the IPLD data model form of r. The dag-cbor encoder sorts map keys canonically,
// so the order of entries here does not matter.
func (r *Record) node(withSig bool) (datamodel.Node, error) {
	return qp.BuildMap(basicnode.Prototype.Any, 13, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, keyV, qp.Int(r.V))
		qp.MapEntry(ma, keyContent, qp.Link(cidlink.Link{Cid: r.Content}))
		qp.MapEntry(ma, keySHA256, qp.Bytes(r.SHA256))
		qp.MapEntry(ma, keySize, qp.Int(r.Size))
		qp.MapEntry(ma, keyType, qp.String(r.Type))
		if r.Name != "" {
			qp.MapEntry(ma, keyName, qp.String(r.Name))
		}
		qp.MapEntry(ma, keyCatalog, qp.String(r.Catalog))
		if len(r.Meta) > 0 {
			qp.MapEntry(ma, keyMeta, metaMap(r.Meta))
		}
		if len(r.DerivedFrom) > 0 {
			qp.MapEntry(ma, keyDerivedFrom, links(r.DerivedFrom))
		}
		if r.Activity != nil {
			qp.MapEntry(ma, keyActivity, r.Activity.assemble())
		}
		qp.MapEntry(ma, keyPublisher, r.Publisher.assemble())
		qp.MapEntry(ma, keyCreated, qp.String(r.Created))
		if withSig {
			qp.MapEntry(ma, keySig, qp.Bytes(r.Sig))
		}
	})
}

func links(cs []cid.Cid) qp.Assemble {
	return qp.List(int64(len(cs)), func(la datamodel.ListAssembler) {
		for _, c := range cs {
			qp.ListEntry(la, qp.Link(cidlink.Link{Cid: c}))
		}
	})
}

func (a *Activity) assemble() qp.Assemble {
	return qp.Map(3, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, keyActName, qp.String(a.Name))
		if a.Software != "" {
			qp.MapEntry(ma, keyActSoftware, qp.String(a.Software))
		}
		if len(a.Params) > 0 {
			qp.MapEntry(ma, keyActParams, stringMap(a.Params))
		}
	})
}

func (p *Publisher) assemble() qp.Assemble {
	return qp.Map(3, func(ma datamodel.MapAssembler) {
		qp.MapEntry(ma, keyPubMember, qp.String(p.Member))
		if p.User != "" {
			qp.MapEntry(ma, keyPubUser, qp.String(p.User))
		}
		qp.MapEntry(ma, keyPubKey, qp.Bytes(p.Key))
	})
}

func stringMap(m map[string]string) qp.Assemble {
	return qp.Map(int64(len(m)), func(ma datamodel.MapAssembler) {
		for _, k := range sortedKeys(m) {
			qp.MapEntry(ma, k, qp.String(m[k]))
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
