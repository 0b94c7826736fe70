package node

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/meridian-fed/meridian/errs"
)

// A member's nodes share one age identity (member.agekey): the catalog holds its recipient,
// and objects' data keys are wrapped to it. A node that joins an existing member must hold the
// same identity, or every read through it fails with a misleading 403. Init makes a fresh
// identity in every data dir (the first node of a member keeps it); at the join:
//
//   - the joiner sends the recipient of the identity it holds (joinRequest.Member.Recipient);
//   - when it differs from the member's, the redeeming node, if it is a node of that member,
//     sends the member's identity encrypted with age to that recipient (joinAnswer.MemberKey),
//     so only the holder of the invite secret and of the joiner's identity can read it; the
//     joiner checks it is the member's and replaces its own (memberKeyFile, fsynced);
//   - a redeeming node of another member cannot deliver it: it refuses the join before
//     registering anything, with the next step (copy member.agekey), and keeps the invite.
//
// A node whose identity still is not its member's fails readyz with the same next step.

// maxMemberKey bounds the decrypted member key a joiner accepts.
const maxMemberKey = 1024

// memberKeyFor returns what a redeeming node sends a joiner of existing member m that holds
// the identity of recipient: nothing when it already holds m's, m's identity encrypted to
// recipient when this node is of m, else a Conflict that says what to do.
func (n *Node) memberKeyFor(m, recipient string) ([]byte, error) {
	const op = "node.redeem"
	mem, err := n.state.Member(m)
	if err != nil {
		return nil, err
	}
	if mem.Recipient == recipient {
		return nil, nil
	}
	own := n.memberKey.Load()
	if n.cfg.Member != m || own.Recipient().String() != mem.Recipient {
		return nil, errs.Errorf(op, errs.Conflict, "member key missing: the joining node's %s is not member %s's; copy %s from another node of %s into its data dir, then join again",
			MemberKeyFile, m, MemberKeyFile, m)
	}
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, errs.Errorf(op, errs.Invalid, "join request: member recipient: %v", err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	if _, err := io.WriteString(w, own.String()); err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	if err := w.Close(); err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	return buf.Bytes(), nil
}

// adoptMemberKey decrypts the member identity a join delivered, with the identity this node
// made at init, and makes it this node's: written to the data dir first, then used.
func (n *Node) adoptMemberKey(wrapped []byte) error {
	const op = "node.join"
	if len(wrapped) == 0 {
		return nil
	}
	r, err := age.Decrypt(bytes.NewReader(wrapped), n.memberKey.Load())
	if err != nil {
		return errs.Errorf(op, errs.Corrupt, "the member key sent by the inviting node cannot be decrypted: %v", err)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxMemberKey+1))
	if err != nil || len(b) > maxMemberKey {
		return errs.Errorf(op, errs.Corrupt, "the member key sent by the inviting node is damaged or too long")
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(b)))
	if err != nil {
		return errs.Errorf(op, errs.Corrupt, "the inviting node sent no age identity: %v", err)
	}
	if err := writeFileSync(filepath.Join(n.cfg.DataDir, MemberKeyFile), []byte(id.String()+"\n"), 0o600); err != nil {
		return err
	}
	n.memberKey.Store(id)
	n.log.Info("member key received from the inviting node", "member", n.cfg.Member)
	return nil
}

// checkMemberKey fails when the catalog knows this node's member with another recipient than
// this node's identity: it could decrypt nothing of its member.
func (n *Node) checkMemberKey() error {
	mem, err := n.state.Member(n.cfg.Member)
	if err != nil {
		return nil // not admitted yet
	}
	if mem.Recipient != n.memberKey.Load().Recipient().String() {
		return errs.Errorf("node.memberKey", errs.Unavailable, "member key mismatch: %s in %s is not member %s's key; copy %s from another node of %s into %s, then restart",
			MemberKeyFile, n.cfg.DataDir, n.cfg.Member, MemberKeyFile, n.cfg.Member, n.cfg.DataDir)
	}
	return nil
}
