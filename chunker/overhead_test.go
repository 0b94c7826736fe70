package chunker

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

// imagery is a noisy, smooth synthetic raster (like a satellite band), encoded as PNG or JPEG.
func imagery(t testing.TB, format string) []byte {
	t.Helper()
	const w, h = 1600, 1200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(7, 7))
	for y := range h {
		for x := range w {
			v := uint8((x*x/w + y/3 + rng.IntN(24)) % 256)
			img.Set(x, y, color.RGBA{v, uint8(int(v) * 3 / 4), uint8(255 - int(v)), 255})
		}
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestStorageOverhead measures bytes stored / bytes in (shards only; the manifest is listed
// apart) and logs the table that docs/chunker.md quotes (go test -run StorageOverhead -v).
func TestStorageOverhead(t *testing.T) {
	inputs := []struct {
		name string
		data []byte
	}{
		{"incompressible (random)", readAllGen(t, 3, 8<<20)},
		{"compressible text (CSV-like)", textData(8 << 20)},
		{"PNG imagery", imagery(t, "png")},
		{"JPEG imagery", imagery(t, "jpeg")},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| data | bytes in | 3+2 | 4+2 | 10+4 | manifest (3+2) |\n|---|---|---|---|---|---|\n")
	for _, in := range inputs {
		fmt.Fprintf(&table, "| %s | %d |", in.name, len(in.data))
		var manifest int
		for _, km := range [][2]int{{3, 2}, {4, 2}, {10, 4}} {
			p := Params{K: km[0], M: km[1], StripeSize: 4 << 20}
			var stored atomic.Int64
			put := func(_ context.Context, s *EncodedStripe) error {
				for _, sh := range s.Shards {
					stored.Add(int64(len(sh)))
				}
				return nil
			}
			res, err := Encode(context.Background(), bytes.NewReader(in.data), p, testDEK(t), put)
			if err != nil {
				t.Fatal(err)
			}
			if km[0] == 3 {
				manifest = len(res.ManifestBytes)
			}
			ratio, raw := float64(stored.Load())/float64(len(in.data)), float64(p.K+p.M)/float64(p.K)
			checkOverhead(t, in.name, p, ratio, raw)
			fmt.Fprintf(&table, " %.3f |", ratio)
		}
		fmt.Fprintf(&table, " %d B |\n", manifest)
	}
	t.Logf("bytes stored / bytes in:\n%s", table.String())
}

// checkOverhead: nothing stores more than (k+m)/k plus padding and tags; text must compress.
func checkOverhead(t *testing.T, name string, p Params, ratio, raw float64) {
	t.Helper()
	if ratio > raw*1.001 {
		t.Errorf("%s at %d+%d: ratio %.4f exceeds (k+m)/k = %.4f", name, p.K, p.M, ratio, raw)
	}
	if strings.HasPrefix(name, "compressible") && ratio > raw/2 {
		t.Errorf("%s at %d+%d: ratio %.4f, text should compress at least 2×", name, p.K, p.M, ratio)
	}
}
