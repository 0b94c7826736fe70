//go:build !linux

package store

import "os"

func openDirect(string) (*os.File, error) { return nil, errNoDirect }
