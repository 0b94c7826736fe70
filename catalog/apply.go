package catalog

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/policy"
)

// Body is the typed body of a command. Its methods other than Kind are unexported: only this
// package defines commands.
type Body interface {
	Kind() Kind
	// check validates the body against the state without changing it. It may remember what
	// it decoded (a record) in the body for apply.
	check(s *State, x *exec) error
	// apply changes the state; it runs only after check passed and cannot fail.
	apply(s *State, x *exec)
}

// bodyTypes maps every kind to a constructor of its body.
var bodyTypes = map[Kind]func() Body{
	KindBootstrap:     func() Body { return new(Bootstrap) },
	KindAddMember:     func() Body { return new(AddMember) },
	KindRetireMember:  func() Body { return new(RetireMember) },
	KindAddNode:       func() Body { return new(AddNode) },
	KindSetNodeState:  func() Body { return new(SetNodeState) },
	KindAddUser:       func() Body { return new(AddUser) },
	KindAddToken:      func() Body { return new(AddToken) },
	KindRevokeToken:   func() Body { return new(RevokeToken) },
	KindCreateCatalog: func() Body { return new(CreateCatalog) },
	KindSetScope:      func() Body { return new(SetScope) },
	KindSetGrants:     func() Body { return new(SetGrants) },
	KindSetPlacement:  func() Body { return new(SetPlacement) },
	KindSubscribe:     func() Body { return new(Subscribe) },
	KindUnsubscribe:   func() Body { return new(Unsubscribe) },
	KindPublish:       func() Body { return new(Publish) },
	KindAddKeys:       func() Body { return new(AddKeys) },
	KindGovPropose:    func() Body { return new(GovPropose) },
	KindGovApprove:    func() Body { return new(GovApprove) },
	KindGovWithdraw:   func() Body { return new(GovWithdraw) },
}

// exec is the context of one command being checked or applied.
type exec struct {
	cmd    *Command
	sub    policy.Subject // the actor, resolved against the state before the command
	index  uint64
	object *Object // set by apply of commands that create or change an object
	// proposing is set by Check (before a command is proposed) and never by Apply. Rules added
	// after commands were committed under older ones are enforced only when proposing, so that
	// a committed log replays to the same state it did (see placement.go).
	proposing bool
}

// Result is the outcome of Apply. Err is nil when the command was accepted; otherwise it is an
// *errs.Error saying why it was rejected, and the state is unchanged.
type Result struct {
	Index uint64
	Kind  Kind
	Err   error
	Audit AuditEntry // the entry appended, when accepted
	// Object is the object a Publish or AddKeys command created or changed (nil otherwise),
	// so the caller can notify subscribers without decoding the command again.
	Object *Object
}

// Apply decodes, validates and applies the command committed at raft index. It never panics
// and never reads a clock: the command's Time is the leader's. A rejected command leaves the
// state exactly as it was.
func (s *State) Apply(index uint64, cmdBytes []byte) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	const op = "catalog.Apply"
	if index <= s.applied {
		return Result{Index: index, Err: errs.Errorf(op, errs.Conflict,
			"index %d is not after the last applied index %d", index, s.applied)}
	}
	cmd, body, err := decode(cmdBytes)
	if err != nil {
		return Result{Index: index, Err: err}
	}
	x := &exec{cmd: cmd, sub: s.subjectLocked(cmd.Actor), index: index}
	if err := s.checkLocked(body, x); err != nil {
		return Result{Index: index, Kind: cmd.Kind, Err: err}
	}
	body.apply(s, x)
	s.applied = index
	e := s.appendAuditLocked(x, sha256.Sum256(cmdBytes))
	return Result{Index: index, Kind: cmd.Kind, Audit: e, Object: x.object}
}

// Check validates encoded command bytes against the current state as Apply would at the next
// index, without changing anything. The leader calls it after stamping Time and before
// proposing, to refuse bad commands without a raft round; apply checks again because the state
// may change in between.
func (s *State) Check(cmdBytes []byte) error {
	cmd, body, err := decode(cmdBytes)
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkLocked(body, &exec{cmd: cmd, sub: s.subjectLocked(cmd.Actor), index: s.applied + 1, proposing: true})
}

func decode(b []byte) (*Command, Body, error) {
	cmd, err := DecodeCommand(b)
	if err != nil {
		return nil, nil, err
	}
	body, err := cmd.DecodeBody()
	if err != nil {
		return nil, nil, err
	}
	return cmd, body, nil
}

func (s *State) checkLocked(body Body, x *exec) error {
	if x.cmd.Time <= 0 {
		return errs.Errorf("catalog.Apply", errs.Invalid, "command has no leader time; the leader stamps it before proposing")
	}
	if x.cmd.Kind != KindBootstrap && s.fed == nil {
		return errs.Errorf("catalog.Apply", errs.Unavailable, "the federation is not bootstrapped yet: run meridian federation init first")
	}
	return body.check(s, x)
}

// appendAuditLocked adds the entry for an accepted command, chained to the previous one.
func (s *State) appendAuditLocked(x *exec, digest Hash) AuditEntry {
	var prev Hash
	if n := len(s.audit); n > 0 {
		prev = s.audit[n-1].Hash
	}
	e := AuditEntry{Index: x.index, Time: x.cmd.Time, Actor: x.cmd.Actor, Kind: x.cmd.Kind, Digest: digest}
	e.Hash = chainHash(prev, &e)
	s.audit = append(s.audit, e)
	return e
}

// chainHash is sha256(prev ‖ index ‖ time ‖ len(actor) ‖ actor ‖ len(kind) ‖ kind ‖ digest),
// integers as 8-byte big-endian.
func chainHash(prev Hash, e *AuditEntry) Hash {
	h := sha256.New()
	var n [8]byte
	h.Write(prev[:])
	binary.BigEndian.PutUint64(n[:], e.Index)
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.Time))
	h.Write(n[:])
	for _, s := range []string{e.Actor, string(e.Kind)} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	h.Write(e.Digest[:])
	var out Hash
	h.Sum(out[:0])
	return out
}
