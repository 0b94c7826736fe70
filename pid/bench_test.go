package pid

import "testing"

func BenchmarkEncode(b *testing.B) {
	r := sample(b)
	for b.Loop() {
		if _, err := r.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	enc, err := sample(b).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPID(b *testing.B) {
	r := sample(b)
	for b.Loop() {
		if _, err := r.PID(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRecord(b *testing.B) {
	r := sample(b)
	enc, _ := r.Encode()
	p, _ := r.PID()
	for b.Loop() {
		if _, err := VerifyRecord(p, enc); err != nil {
			b.Fatal(err)
		}
	}
}
