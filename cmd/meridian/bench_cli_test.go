package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/meridian-fed/meridian/api"
)

// BenchmarkGet measures what verifying a whole download here costs: "verified" is what
// 'meridian get' does (record check, content CID and sha256 alongside), "plain" is the API
// client alone (sha256 against the node's digest), both over loopback HTTP from a fake node.
func BenchmarkGet(b *testing.B) {
	e := newCLIEnv(b)
	data := testData(64<<20, 9)
	obj, err := e.f.Publish(context.Background(), api.Subject{Member: "aist", User: "root", Roles: []string{"publish"}},
		api.PublishRequest{Catalog: "open", Name: "big"}, bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	c, err := api.NewClient([]string{e.url}, "admin")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("verified", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var res getResult
			if err := getVerified(context.Background(), c, obj.PID, io.Discard, &res); err != nil || !res.Verified {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := c.Get(context.Background(), obj.PID, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
