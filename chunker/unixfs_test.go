package chunker

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// treeCID builds a CID with TreeBuilder from leaves of the given size.
func treeCID(t testing.TB, r io.Reader, leaf, maxLinks int) string {
	t.Helper()
	tb := NewTreeBuilder(maxLinks)
	buf := make([]byte, leaf)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			tb.AddLeaf(sha256.Sum256(buf[:n]), n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return tb.Root().String()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestTreeBuilderMatchesBoxo compares the streaming builder with boxo's importer on small leaves
// and few links, which reach trees of depth 1 to 4 and every partial-node case cheaply.
func TestTreeBuilderMatchesBoxo(t *testing.T) {
	for _, maxLinks := range []int{2, 3, 4, 7} {
		for leaves := 0; leaves <= 70; leaves++ {
			for _, extra := range []int{0, 1, 63} {
				size := int64(leaves*64 + extra)
				want := boxoCID(t, genReader(uint64(size), size), 64, maxLinks).String()
				got := treeCID(t, genReader(uint64(size), size), 64, maxLinks)
				if got != want {
					t.Fatalf("maxLinks=%d size=%d: got %s, boxo %s", maxLinks, size, got, want)
				}
			}
		}
	}
}

// goldenSizes are the content-CID vectors: empty, small, around the 1 MiB leaf boundary and
// a few leaves. The >1 GiB shape (depth 2) is TestIntegrationContentCIDLarge.
var goldenSizes = []int64{0, 1, 1000, LeafSize - 1, LeafSize, LeafSize + 1, 2 * LeafSize,
	3*LeafSize + 12345, 5 * LeafSize}

// TestContentCIDGolden checks ComputeContentID against boxo and against testdata/content_cid.golden
// (regenerate with -update). The empty file is kubo's known vector.
func TestContentCIDGolden(t *testing.T) {
	var b strings.Builder
	for _, size := range goldenSizes {
		id, err := ComputeContentID(genReader(7, size))
		if err != nil {
			t.Fatal(err)
		}
		if want := boxoCID(t, genReader(7, size), LeafSize, MaxLinks); id.CID != want {
			t.Fatalf("size %d: got %s, boxo %s", size, id.CID, want)
		}
		if id.Size != size {
			t.Fatalf("size %d: got size %d", size, id.Size)
		}
		fmt.Fprintf(&b, "%d %s %s\n", size, id.CID, hex.EncodeToString(id.SHA256[:]))
	}
	checkGolden(t, "content_cid.golden", []byte(b.String()))
}

func TestContentCIDEmptyIsKuboVector(t *testing.T) {
	id, err := ComputeContentID(bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := id.CID.String(); got != "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku" {
		t.Fatalf("empty file CID %s", got)
	}
}

// checkGolden compares got with testdata/name, or rewrites the file under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from golden file %s:\n%s", t.Name(), path, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	ws, gs := bufio.NewScanner(bytes.NewReader(want)), bufio.NewScanner(bytes.NewReader(got))
	for i := 1; ; i++ {
		w, g := ws.Scan(), gs.Scan()
		if !w && !g {
			return "(same lines; bytes differ)"
		}
		if ws.Text() != gs.Text() || w != g {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i, ws.Text(), gs.Text())
		}
	}
}
