package node

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
)

// TestBuildRecordBadMetaIsInvalid: a malformed well-known meta value is the caller's mistake,
// so it must come back as Invalid (HTTP 400) naming the field and the form to use, not as an
// internal error (it was a 500 while Sign's errors were wrapped as Internal).
func TestBuildRecordBadMetaIsInvalid(t *testing.T) {
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{signKey: key, now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}
	data := []byte("content")
	res := &chunker.Result{ContentCID: testCID(0x55, "content"), SHA256: sha256.Sum256(data), Size: int64(len(data))}
	sub := api.Subject{Member: "aist", User: "u1"}
	for _, tc := range []struct{ key, value, want string }{
		{"datetime", "2024-05-01", "RFC 3339"},
		{"bbox", "5.9,45.8,10.5", "west,south,east,north"},
	} {
		req := api.PublishRequest{Catalog: "landsat", Name: "b4.tif", Meta: map[string]string{tc.key: tc.value}}
		_, err := n.buildRecord(sub, req, res)
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("meta.%s=%q: kind %v, want invalid: %v", tc.key, tc.value, errs.KindOf(err), err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "meta."+tc.key) || !strings.Contains(msg, tc.want) {
			t.Errorf("meta.%s=%q: message %q does not name the field and its form", tc.key, tc.value, msg)
		}
	}
	req := api.PublishRequest{Catalog: "landsat", Name: "b4.tif", Meta: map[string]string{"datetime": "2024-05-01T00:00:00Z"}}
	rec, err := n.buildRecord(sub, req, res)
	if err != nil {
		t.Fatalf("good meta refused: %v", err)
	}
	if err := rec.Verify(); err != nil {
		t.Fatalf("built record does not verify: %v", err)
	}
}
