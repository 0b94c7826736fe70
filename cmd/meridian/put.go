package main

import (
	"context"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/spf13/cobra"
)

type putOpts struct {
	catalog, name, typ string
	meta, derived      []string
	activity           string
}

func newPutCmd() *cobra.Command {
	var o putOpts
	cmd := &cobra.Command{
		Use:   "put FILE",
		Short: "Publish a file (\"-\" for standard input) into a catalog and print its PID",
		Long: `Publish FILE into a catalog. The node encodes it, stores its shards, commits the record
and answers the PID, which is printed on stdout once checked here: the record must hash to the
PID and name the content CID, sha256 and size of the bytes sent (else exit code 6). Metadata, provenance (--derived-from, the PIDs
of the inputs, and --activity, how the file was made) and the media type go into the signed record.`,
		Example: `  meridian put scene.tif --catalog landsat5 --meta datetime=1990-05-01T00:00:00Z --meta bbox=120,21,122,25
  meridian put ndvi.tif --catalog derived --derived-from pid:bafy... --activity name=ndvi,software=gdal-3.8,band=4`,
		Args: usageArgs(cobra.ExactArgs(1)),
	}
	cf := addClientFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.catalog, "catalog", "", "catalog to publish into (required)")
	f.StringArrayVar(&o.meta, "meta", nil, "metadata key=value, repeatable (bbox=minx,miny,maxx,maxy; datetime=RFC3339)")
	f.StringArrayVar(&o.derived, "derived-from", nil, "PID of an input, repeatable")
	f.StringVar(&o.activity, "activity", "", "how it was made: name=N,software=S and any other key=value as parameters")
	f.StringVar(&o.typ, "type", "", "media type (default: guessed from the file extension, else application/octet-stream)")
	f.StringVar(&o.name, "name", "", "object name (default: the file's base name)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return runPut(cmd, cf, o, args[0]) }
	return cmd
}

func runPut(cmd *cobra.Command, cf *clientFlags, o putOpts, file string) error {
	if o.catalog == "" {
		return usageError{fmt.Errorf("--catalog is required: name the catalog to publish into ('meridian ls' lists them)")}
	}
	opts, err := o.putOptions(file)
	if err != nil {
		return usageError{err}
	}
	r, size, err := openInput(cmd, file)
	if err != nil {
		return err
	}
	defer r.Close()
	put := func(ctx context.Context, c *api.Client) (*api.Object, error) {
		if err := checkInputs(ctx, c, o.derived); err != nil {
			return nil, err
		}
		return putChecked(ctx, c, o.catalog, o.objectName(file), r, size, opts)
	}
	return transferAndShow(cmd, cf, "put", put, func(w io.Writer, obj *api.Object) error {
		_, err := fmt.Fprintln(w, obj.PID)
		return err
	})
}

// checkInputs refuses a --derived-from PID that is malformed or not published in this
// federation, before it is signed into the record for good (the node accepts any PID). An
// input the user may not read, or that no node could look up, does not stop the publish.
func checkInputs(ctx context.Context, c *api.Client, pids []string) error {
	for _, p := range pids {
		_, err := c.Object(ctx, p)
		switch errs.KindOf(err) {
		case errs.Invalid:
			return err
		case errs.NotExist:
			return errs.Errorf("put", errs.NotExist, "--derived-from %s is not published in this federation: check the PID ('meridian search' finds objects); the record would keep it for good", p)
		}
	}
	return nil
}

// putChecked publishes r and checks what the node committed against the bytes sent.
func putChecked(ctx context.Context, c *api.Client, catalog, name string, r io.Reader, size int64, opts []api.PutOption) (*api.Object, error) {
	cw := newCIDWriter()
	obj, err := c.Put(ctx, catalog, name, io.TeeReader(r, cw), size, opts...)
	id, cerr := cw.finish()
	if err != nil {
		return nil, err
	}
	if err := checkPublished(obj, id, cerr); err != nil {
		return nil, err
	}
	return obj, nil
}

// checkPublished checks what the node answered against the bytes sent: the record must
// hash to the PID it names and carry the content CID, sha256 and size computed here.
func checkPublished(obj *api.Object, id chunker.ContentID, cidErr error) error {
	const op = "put"
	if cidErr != nil {
		return errs.E(op, errs.Internal, cidErr)
	}
	if err := checkRecord(obj.PID, obj).err(op, obj.PID); err != nil {
		return err
	}
	if err := matchContent(obj.Record, id); err != nil {
		return errs.Errorf(op, errs.Corrupt, "the node committed %s but its record does not describe the bytes sent (%v); do not cite this PID, publish again through another node and tell the operators", obj.PID, err)
	}
	return nil
}

// openInput opens FILE ("-": the command's stdin) and returns its size (-1: unknown).
func openInput(cmd *cobra.Command, file string) (io.ReadCloser, int64, error) {
	if file == "-" {
		return io.NopCloser(cmd.InOrStdin()), -1, nil
	}
	fh, err := openFile("put", file)
	if err != nil {
		return nil, 0, err
	}
	st, err := fh.Stat()
	if err != nil || !st.Mode().IsRegular() {
		fh.Close()
		return nil, 0, errs.Errorf("put", errs.Invalid, "%s is not a regular file; pipe it with 'meridian put - --name N'", file)
	}
	return fh, st.Size(), nil
}

func (o putOpts) objectName(file string) string {
	if o.name != "" || file == "-" {
		return o.name
	}
	return filepath.Base(file)
}

// putOptions turns the flags into api.PutOptions; errors are usage errors.
func (o putOpts) putOptions(file string) ([]api.PutOption, error) {
	var opts []api.PutOption
	meta, err := parsePairs("--meta", o.meta)
	if err != nil {
		return nil, err
	}
	if err := checkMeta(meta); err != nil {
		return nil, err
	}
	for k, v := range meta {
		opts = append(opts, api.WithMeta(k, v))
	}
	if len(o.derived) > 0 {
		opts = append(opts, api.WithDerivedFrom(o.derived...))
	}
	if o.activity != "" {
		a, err := parseActivity(o.activity)
		if err != nil {
			return nil, err
		}
		opts = append(opts, api.WithActivity(a))
	}
	typ := o.typ
	if typ == "" && file != "-" {
		typ = mime.TypeByExtension(filepath.Ext(file))
	}
	if typ != "" {
		opts = append(opts, api.WithType(typ))
	}
	return opts, nil
}

// checkMeta refuses, before a byte is sent, the metadata a node refuses: "bbox" and
// "datetime" have fixed forms (pid.ValidateMeta), which search relies on.
func checkMeta(meta map[string]string) error {
	m := make(map[string]any, len(meta))
	for k, v := range meta {
		m[k] = v
	}
	err := pid.ValidateMeta(m)
	switch {
	case err == nil:
		return nil
	case strings.HasPrefix(err.Error(), "meta.datetime"):
		return fmt.Errorf("--meta datetime=%q: write an RFC 3339 time such as 2024-05-01T10:00:00Z, or an interval start/end (.. for an open end)", meta[pid.MetaDatetime])
	}
	return fmt.Errorf("--meta %s", strings.TrimPrefix(err.Error(), "meta."))
}

// parsePairs reads repeated key=value flags.
func parsePairs(flag string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: write key=value", flag, p)
		}
		out[k] = v
	}
	return out, nil
}

// parseActivity reads "name=N,software=S,k=v,...": name and software are fields, the other
// keys are parameters.
func parseActivity(s string) (api.Activity, error) {
	var a api.Activity
	kv, err := parsePairs("--activity", strings.Split(s, ","))
	if err != nil {
		return a, err
	}
	for k, v := range kv {
		switch k {
		case "name":
			a.Name = v
		case "software":
			a.Software = v
		default:
			if a.Params == nil {
				a.Params = map[string]string{}
			}
			a.Params[k] = v
		}
	}
	if a.Name == "" {
		return a, fmt.Errorf("--activity %q: name=... is required", s)
	}
	return a, nil
}
