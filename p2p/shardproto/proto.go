// Package shardproto is the /meridian/shard/1.0.0 protocol: PUT, GET, HAS and DELETE of
// content-addressed shards between federation nodes, with every byte checked against its CID.
//
// Requests go one at a time on a stream: a server serves one request after another on the same
// stream until EOF, and the client keeps idle streams per peer and reuses them for PUT, GET and
// HAS (streampool.go; docs/p2p.md says why and when a stream is not reused). Requests and
// answers are wire frames; shard bodies follow their header frame as raw bytes of the stated
// length.
//
//	PUT    → TPut{cid, size} body      ← TOK | TError   (hashed while received, fsynced before TOK)
//	GET    → TGet{cid, off, len}       ← TData{n} body | TError   (len 0: to the end)
//	HAS    → THas{n, cid…}             ← THasRes{bitmap} | TError
//	DELETE → TDelete{cid}              ← TOK | TError   (only if the server's policy allows)
package shardproto

import (
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/meridian-fed/meridian/blockhash"
)

// ID is the protocol identifier.
const ID protocol.ID = "/meridian/shard/1.0.0"

// Defaults shared by client and server.
const (
	DefaultMaxShardSize = 32 << 20         // a shard body over this is refused
	DefaultMaxHas       = 1024             // CIDs per HAS request
	DefaultBaseTimeout  = 10 * time.Second // deadline for a request without a body
	DefaultMinRate      = 1 << 20          // bytes/s a body transfer may not fall below
	chunk               = 256 << 10        // body bytes hashed per read
	readBuf             = 4 << 10          // buffered reader for frames; bodies bypass it
)

// Limits bound what one request may cost. The zero value means the defaults.
type Limits struct {
	MaxShardSize int64         // largest body accepted or returned
	MaxHas       int           // largest HAS batch
	BaseTimeout  time.Duration // deadline for a request, before adding body time
	MinRate      int64         // slowest accepted body rate, in bytes/s
}

func (l Limits) withDefaults() Limits {
	if l.MaxShardSize <= 0 {
		l.MaxShardSize = DefaultMaxShardSize
	}
	if l.MaxHas <= 0 {
		l.MaxHas = DefaultMaxHas
	}
	if l.BaseTimeout <= 0 {
		l.BaseTimeout = DefaultBaseTimeout
	}
	if l.MinRate <= 0 {
		l.MinRate = DefaultMinRate
	}
	return l
}

// deadline is when a request moving size body bytes must be done.
func (l Limits) deadline(size int64) time.Time {
	return time.Now().Add(l.BaseTimeout + time.Duration(size*int64(time.Second)/l.MinRate))
}

// digester hashes bytes the way a CID names them (blake3, or sha2-256 for shards named
// before blake3), as they arrive.
type digester struct{ *blockhash.Digester }

func newDigester(c cid.Cid) (*digester, error) {
	d, err := blockhash.New("shardproto.verify", c)
	if err != nil {
		return nil, err
	}
	return &digester{d}, nil
}

func (d *digester) check(cid.Cid) error { return d.Check("shardproto.verify") }

// Verify checks that data hashes to c (blake3 or sha2-256): Invalid for a CID that cannot
// name a shard, Corrupt for a mismatch.
func Verify(c cid.Cid, data []byte) error {
	return blockhash.Verify("shardproto.verify", c, data)
}
