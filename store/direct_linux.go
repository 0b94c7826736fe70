package store

import (
	"io"
	"os"
	"syscall"
)

func openDirect(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_DIRECT, 0o644)
}

func openDirectRead(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
}

// directBlock is a Block read with O_DIRECT: each ReadAt reads whole aligned 4 KiB blocks,
// straight into the caller's buffer where it is aligned and through a pooled bounce buffer
// where it is not (the head, the tail, an unaligned caller buffer).
type directBlock struct {
	f    *os.File
	fd   int
	size int64
}

func newDirectBlock(f *os.File, size int64) Block {
	return &directBlock{f: f, fd: int(f.Fd()), size: size}
}

func (b *directBlock) Close() error { return b.f.Close() }

// ReadAt implements io.ReaderAt.
func (b *directBlock) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	done := 0
	var bounce []byte
	for done < len(p) {
		pos := off + int64(done)
		if pos >= b.size {
			return done, io.EOF
		}
		if rest := p[done:]; pos%directAlign == 0 && len(rest) >= directAlign && isAligned(rest) {
			n, err := preadAligned(b.fd, rest[:len(rest)&^(directAlign-1)], pos)
			done += n
			if err != nil {
				return done, eofUnlessFull(err, done, len(p))
			}
			continue
		}
		if bounce == nil {
			bp := bouncePool.Get().(*[]byte)
			defer bouncePool.Put(bp)
			bounce = *bp
		}
		start := pos &^ (directAlign - 1)
		skip := int(pos - start)
		want := min(len(bounce), (skip+len(p)-done+directAlign-1)&^(directAlign-1))
		n, err := preadAligned(b.fd, bounce[:want], start)
		if n > skip {
			done += copy(p[done:], bounce[skip:n])
		}
		if err != nil {
			return done, eofUnlessFull(err, done, len(p))
		}
	}
	return done, nil
}

// preadAligned fills buf (aligned, a whole number of blocks) from offset off (aligned); it
// returns io.EOF with what it read when the file ends first.
func preadAligned(fd int, buf []byte, off int64) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := syscall.Pread(fd, buf[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
		if m == 0 || m%directAlign != 0 {
			if n < len(buf) {
				return n, io.EOF
			}
		}
	}
	return n, nil
}

// eofUnlessFull drops an io.EOF that came with every byte asked for.
func eofUnlessFull(err error, done, want int) error {
	if err == io.EOF && done == want {
		return nil
	}
	return err
}
