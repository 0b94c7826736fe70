package pid

import (
	"fmt"

	"github.com/ipld/go-ipld-prime/datamodel"
	"github.com/ipld/go-ipld-prime/fluent/qp"
)

// metaMap assembles a validated meta map; keys are sorted by the encoder.
func metaMap(m map[string]any) qp.Assemble {
	return qp.Map(int64(len(m)), func(ma datamodel.MapAssembler) {
		for _, k := range sortedKeys(m) {
			qp.MapEntry(ma, k, metaValue(m[k]))
		}
	})
}

func metaValue(v any) qp.Assemble {
	switch v := v.(type) {
	case string:
		return qp.String(v)
	case int:
		return qp.Int(int64(v))
	case int64:
		return qp.Int(v)
	case []string, map[string]string:
		return metaValue(normalise(v))
	case []any:
		return qp.List(int64(len(v)), func(la datamodel.ListAssembler) {
			for _, e := range v {
				qp.ListEntry(la, metaValue(e))
			}
		})
	case map[string]any:
		return metaMap(v)
	}
	panic(fmt.Errorf("meta value of type %T not allowed", v)) // recovered by qp.BuildMap
}

// metaFromNode converts the meta tree: strings, integers, lists and maps only.
func metaFromNode(n datamodel.Node) (map[string]any, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind() != datamodel.Kind_Map {
		return nil, fmt.Errorf("record field %q must be a map, not %s", keyMeta, n.Kind())
	}
	v, err := metaValueFromNode(n)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	return v.(map[string]any), nil
}

func metaValueFromNode(n datamodel.Node) (any, error) {
	switch n.Kind() {
	case datamodel.Kind_String:
		return n.AsString()
	case datamodel.Kind_Int:
		return n.AsInt()
	case datamodel.Kind_List:
		l := make([]any, 0, n.Length())
		for it := n.ListIterator(); !it.Done(); {
			_, e, err := it.Next()
			if err != nil {
				return nil, err
			}
			v, err := metaValueFromNode(e)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case datamodel.Kind_Map:
		m := make(map[string]any, n.Length())
		for it := n.MapIterator(); !it.Done(); {
			k, e, err := it.Next()
			if err != nil {
				return nil, err
			}
			ks, _ := k.AsString()
			v, err := metaValueFromNode(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ks, err)
			}
			m[ks] = v
		}
		return m, nil
	}
	return nil, fmt.Errorf("%s values are not allowed in meta; use strings, integers, lists or maps", n.Kind())
}
