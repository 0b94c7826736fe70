package catalog

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/meridian-fed/meridian/errs"
)

// CommandVersion is the envelope version this package writes and applies.
const CommandVersion = 1

// MaxCommandSize bounds an encoded command; larger input is rejected before parsing.
const MaxCommandSize = 4 << 20

// Kind names a command type. Kinds are stable strings: they appear in the audit log.
type Kind string

// Command kinds.
const (
	KindBootstrap     Kind = "federation.bootstrap"
	KindAddMember     Kind = "member.add"
	KindRetireMember  Kind = "member.retire"
	KindAddNode       Kind = "node.add"
	KindSetNodeState  Kind = "node.state"
	KindAddUser       Kind = "user.add"
	KindAddToken      Kind = "token.add"
	KindRevokeToken   Kind = "token.revoke"
	KindCreateCatalog Kind = "catalog.create"
	KindSetScope      Kind = "catalog.scope"
	KindSetGrants     Kind = "catalog.grants"
	KindSetPlacement  Kind = "catalog.placement"
	KindSubscribe     Kind = "catalog.subscribe"
	KindUnsubscribe   Kind = "catalog.unsubscribe"
	KindPublish       Kind = "object.publish"
	KindAddKeys       Kind = "object.keys"
	KindGovPropose    Kind = "gov.propose"
	KindGovApprove    Kind = "gov.approve"
	KindGovWithdraw   Kind = "gov.withdraw"
)

// Command is the envelope of every state change. It is encoded as JSON (encoding/json with
// the fields in this order, no extra whitespace), which is deterministic for the structs in
// this package; apply never re-encodes, it hashes the bytes it was given.
type Command struct {
	V     int    `json:"v"`
	Kind  Kind   `json:"kind"`
	Actor string `json:"actor"` // user id, or "node:<peer ID>" for a node acting for its member
	// Time is stamped by the leader before proposing (unix nanoseconds); apply uses it as the
	// command's time and never reads a clock.
	Time int64           `json:"time"`
	Body json.RawMessage `json:"body"`
}

// NewCommand builds a command of the body's kind. Time is left zero for the leader to stamp.
func NewCommand(actor string, body Body) (*Command, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, errs.E("catalog.NewCommand", errs.Invalid, err)
	}
	return &Command{V: CommandVersion, Kind: body.Kind(), Actor: actor, Body: b}, nil
}

// Encode returns the command's bytes, as proposed to raft.
func (c *Command) Encode() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, errs.E("catalog.Command.Encode", errs.Invalid, err)
	}
	return b, nil
}

// DecodeCommand parses command bytes strictly: one JSON object, no unknown fields, a known
// version and kind.
func DecodeCommand(b []byte) (*Command, error) {
	const op = "catalog.DecodeCommand"
	if len(b) > MaxCommandSize {
		return nil, errs.Errorf(op, errs.Invalid, "command of %d bytes exceeds %d", len(b), MaxCommandSize)
	}
	var c Command
	if err := strictUnmarshal(b, &c); err != nil {
		return nil, errs.E(op, errs.Invalid, err)
	}
	if c.V != CommandVersion {
		return nil, errs.Errorf(op, errs.Invalid, "command version %d: this node applies version %d; upgrade it", c.V, CommandVersion)
	}
	if _, ok := bodyTypes[c.Kind]; !ok {
		return nil, errs.Errorf(op, errs.Invalid, "unknown command kind %q", c.Kind)
	}
	return &c, nil
}

// DecodeBody parses the command's body into its typed form.
func (c *Command) DecodeBody() (Body, error) {
	newBody, ok := bodyTypes[c.Kind]
	if !ok {
		return nil, errs.Errorf("catalog.Command.DecodeBody", errs.Invalid, "unknown command kind %q", c.Kind)
	}
	body := newBody()
	if err := strictUnmarshal(c.Body, body); err != nil {
		return nil, errs.E("catalog.Command.DecodeBody", errs.Invalid, err)
	}
	return body, nil
}

// strictUnmarshal decodes exactly one JSON value with no unknown fields and nothing after it.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.Errorf("", errs.Invalid, "trailing data after the JSON value")
	}
	return nil
}
