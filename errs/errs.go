// Package errs gives Meridian's errors a kind, so callers branch with errors.Is and the HTTP
// layer maps kinds to status codes in one place; it imports nothing from the project.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies a failure. The zero Kind is Other.
type Kind uint8

// Kinds of failure. Keep the list short: a kind exists when a caller must act differently.
const (
	Other           Kind = iota // not classified
	Invalid                     // bad input from the caller; fix the request
	NotExist                    // the named thing does not exist
	Exist                       // the thing already exists
	Permission                  // the subject may not do this
	Unavailable                 // a dependency (peer, leader, disk) cannot be reached now; retry
	Corrupt                     // stored or received bytes do not match their hash or format
	Internal                    // a bug or broken invariant
	NotLeader                   // this node is not the Raft leader; look elsewhere
	Timeout                     // a deadline passed
	NoSpace                     // the store is full
	Unauthenticated             // missing or unknown credentials
	Conflict                    // the request conflicts with the current state
	WrongNode                   // this node may not serve the request (it acts for another member); another node may, and nothing was done
	NotCaughtUp                 // this node's replica is not known to be current (cut off from the leader, or not applying); refused before acting: another node may serve
)

var kindNames = [...]string{
	Other:           "other",
	Invalid:         "invalid",
	NotExist:        "not_found",
	Exist:           "exists",
	Permission:      "permission_denied",
	Unavailable:     "unavailable",
	Corrupt:         "corrupt",
	Internal:        "internal",
	NotLeader:       "not_leader",
	Timeout:         "timeout",
	NoSpace:         "no_space",
	Unauthenticated: "unauthenticated",
	Conflict:        "conflict",
	WrongNode:       "wrong_node",
	NotCaughtUp:     "not_caught_up",
}

// String returns the stable code of the kind, as used in JSON error bodies.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// KindFromString is the inverse of Kind.String; unknown codes give Other.
func KindFromString(s string) Kind {
	for k, n := range kindNames {
		if n == s {
			return Kind(k)
		}
	}
	return Other
}

// Error is an error with an operation and a kind.
type Error struct {
	Op   string // the operation that failed, e.g. "store.Put"
	Kind Kind
	Err  error // the underlying error; may be nil
}

// Error formats as "op: kind: underlying".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Kind.String())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a Kind equal to this error's kind (or the kind of a wrapped
// *Error when this one is Other), so errors.Is(err, errs.NotExist) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(Kind)
	return ok && KindOf(e) == t
}

// Error makes a Kind usable as an errors.Is target.
func (k Kind) Error() string { return k.String() }

// E builds an *Error for operation op with the given kind and cause (which may be nil).
func E(op string, kind Kind, err error) error {
	return &Error{Op: op, Kind: kind, Err: err}
}

// Errorf builds an *Error whose cause is fmt.Errorf(format, args...).
func Errorf(op string, kind Kind, format string, args ...any) error {
	return &Error{Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// KindOf returns the kind of err: the first non-Other kind in its chain, else Other.
func KindOf(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Other
		}
		if e.Kind != Other {
			return e.Kind
		}
		err = e.Err
	}
	return Other
}

// Is reports whether err has kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
