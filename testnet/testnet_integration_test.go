//go:build integration

package testnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"
)

func TestIntegrationPutGetAcrossNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Dir: t.TempDir(), StripeSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := make([]byte, 5<<20+123)
	rand.Read(data)
	obj, err := c.Client(0).Put(ctx, "default", "blob.bin", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := c.Client(3).Get(ctx, obj.PID, &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("node 3 returned %d bytes, not the %d published", got.Len(), len(data))
	}
}
