package consensus

import (
	"context"
	"errors"

	"github.com/hashicorp/raft"

	"github.com/meridian-fed/meridian/errs"
)

// Rejection is the cause of an error returned when the FSM refused a committed command.
// The command is in the log but changed nothing. Test with errors.As or IsRejected.
type Rejection struct {
	Reason string // the FSM's error text
}

func (r *Rejection) Error() string { return "rejected by the state machine: " + r.Reason }

// IsRejected reports whether err says the FSM refused the command (as opposed to the command
// not being committed, or its outcome being unknown).
func IsRejected(err error) bool {
	var r *Rejection
	return errors.As(err, &r)
}

// rejection turns an FSM error into the error Propose returns. The FSM's kind is kept unless
// it is one consensus uses for its own conditions, which would mislead a caller into retrying.
func rejection(op string, kind errs.Kind, reason string) error {
	switch kind {
	case errs.Other, errs.NotLeader, errs.Timeout, errs.Unavailable:
		kind = errs.Conflict
	}
	return errs.E(op, kind, &Rejection{Reason: reason})
}

// errStoppedSentinel is the cause of every error returned because this node shut down.
var errStoppedSentinel = errors.New("consensus node is shut down; use another node or restart it")

func errStopped(op string) error {
	return errs.E(op, errs.Unavailable, errStoppedSentinel)
}

// ctxErr maps a context error to Timeout, keeping the cause for errors.Is.
func ctxErr(op string, err error) error {
	return errs.E(op, errs.Timeout, err)
}

// unknownOutcome is returned when a proposal was handed to raft but its fate is not known.
func unknownOutcome(op string, cause error) error {
	if errors.Is(cause, context.DeadlineExceeded) || errors.Is(cause, context.Canceled) {
		return errs.E(op, errs.Timeout, errors.Join(errOutcomeUnknown, cause))
	}
	return errs.E(op, errs.Unavailable, errors.Join(errOutcomeUnknown, cause))
}

var errOutcomeUnknown = errors.New("the command may or may not have been applied; read the state before retrying")

// fromRaft classifies an error returned by a raft future.
func fromRaft(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress),
		errors.Is(err, raft.ErrNotVoter):
		return errs.E(op, errs.NotLeader, err)
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrAbortedByRestore):
		return unknownOutcome(op, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return errStopped(op)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return errs.E(op, errs.Timeout, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ctxErr(op, err)
	}
	return errs.E(op, errs.Unavailable, err)
}
