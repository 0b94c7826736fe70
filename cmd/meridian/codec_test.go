package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/errs"
)

func TestCodecDemoRoundTrip(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	o := codecOpts{k: 3, m: 2, lose: 2, stripe: "1MiB", size: "3MiB", dir: dir, out: filepath.Join(dir, "decoded")}
	if err := runCodec(context.Background(), &out, o, nil); err != nil {
		t.Fatalf("codec demo: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "verified  content CID bafy") {
		t.Fatalf("summary lacks the verified CID:\n%s", out.String())
	}
	decoded, err := os.ReadFile(o.out)
	if err != nil || len(decoded) != 3<<20 {
		t.Fatalf("decoded file: %d bytes, %v", len(decoded), err)
	}
	id, err := contentIDOf(o.out)
	if err != nil || !strings.Contains(out.String(), id.CID.String()) {
		t.Fatalf("meridian cid of the decoded file %v does not match the summary: %v", id.CID, err)
	}
}

func TestCodecTooManyLossesExitsUnavailable(t *testing.T) {
	var out bytes.Buffer
	o := codecOpts{k: 3, m: 2, lose: 3, stripe: "1MiB", size: "2MiB"}
	err := runCodec(context.Background(), &out, o, nil)
	if !errs.Is(err, errs.Unavailable) || exitCode(err) != exitUnavailable || !strings.Contains(err.Error(), "stripe ") {
		t.Fatalf("got %v (exit %d), want an Unavailable error naming a stripe", err, exitCode(err))
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4MiB": 4 << 20, "4194304": 4 << 20, "512k": 512 << 10, "1 GiB": 1 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := parseSize("lots"); err == nil {
		t.Error("parseSize accepted junk")
	}
}
