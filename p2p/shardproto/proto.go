// Package shardproto is the /meridian/shard/1.0.0 protocol: PUT, GET, HAS and DELETE of
// content-addressed shards between federation nodes, with every byte checked against its CID.
//
// One request per stream (a server also serves further requests on the same stream until EOF,
// so a client may reuse streams; see docs/p2p.md for why ours does not). Requests and answers
// are wire frames; shard bodies follow their header frame as raw bytes of the stated length.
//
//	PUT    → TPut{cid, size} body      ← TOK | TError   (hashed while received, fsynced before TOK)
//	GET    → TGet{cid, off, len}       ← TData{n} body | TError   (len 0: to the end)
//	HAS    → THas{n, cid…}             ← THasRes{bitmap} | TError
//	DELETE → TDelete{cid}              ← TOK | TError   (only if the server's policy allows)
package shardproto

import (
	"bytes"
	"hash"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/meridian-fed/meridian/errs"
	"github.com/multiformats/go-multihash"
	mhcore "github.com/multiformats/go-multihash/core"
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

// digester hashes bytes the way a CID names them.
type digester struct {
	h    hash.Hash
	want []byte
}

func newDigester(c cid.Cid) (*digester, error) {
	const op = "shardproto.verify"
	dm, err := multihash.Decode(c.Hash())
	if err != nil {
		return nil, errs.E(op, errs.Invalid, err)
	}
	h, err := mhcore.GetHasher(dm.Code)
	if err != nil || h.Size() != dm.Length {
		return nil, errs.Errorf(op, errs.Invalid, "unsupported multihash %s/%d in %s; shards use sha2-256", dm.Name, dm.Length, c)
	}
	return &digester{h: h, want: dm.Digest}, nil
}

func (d *digester) Write(p []byte) { d.h.Write(p) }

func (d *digester) check(c cid.Cid) error {
	if !bytes.Equal(d.h.Sum(nil), d.want) {
		return errs.Errorf("shardproto.verify", errs.Corrupt, "bytes do not hash to %s", c)
	}
	return nil
}

// Verify checks that data hashes to c.
func Verify(c cid.Cid, data []byte) error {
	d, err := newDigester(c)
	if err != nil {
		return err
	}
	d.Write(data)
	return d.check(c)
}
