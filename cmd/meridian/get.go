package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/meridian-fed/meridian/api"
	"github.com/spf13/cobra"
)

type getOpts struct {
	out, rng    string
	off, length int64 // rng parsed (length -1: to the end)
}

func newGetCmd() *cobra.Command {
	var o getOpts
	cmd := &cobra.Command{
		Use:   "get PID",
		Short: "Download an object's content, verified against its PID",
		Long: `Download the content of PID to stdout or to -o FILE. A whole read is verified here, not
trusted from the node: the record must hash to the PID and carry a valid signature, and the
bytes must give the record's content CID, sha256 and size. On a mismatch nothing is left at
FILE (the download goes to a temporary file renamed into place only once verified) and the
exit code is 6. --range a-b (inclusive byte offsets, "a-" to the end) fetches only the stripes
the range covers; a range cannot be checked against the content CID.`,
		Args: usageArgs(cobra.ExactArgs(1)),
	}
	cf := addClientFlags(cmd)
	cmd.Flags().StringVarP(&o.out, "output", "o", "", `write to FILE instead of stdout ("-": stdout)`)
	cmd.Flags().StringVar(&o.rng, "range", "", "byte range a-b (inclusive) or a- (to the end)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return runGet(cmd, cf, o, args[0]) }
	return cmd
}

// getResult is what get prints with --json.
type getResult struct {
	PID      string `json:"pid"`
	Output   string `json:"output"`
	Bytes    int64  `json:"bytes"`
	Content  string `json:"content,omitempty"`
	Verified bool   `json:"verified"` // record and content CID checked
	Range    string `json:"range,omitempty"`
}

func runGet(cmd *cobra.Command, cf *clientFlags, o getOpts, p string) error {
	var err error
	if o.off, o.length, err = parseByteRange(o.rng); err != nil {
		return usageError{err}
	}
	if o.toStdout() && cf.json {
		return usageError{fmt.Errorf("--json prints a summary on stdout, which the content would share: add -o FILE")}
	}
	get := func(ctx context.Context, c *api.Client) (getResult, error) {
		return o.fetch(ctx, c, p, cmd.OutOrStdout())
	}
	return transferAndShow(cmd, cf, "get", get, func(w io.Writer, res getResult) error {
		if o.toStdout() {
			return nil // the content was the output
		}
		return printGot(w, res)
	})
}

func (o getOpts) toStdout() bool { return o.out == "" || o.out == "-" }

// fetch downloads p (or the range asked for) to its output, committed only on success.
func (o getOpts) fetch(ctx context.Context, c *api.Client, p string, stdout io.Writer) (getResult, error) {
	res := getResult{PID: p, Output: o.out, Range: o.rng}
	out, err := o.output(stdout)
	if err != nil {
		return res, err
	}
	if o.rng != "" {
		res.Bytes, err = c.GetRange(ctx, p, o.off, o.length, out)
	} else {
		err = getVerified(ctx, c, p, out, &res)
	}
	if err == nil {
		err = out.commit()
	}
	if err != nil {
		out.abort()
		return res, err
	}
	return res, nil
}

// output is where the content goes: stdout, or a temporary file beside -o FILE.
func (o getOpts) output(stdout io.Writer) (outputFile, error) {
	if o.toStdout() {
		return nopOutput{stdout}, nil
	}
	f, err := createOutput(o.out)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func printGot(w io.Writer, res getResult) error {
	check := "content CID verified"
	if !res.Verified {
		check = "range: not checked against the content CID"
	}
	_, err := fmt.Fprintf(w, "%s: %d bytes, %s\n", res.Output, res.Bytes, check)
	return err
}

// parseByteRange reads "a-b" (inclusive) or "a-" into an offset and a length (-1: to the end).
// The empty string is the whole content.
func parseByteRange(s string) (off, length int64, err error) {
	if s == "" {
		return 0, -1, nil
	}
	a, b, ok := strings.Cut(s, "-")
	off, errA := strconv.ParseInt(a, 10, 64)
	if !ok || errA != nil || off < 0 {
		return 0, 0, fmt.Errorf("--range %q: write a-b or a- with byte offsets, e.g. 0-1048575", s)
	}
	if b == "" {
		return off, -1, nil
	}
	last, err := strconv.ParseInt(b, 10, 64)
	if err != nil || last < off {
		return 0, 0, fmt.Errorf("--range %q: the end must be a byte offset not before the start", s)
	}
	return off, last - off + 1, nil
}

// nopOutput is stdout: nothing to commit, nothing to remove.
type nopOutput struct{ io.Writer }

func (nopOutput) commit() error { return nil }
func (nopOutput) abort()        {}
