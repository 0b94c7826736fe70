//go:build !linux

package store

import "os"

func openDirect(string) (*os.File, error) { return nil, errNoDirect }

func openDirectRead(string) (*os.File, error) { return nil, errNoDirect }

func newDirectBlock(f *os.File, _ int64) Block { return f }
