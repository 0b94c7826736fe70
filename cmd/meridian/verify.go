package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/spf13/cobra"
)

func newVerifyCmd() *cobra.Command {
	var content, place bool
	cmd := &cobra.Command{
		Use:   "verify PID",
		Short: "Check a PID for an auditor: record hash, signature, audit entry, shards, content",
		Long: `Check PID and print each check with ok or FAIL. Checks marked (local) are computed here and
trust no node: the record, re-encoded canonically, must hash to the PID and its signature must
verify under the publisher key; with --content the bytes are downloaded and must give the
record's content CID, sha256 and size. Checks marked (node) are the answering node's: its own
record checks, the audit log entry that accepted the object, and how many shards of every
stripe answered. With --placement it also lists each shard's node, member and region and says
whether the catalog's placement constraints (member cap, allowed regions, excluded members,
jurisdiction) hold for every stripe. Exit code 6 when a hash, signature, entry, content or
placement check fails, 5 when only shards are missing, 0 when all pass.`,
		Args: usageArgs(cobra.ExactArgs(1)),
	}
	cf := addClientFlags(cmd)
	cmd.Flags().BoolVar(&content, "content", false, "also download the content and check its content CID")
	cmd.Flags().BoolVar(&place, "placement", false, "also list where every shard is and check the catalog's placement constraints")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return runVerify(cmd, cf, args[0], verifyOpts{content: content, placement: place})
	}
	return cmd
}

// check is one line of a verify report.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	kind   errs.Kind
}

type verifyReport struct {
	PID       string              `json:"pid"`
	OK        bool                `json:"ok"`
	Checks    []check             `json:"checks"`
	Stripes   []api.StripeHealth  `json:"stripes,omitempty"`
	Placement *api.PlacementAudit `json:"placement,omitempty"` // with --placement
	Problems  []string            `json:"problems,omitempty"`
}

// verifyOpts are verify's optional checks.
type verifyOpts struct{ content, placement bool }

// runVerify prints the report of every check, then fails unless all of them passed.
func runVerify(cmd *cobra.Command, cf *clientFlags, p string, opts verifyOpts) error {
	var rep *verifyReport // kept for its verdict, printed first
	run := func(ctx context.Context, c *api.Client) (*verifyReport, error) {
		r, err := verify(ctx, c, p, opts)
		rep = r
		return r, err
	}
	if err := callAndShow(cmd, cf, run, printVerify); err != nil {
		return err
	}
	return rep.err()
}

// verify runs the checks of p: the record here, the node's own, with content the bytes, and
// with placement where the shards are.
func verify(ctx context.Context, c *api.Client, p string, opts verifyOpts) (*verifyReport, error) {
	content := opts.content
	obj, err := c.Object(ctx, p)
	if err != nil {
		return nil, err
	}
	v, err := c.Verify(ctx, p, content)
	if err != nil {
		return nil, err
	}
	rep := &verifyReport{PID: obj.PID, Stripes: v.Stripes, Problems: v.Problems}
	rep.Checks = recordChecks(p, obj, v)
	rep.Checks = append(rep.Checks, shardCheck(v.Stripes))
	if content {
		rep.Checks = append(rep.Checks, check{Name: "content CID (node)", OK: v.ContentChecked && v.ContentOK, kind: errs.Corrupt})
		rep.Checks = append(rep.Checks, localContentCheck(ctx, c, p, obj.Record))
	}
	if opts.placement {
		rep.Placement = v.Placement
		rep.Checks = append(rep.Checks, placementCheck(v.Placement))
	}
	rep.OK = rep.err() == nil
	return rep, nil
}

func recordChecks(p string, obj *api.Object, v *api.Verification) []check {
	rc := checkRecord(p, obj)
	audit := check{Name: "audit entry (node)", kind: errs.Corrupt}
	if e := v.AuditEntry; e != nil {
		audit.OK = true
		audit.Detail = fmt.Sprintf("index %d, %s, %s by %s", e.Index, e.Time.Format(time.RFC3339), e.Kind, e.Actor)
	}
	hash := check{Name: "record hash = PID (local)", OK: rc.HashOK, kind: errs.Corrupt}
	if !rc.HashOK {
		hash.Detail = rc.Problem
	}
	sig := check{Name: "signature (local)", OK: rc.SignatureOK, Detail: "key " + obj.Record.Publisher.Key, kind: errs.Corrupt}
	if !rc.SignatureOK {
		sig.Detail = rc.Problem
	}
	return []check{
		hash, sig,
		{Name: "record hash = PID (node)", OK: v.RecordHashOK, kind: errs.Corrupt},
		{Name: "signature (node)", OK: v.SignatureOK, kind: errs.Corrupt},
		audit,
	}
}

const shardCheckName = "shards reachable (node)"

// shardCheck passes when every stripe has at least k reachable shards.
func shardCheck(stripes []api.StripeHealth) check {
	ch := check{Name: shardCheckName, OK: true, kind: errs.Unavailable}
	full, readable := 0, 0
	for _, s := range stripes {
		if s.Reachable < s.Needed {
			ch.OK = false
		} else {
			readable++
		}
		if s.Reachable >= s.Total {
			full++
		}
	}
	ch.Detail = fmt.Sprintf("%d of %d stripes readable (k shards or more), %d with all k+m", readable, len(stripes), full)
	if len(stripes) == 0 {
		ch.Detail = "the node reported no stripes"
	}
	return ch
}

// localContentCheck downloads the content and compares its identifiers with the record.
func localContentCheck(ctx context.Context, c *api.Client, p string, r api.Record) check {
	ch := check{Name: "content CID (local)", kind: errs.Corrupt}
	cw := newCIDWriter()
	_, err := c.Get(ctx, p, cw)
	id, cerr := cw.finish()
	switch {
	case err != nil:
		ch.Detail, ch.kind = err.Error(), errs.KindOf(err)
	case cerr != nil:
		ch.Detail = cerr.Error()
	default:
		if err := matchContent(r, id); err != nil {
			ch.Detail = err.Error()
		} else {
			ch.OK, ch.Detail = true, fmt.Sprintf("%s, %d bytes", id.CID, id.Size)
		}
	}
	return ch
}

// err is nil when every check passed, else Corrupt (or Unavailable when only availability
// checks failed).
func (rep *verifyReport) err() error {
	kind, failed := errs.Unavailable, 0
	for _, c := range rep.Checks {
		if !c.OK {
			failed++
			if c.kind != errs.Unavailable {
				kind = errs.Corrupt
			}
		}
	}
	if failed == 0 {
		return nil
	}
	return errs.Errorf("verify", kind, "%d of %d checks failed for %s", failed, len(rep.Checks), rep.PID)
}

func printVerify(w io.Writer, rep *verifyReport) error {
	fmt.Fprintln(w, rep.PID)
	for _, c := range rep.Checks {
		status := "ok  "
		if !c.OK {
			status = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %s", status, c.Name)
		if c.Detail != "" {
			fmt.Fprintf(w, ": %s", c.Detail)
		}
		fmt.Fprintln(w)
		if c.Name == shardCheckName {
			printStripes(w, rep.Stripes) // the detail of this check, under it
		}
		if c.Name == placementCheckName && rep.Placement != nil {
			printPlacement(w, rep.Placement)
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  note  %s\n", p)
	}
	return nil
}

func printStripes(w io.Writer, stripes []api.StripeHealth) {
	for _, s := range stripes {
		fmt.Fprintf(w, "        stripe %d: %d/%d shards reachable, %d needed\n", s.Index, s.Reachable, s.Total, s.Needed)
	}
}
