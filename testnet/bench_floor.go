package testnet

import (
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/salsa20"
)

// Floor is the CPU the design's own per-byte work costs, priced at the one-core rates measured
// in the same run: no implementation of the design can spend less on this machine, whatever
// it does about copies, system calls, disks and scheduling. Passes count bytes processed per
// byte of the object.
type Floor struct {
	SHA256, BLAKE3, AESGCM, Transport float64 // passes per object byte; Transport is shard traffic
	CPUPerGB                          float64 // CPU seconds per GB of the object
	MaxMBs                            float64 // the rate that leaves on all the machine's cores
}

// remoteShare is how many bytes of shards cross the network per object byte when one node
// publishes (all k+m shards) or reads (k shards): placement puts a stripe's shards on distinct
// nodes, so the node itself holds (k+m)/nodes of them on average and uses its own.
func (r *BenchReport) remoteShare(shards int) float64 {
	local := float64(r.K+r.M) / float64(max(r.Nodes, r.K+r.M))
	return (float64(shards) - local) / float64(r.K)
}

// PutFloor prices a publish: the content CID's leaves and the whole-content sha256 (DESIGN
// "Write and read paths" step 1), the k+m blake3 shard CIDs, every receiving holder hashing
// its shard again (blake3) before it acks, one AES-GCM pass, and the shard traffic encrypted
// and decrypted by noise (ChaCha20-Poly1305) at both ends; no pnet since issue 12.
func (r *BenchReport) PutFloor(cores int) Floor {
	remote := r.remoteShare(r.K + r.M)
	f := Floor{SHA256: 2, BLAKE3: float64(r.K+r.M)/float64(r.K) + remote, AESGCM: 1, Transport: remote}
	return r.price(f, cores)
}

// GetFloor prices a whole read: each of the k shards checked against its blake3 CID, the
// content CID's sha256 leaves, the client's sha256 against Repr-Digest (the benchmark's client
// runs on this machine), one AES-GCM pass, and the remote shards through noise at both ends.
func (r *BenchReport) GetFloor(cores int) Floor {
	remote := r.remoteShare(r.K)
	f := Floor{SHA256: 2, BLAKE3: 1, AESGCM: 1, Transport: remote}
	return r.price(f, cores)
}

func (r *BenchReport) price(f Floor, cores int) Floor {
	l := r.Limits
	if l.SHA256MBs <= 0 || l.BLAKE3MBs <= 0 || l.AESGCMMBs <= 0 || l.ChaChaPolyMBs <= 0 {
		return f
	}
	perMB := f.SHA256/l.SHA256MBs + f.BLAKE3/l.BLAKE3MBs + f.AESGCM/l.AESGCMMBs +
		2*f.Transport/l.ChaChaPolyMBs // seconds per MB
	f.CPUPerGB = perMB * 1e3
	f.MaxMBs = float64(cores) / perMB
	return f
}

// cipherRates measures one core of XSalsa20 (what go-libp2p's pnet runs) and
// ChaCha20-Poly1305 (noise's cipher) over buf.
func cipherRates(buf []byte) (xsalsa, chachapoly float64) {
	var key [32]byte
	copy(key[:], buf)
	out := make([]byte, len(buf)+16)
	xsalsa = rate(func() {
		for range limitBytes / len(buf) {
			salsa20.XORKeyStream(out[:len(buf)], buf, buf[:24], &key)
		}
	})
	aead, _ := chacha20poly1305.New(key[:])
	chachapoly = rate(func() {
		for range limitBytes / len(buf) {
			aead.Seal(out[:0], buf[:aead.NonceSize()], buf, nil)
		}
	})
	return xsalsa, chachapoly
}
