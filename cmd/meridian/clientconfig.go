package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/meridian-fed/meridian/errs"
)

// clientConfig is what the client commands read to find the federation: endpoints in
// failover order and a bearer token. `meridian testnet up` writes one; users write their own.
//
// Nodes serve HTTPS: the client accepts a node whose certificate's public-key pin is in Pins
// (it learns the other nodes' pins from the catalog of a pinned node), or whose certificate
// chains to the CA in CAFile or the system's roots (operator certificates).
type clientConfig struct {
	Endpoints []string `json:"endpoints"`
	Token     string   `json:"token,omitempty"`
	Pins      []string `json:"pins,omitempty"`    // "sha256:<hex>" (meridian node pin)
	CAFile    string   `json:"ca_file,omitempty"` // PEM CA certificates of operator certificates
}

// defaultClientConfigPath is $MERIDIAN_CONFIG, else $XDG_CONFIG_HOME/meridian/client.json
// (~/.config/meridian/client.json).
func defaultClientConfigPath() string {
	if p := os.Getenv("MERIDIAN_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "meridian", "client.json")
}

func loadClientConfig(path string) (*clientConfig, error) {
	const op = "meridian.clientConfig"
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, errs.Errorf(op, errs.NotExist, "no client config at %s: start a local federation with 'meridian testnet up', or pass --endpoint and --token", path)
	}
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	var c clientConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, errs.Errorf(op, errs.Invalid, "%s: %v; fix the JSON or write it again with 'meridian testnet up'", path, err)
	}
	return &c, nil
}

func writeClientConfig(path string, c *clientConfig) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return errs.E("meridian.clientConfig", errs.Unavailable, err)
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
