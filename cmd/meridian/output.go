package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/meridian-fed/meridian/errs"
)

// outputFile is where get writes: committed when the download verified, else aborted.
type outputFile interface {
	io.Writer
	commit() error
	abort()
}

// fileOutput writes to a temporary file beside the target and renames it into place on
// commit, so a failed or corrupt download never leaves bytes under the target's name and
// never replaces an existing file.
type fileOutput struct {
	*os.File
	target string
}

// createOutput checks target before anything is downloaded: a directory, or a directory
// that does not exist or is not writable, would otherwise fail only at the end. A target that
// exists and is not a regular file (/dev/null, a FIFO, a terminal) is written in place: renaming
// a temporary file over it would replace the device with a file.
func createOutput(target string) (outputFile, error) {
	const op = "get"
	st, err := os.Stat(target)
	if err == nil && st.IsDir() {
		return nil, errs.Errorf(op, errs.Invalid, "-o %s is a directory: give a file name, e.g. -o %s", target, filepath.Join(target, "NAME"))
	}
	if err == nil && !st.Mode().IsRegular() {
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, errs.Errorf(op, errs.Invalid, "cannot write %s: %v", target, err)
		}
		return deviceOutput{f}, nil
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.part")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, errs.Errorf(op, errs.Invalid, "cannot write %s: directory %s: %v", target, dir, err)
	}
	return &fileOutput{File: f, target: target}, nil
}

func (o *fileOutput) commit() error {
	const op = "get"
	err := o.Chmod(0o644)
	if err == nil {
		err = o.Sync()
	}
	if cerr := o.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.Name(), o.target)
	}
	if err != nil {
		os.Remove(o.Name())
		return errs.E(op, errs.NoSpace, err)
	}
	return nil
}

func (o *fileOutput) abort() {
	o.Close()
	os.Remove(o.Name())
}

// deviceOutput writes straight into a target that is not a regular file. What it wrote
// cannot be taken back on abort; the exit code still says the download failed.
type deviceOutput struct{ *os.File }

func (o deviceOutput) commit() error {
	if err := o.Close(); err != nil {
		return errs.E("get", errs.NoSpace, err)
	}
	return nil
}

func (o deviceOutput) abort() { o.Close() }

// openFile opens a local file to read; a missing one is NotExist, any other failure Invalid.
func openFile(op, name string) (*os.File, error) {
	f, err := os.Open(name)
	switch {
	case err == nil:
		return f, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, errs.Errorf(op, errs.NotExist, "%s does not exist: check the path", name)
	case errors.Is(err, fs.ErrPermission):
		return nil, errs.Errorf(op, errs.Invalid, "you may not read %s: make it readable (chmod u+r %s) or run as a user who can read it", name, name)
	}
	return nil, errs.E(op, errs.Invalid, err)
}
