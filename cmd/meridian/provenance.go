package main

import (
	"context"
	"fmt"
	"io"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/pid"
	"github.com/spf13/cobra"
)

func newProvenanceCmd() *cobra.Command {
	var depth int
	cmd := &cobra.Command{
		Use:   "provenance PID",
		Short: "Print an object's ancestors through derived_from as an indented tree",
		Long: `Print PID and, indented below it, the objects it was derived from, their inputs, and so on
up to --depth generations. An ancestor reached twice is printed once and marked "(above)" the
second time; one beyond the depth, or that you may not read, is printed as its PID alone.`,
		Args: usageArgs(cobra.ExactArgs(1)),
	}
	cf := addClientFlags(cmd)
	cmd.Flags().IntVar(&depth, "depth", 16, "generations of ancestors to follow")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if depth < 0 {
			return usageError{fmt.Errorf("--depth %d: give 0 (the object and its inputs' PIDs) or more generations", depth)}
		}
		ancestors := func(ctx context.Context, c *api.Client) ([]api.Object, error) {
			return provenance(ctx, c, args[0], depth)
		}
		return callAndShow(cmd, cf, ancestors, func(w io.Writer, objs []api.Object) error {
			root, err := pid.Parse(args[0])
			if err != nil {
				return usageError{err}
			}
			return printTree(w, pid.Format(root), objs)
		})
	}
	return cmd
}

// provenance returns p and its ancestors up to depth generations (0: the object alone).
func provenance(ctx context.Context, c *api.Client, p string, depth int) ([]api.Object, error) {
	objs, err := c.Provenance(ctx, p, depth)
	return nonNil(objs), err
}

// printTree prints the derived_from tree below root from the flat list of objects.
func printTree(w io.Writer, root string, objs []api.Object) error {
	byPID := make(map[string]*api.Object, len(objs))
	for i := range objs {
		if c, err := pid.Parse(objs[i].PID); err == nil {
			byPID[pid.Format(c)] = &objs[i]
		}
	}
	t := &tree{w: w, objs: byPID, seen: map[string]bool{}}
	t.print(root, "", "")
	return t.err
}

type tree struct {
	w    io.Writer
	objs map[string]*api.Object
	seen map[string]bool
	err  error
}

// print writes p on a line after lead, then its inputs with indent as their prefix.
func (t *tree) print(p, lead, indent string) {
	if t.err != nil {
		return
	}
	o, ok := t.objs[p]
	switch {
	case !ok:
		_, t.err = fmt.Fprintf(t.w, "%s%s\n", lead, p)
		return
	case t.seen[p]:
		_, t.err = fmt.Fprintf(t.w, "%s%s (above)\n", lead, p)
		return
	}
	t.seen[p] = true
	_, t.err = fmt.Fprintf(t.w, "%s%s  %s [%s]%s\n", lead, p, printable(o.Record.Name), o.Record.Catalog, printable(activityNote(o.Record.Activity)))
	for i, d := range o.Record.DerivedFrom {
		if c, err := pid.Parse(d); err == nil {
			d = pid.Format(c)
		}
		branch, next := "├── ", "│   "
		if i == len(o.Record.DerivedFrom)-1 {
			branch, next = "└── ", "    "
		}
		t.print(d, indent+branch, indent+next)
	}
}

func activityNote(a *api.Activity) string {
	if a == nil {
		return ""
	}
	if a.Software != "" {
		return fmt.Sprintf(" by %s (%s)", a.Name, a.Software)
	}
	return " by " + a.Name
}
