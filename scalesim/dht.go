package scalesim

import "context"

// DHTOptions set the DHT part of a run.
type DHTOptions struct{}

// DHTReport is the DHT part of a run.
type DHTReport struct{}

// RunDHT is filled in below.
func RunDHT(ctx context.Context, f *Fed, o DHTOptions) (*DHTReport, error) { return nil, nil }
