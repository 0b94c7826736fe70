package chunker

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"testing"

	"github.com/klauspost/reedsolomon"
)

// BenchmarkStage measures each stage of the pipeline alone on one core and one 4 MiB stripe, to
// compare with BenchmarkEncode and BenchmarkDecode (which run them on every core).
func BenchmarkStage(b *testing.B) {
	const n = 4 << 20
	random, text := readAllGen(b, 2, n), textData(n)
	stage := func(name string, in []byte, f func([]byte)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				f(in)
			}
		})
	}
	dst := make([]byte, 0, 2*n)
	stage("memcpy", random, func(in []byte) { dst = append(dst[:0], in...) })
	stage("sha256", random, func(in []byte) { sha256.Sum256(in) })
	stage("zstd-incompressible", random, func(in []byte) { dst = zenc().EncodeAll(in, dst[:0]) })
	stage("zstd-compressible", text, func(in []byte) { dst = zenc().EncodeAll(in, dst[:0]) })
	comp := zenc().EncodeAll(text, nil)
	out := make([]byte, 0, n)
	b.Run("unzstd-compressible", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			out, _ = zdec().DecodeAll(comp, out[:0])
		}
	})
	block, _ := aes.NewCipher(make([]byte, 32))
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, 12)
	stage("aes-256-gcm", random, func(in []byte) { dst = gcm.Seal(dst[:0], nonce, in, nil) })
	rs, _ := reedsolomon.New(3, 2, reedsolomon.WithMaxGoroutines(1))
	shards, _ := rs.Split(append([]byte(nil), random...))
	stage("rs-3+2-encode", random, func([]byte) { _ = rs.Encode(shards) })
	stage("rs-3+2-rebuild-2", random, func([]byte) {
		shards[0], shards[3] = shards[0][:0], shards[3][:0]
		_ = rs.ReconstructData(shards)
	})
}
