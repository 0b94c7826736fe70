package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/spf13/cobra"
)

type codecOpts struct {
	k, m, lose int
	stripe     string
	dir, out   string
	size       string
}

func newCodecCmd() *cobra.Command {
	o := codecOpts{}
	cmd := &cobra.Command{
		Use:   "codec [FILE]",
		Short: "Encode a file into a shard directory, lose shards, decode it back and verify",
		Long: `Encode FILE (or, with no FILE, a generated demo object) the way a node stores objects:
stripes compressed with zstd, encrypted with AES-256-GCM, Reed-Solomon coded into k+m shards,
each shard a file named by its CID in DIR/shards, plus DIR/manifest.cbor and DIR/key.
Then delete --lose shards of every stripe, decode from what is left, and check the bytes
against the content CID and sha256. Exit code 5 when too many shards were lost.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCodec(cmd.Context(), cmd.OutOrStdout(), o, args)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.k, "k", 3, "data shards per stripe")
	f.IntVar(&o.m, "m", 2, "parity shards per stripe")
	f.StringVar(&o.stripe, "stripe-size", "4MiB", "plaintext bytes per stripe: 64KiB, 128KiB, 256KiB, 512KiB or a multiple of 1MiB")
	f.IntVar(&o.lose, "lose", 2, "shards to delete per stripe before decoding (more than m must fail)")
	f.StringVar(&o.dir, "dir", "", "shard directory to write and keep (default: a temporary one, removed)")
	f.StringVar(&o.out, "out", "", "also write the decoded bytes to this file")
	f.StringVar(&o.size, "size", "20MiB", "size of the generated demo object when no FILE is given")
	return cmd
}

func runCodec(ctx context.Context, w io.Writer, o codecOpts, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	stripe, err := parseSize(o.stripe)
	if err != nil {
		return usageError{err}
	}
	p := chunker.Params{K: o.k, M: o.m, StripeSize: int(stripe)}
	if err := p.Validate(); err != nil {
		return err
	}
	if o.lose < 0 || o.lose > o.k+o.m {
		return usageError{fmt.Errorf("--lose %d: give 0 to %d", o.lose, o.k+o.m)}
	}
	src, name, err := codecInput(o, args)
	if err != nil {
		return err
	}
	defer src.Close()
	dir, cleanup, err := shardDir(o.dir)
	if err != nil {
		return err
	}
	defer cleanup()
	return codecRoundTrip(ctx, w, o, p, src, name, dir)
}

// codecInput opens FILE, or a generated demo object: half pseudo-random, half text.
func codecInput(o codecOpts, args []string) (io.ReadCloser, string, error) {
	if len(args) == 1 {
		f, err := os.Open(args[0])
		if err != nil {
			return nil, "", errs.E("codec", errs.NotExist, err)
		}
		return f, args[0], nil
	}
	n, err := parseSize(o.size)
	if err != nil {
		return nil, "", usageError{err}
	}
	random := io.LimitReader(rand.NewChaCha8([32]byte{'m', 'e', 'r', 'i', 'd', 'i', 'a', 'n'}), n/2)
	text := io.LimitReader(&textReader{}, n-n/2)
	var r io.Reader = io.MultiReader(random, text)
	if n <= 256<<20 { // generate up front so the rates printed are the codec's, not the generator's
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, "", err
		}
		r = bytes.NewReader(b)
	}
	return io.NopCloser(r), fmt.Sprintf("demo object (%s: half random, half text)", o.size), nil
}

// textReader yields endless log-like text, which compresses well.
type textReader struct {
	line int
	buf  []byte
}

func (t *textReader) Read(p []byte) (int, error) {
	for len(t.buf) < len(p) {
		t.line++
		t.buf = fmt.Appendf(t.buf, "%08d 2026-11-22T04:%02d:%02dZ node-%d stored stripe %d of object %x\n",
			t.line, t.line/60%60, t.line%60, t.line%5, t.line%97, t.line*2654435761)
	}
	n := copy(p, t.buf)
	t.buf = t.buf[n:]
	return n, nil
}

func shardDir(dir string) (string, func(), error) {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "meridian-codec-")
		if err != nil {
			return "", nil, errs.E("codec", errs.Unavailable, err)
		}
		return tmp, func() { os.RemoveAll(tmp) }, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "shards"), 0o755); err != nil {
		return "", nil, errs.E("codec", errs.Unavailable, err)
	}
	return dir, func() {}, nil
}

func codecRoundTrip(ctx context.Context, w io.Writer, o codecOpts, p chunker.Params, src io.Reader, name, dir string) error {
	dek, err := chunker.NewDEK()
	if err != nil {
		return err
	}
	store := dirStore{dir: filepath.Join(dir, "shards")}
	if err := os.MkdirAll(store.dir, 0o755); err != nil {
		return errs.E("codec", errs.Unavailable, err)
	}
	start := time.Now()
	res, err := chunker.Encode(ctx, src, p, dek, store.put)
	if err != nil {
		return err
	}
	encTime := time.Since(start)
	if err := writeCodecFiles(dir, res, dek); err != nil {
		return err
	}
	stored, err := store.lose(res.Manifest, o.lose)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "input     %s\nencoded   %d bytes in %d stripes as %d+%d shards into %s\n",
		name, res.Size, len(res.Manifest.Stripes), p.K, p.M, dir)
	fmt.Fprintf(w, "stored    %d bytes (%.2f× the input) in %s at %s\n",
		stored.total, ratio(stored.total, res.Size), encTime.Round(time.Millisecond), rate(res.Size, encTime))
	fmt.Fprintf(w, "lost      %d shards per stripe (%d shard files deleted)\n", o.lose, stored.deleted)
	start = time.Now()
	got, err := decodeAndCheck(ctx, res, dek, store, o.out)
	if err != nil {
		return err
	}
	decTime := time.Since(start)
	fmt.Fprintf(w, "decoded   %d bytes in %s at %s\n", got.Size, decTime.Round(time.Millisecond), rate(got.Size, decTime))
	fmt.Fprintf(w, "verified  content CID %s\n          sha256 %s\n          manifest CID %s\n",
		got.CID, hex.EncodeToString(got.SHA256[:]), res.ManifestCID)
	return nil
}

func writeCodecFiles(dir string, res *chunker.Result, dek []byte) error {
	if err := os.WriteFile(filepath.Join(dir, "manifest.cbor"), res.ManifestBytes, 0o644); err != nil {
		return errs.E("codec", errs.Unavailable, err)
	}
	// A demo convenience: a node never stores the key beside the shards (see docs/chunker.md).
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(hex.EncodeToString(dek)+"\n"), 0o600); err != nil {
		return errs.E("codec", errs.Unavailable, err)
	}
	return nil
}

// decodeAndCheck decodes the whole object and recomputes its content CID independently.
func decodeAndCheck(ctx context.Context, res *chunker.Result, dek []byte, store dirStore, out string) (chunker.ContentID, error) {
	pr, pw := io.Pipe()
	var dst io.Writer = pw
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return chunker.ContentID{}, errs.E("codec", errs.Invalid, err)
		}
		defer f.Close()
		dst = io.MultiWriter(pw, f)
	}
	done := make(chan error, 1)
	go func() {
		err := chunker.Decode(ctx, res.Manifest, dek, store, dst, 0, -1)
		pw.CloseWithError(err)
		done <- err
	}()
	id, err := chunker.ComputeContentID(pr)
	pr.CloseWithError(io.ErrClosedPipe)
	if derr := <-done; derr != nil {
		return id, derr // the decoder's own error, with its kind
	}
	if err != nil {
		return id, err
	}
	if id.CID != res.ContentCID || id.SHA256 != res.SHA256 {
		return id, errs.Errorf("codec", errs.Corrupt, "decoded bytes have content CID %s, want %s", id.CID, res.ContentCID)
	}
	return id, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func rate(n int64, d time.Duration) string {
	return fmt.Sprintf("%.0f MB/s", float64(n)/1e6/max(d.Seconds(), 1e-9))
}

// parseSize reads "4194304", "4MiB", "512KiB", "1GiB" (also "4M", "4MB" as MiB).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mul    int64
	}{{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10},
		{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1}}
	t := strings.ToLower(strings.TrimSpace(s))
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mul = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: use bytes or a number with KiB, MiB or GiB", s)
	}
	return n * mul, nil
}
