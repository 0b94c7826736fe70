package catalog

import (
	"encoding/json"
	"fmt"
	"unicode"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
)

// Limits on what one publication may put into the catalog (and so into the Raft log and the
// memory of every node). They are checked by the API before an upload's body is read and again
// by Publish inside the state machine, so a forwarded or crafted command is refused too.
const (
	MaxMetaBytes    = 16 << 10  // the JSON encoding of a record's meta
	MaxMetaKey      = 128       // bytes of one meta key, at any depth
	MaxMetaValue    = 4 << 10   // bytes of one meta string value
	MaxMetaEntries  = 256       // map entries plus list items over the whole meta tree
	MaxParamsBytes  = 16 << 10  // the JSON encoding of a record's activity parameters
	MaxRecordBytes  = 128 << 10 // an encoded publication record
	MaxObjectName   = 1024      // bytes of an object's name (as pid allows)
	metaLimitAdvice = "; keep large metadata in an object of its own and name its PID in derived_from"
)

// LimitsSince is the leader time (unix nanoseconds; 2026-12-06T00:00:00Z) from which Publish
// applies the publication limits when it applies a command. Older versions accepted any size,
// and a committed log must replay to the state it made (see docs/catalog.md, "rules added
// after commands were committed"): a publication stamped before it is applied as they applied
// it. Check (proposing) applies the limits whatever the time.
const LimitsSince int64 = 1796515200 * 1e9

// CheckPublishText applies the publication limits to an object's name, metadata and activity
// parameters: sizes within the limits above, no control characters (C0, C1, DEL: terminal
// escapes; values may hold tabs and line feeds) in the name, the meta keys or values and the
// parameters, and no bidirectional
// controls (which make a name read differently from what it is) in the name or the keys. It is
// pure and deterministic; errors are of kind Invalid and name the field at fault.
func CheckPublishText(name string, meta map[string]any, params map[string]string) error {
	const op = "catalog.CheckPublishText"
	if len(name) > MaxObjectName {
		return invalid(op, "name is %d bytes, more than the limit of %d", len(name), MaxObjectName)
	}
	if err := plainText(name, true); err != nil {
		return invalid(op, "name %q: %v; choose a name without them", name, err)
	}
	if err := checkMetaLimits(meta); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	for k, v := range params {
		if err := plainText(k, true); err != nil {
			return invalid(op, "activity parameter key %q: %v", k, err)
		}
		if err := plainText(v, false); err != nil {
			return invalid(op, "activity parameter %q: %v", k, err)
		}
	}
	if n := jsonSize(params); n > MaxParamsBytes {
		return invalid(op, "activity parameters take %d bytes as JSON, more than the limit of %d%s", n, MaxParamsBytes, metaLimitAdvice)
	}
	return nil
}

// CheckLabel refuses control characters and bidirectional controls in a short label of a
// publication (the activity's name and software), as in names; what names it in the error.
func CheckLabel(what, s string) error {
	if err := plainText(s, true); err != nil {
		return invalid("catalog.CheckLabel", "%s %q: %v", what, s, err)
	}
	return nil
}

// checkMetaLimits checks meta's size, its keys and its string values.
func checkMetaLimits(meta map[string]any) error {
	if len(meta) == 0 {
		return nil
	}
	entries := 0
	if err := walkMeta(meta, "meta", &entries); err != nil {
		return err
	}
	if n := jsonSize(meta); n > MaxMetaBytes {
		return fmt.Errorf("meta takes %d bytes as JSON, more than the limit of %d%s", n, MaxMetaBytes, metaLimitAdvice)
	}
	return nil
}

// walkMeta checks every key and string under v, counting entries; path names v in errors.
func walkMeta(v any, path string, entries *int) error {
	switch v := v.(type) {
	case string:
		if len(v) > MaxMetaValue {
			return fmt.Errorf("%s is %d bytes, more than the limit of %d%s", path, len(v), MaxMetaValue, metaLimitAdvice)
		}
		if err := plainText(v, false); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
	case []any:
		return walkList(v, path, entries)
	case []string:
		for i, e := range v {
			if err := walkMeta(e, fmt.Sprintf("%s[%d]", path, i), entries); err != nil {
				return err
			}
		}
		*entries += len(v)
	case map[string]any:
		return walkMap(v, path, entries)
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = e
		}
		return walkMap(m, path, entries)
	}
	return tooMany(*entries)
}

func walkList(l []any, path string, entries *int) error {
	*entries += len(l)
	if err := tooMany(*entries); err != nil {
		return err
	}
	for i, e := range l {
		if err := walkMeta(e, fmt.Sprintf("%s[%d]", path, i), entries); err != nil {
			return err
		}
	}
	return nil
}

func walkMap(m map[string]any, path string, entries *int) error {
	*entries += len(m)
	if err := tooMany(*entries); err != nil {
		return err
	}
	for k, e := range m {
		if len(k) > MaxMetaKey {
			return fmt.Errorf("%s has a key of %d bytes, more than the limit of %d", path, len(k), MaxMetaKey)
		}
		if err := plainText(k, true); err != nil {
			return fmt.Errorf("%s key %q: %v", path, k, err)
		}
		if err := walkMeta(e, path+"."+k, entries); err != nil {
			return err
		}
	}
	return nil
}

func tooMany(entries int) error {
	if entries > MaxMetaEntries {
		return fmt.Errorf("meta has more than %d entries (map keys plus list items)%s", MaxMetaEntries, metaLimitAdvice)
	}
	return nil
}

// plainText refuses control characters (C0, DEL, C1) and, when name (a name or a key), the
// Unicode bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
// Values (not names) may hold tabs and line feeds, as multi-line descriptions do; carriage
// returns, which let text overwrite a terminal line, and escapes are refused everywhere.
func plainText(s string, name bool) error {
	for _, c := range s {
		switch {
		case !name && (c == '\t' || c == '\n'):
		case unicode.IsControl(c):
			return fmt.Errorf("contains the control character %U; control characters are not allowed", c)
		case name && unicode.Is(unicode.Bidi_Control, c):
			return fmt.Errorf("contains the bidirectional control %U, which makes text display differently from what it is", c)
		}
	}
	return nil
}

// jsonSize is the length of v's JSON encoding (map keys sorted: deterministic); a value that
// cannot be encoded counts as over every limit.
func jsonSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 1 << 30
	}
	return len(b)
}

// checkRecordLimits applies CheckPublishText and MaxRecordBytes to a verified record, when
// proposing or for a command stamped from LimitsSince on.
func checkRecordLimits(op string, x *exec, raw []byte, rec *pid.Record) error {
	if !x.proposing && x.cmd.Time < LimitsSince {
		return nil
	}
	if len(raw) > MaxRecordBytes {
		return invalid(op, "the record is %d bytes, more than the limit of %d%s", len(raw), MaxRecordBytes, metaLimitAdvice)
	}
	var params map[string]string
	if a := rec.Activity; a != nil {
		params = a.Params
		if err := CheckLabel("activity name", a.Name); err != nil {
			return err
		}
		if err := CheckLabel("activity software", a.Software); err != nil {
			return err
		}
	}
	return CheckPublishText(rec.Name, rec.Meta, params)
}

// CutBytes returns p cut after the objects whose records together stay within max bytes (at
// least one object), with Next pointing after the last one kept; a page within max is
// returned as it is. A node uses it to bound the memory and the answer of one listing before
// it decodes the records.
func (p Page) CutBytes(max int) Page {
	total := 0
	for i, o := range p.Objects {
		total += len(o.Record)
		if total > max && i > 0 {
			return page(p.Objects[:i], true)
		}
	}
	return p
}
