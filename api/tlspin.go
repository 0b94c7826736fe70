package api

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/meridian-fed/meridian/errs"
)

// PinPrefix starts every certificate pin.
const PinPrefix = "sha256:"

// Pin returns the public-key pin of cert: "sha256:" and the hex sha256 of its
// SubjectPublicKeyInfo (what `openssl x509 -pubkey | openssl pkey -pubin -outform der |
// sha256sum` prints, and HPKP pinned). A certificate renewed with the same key keeps its pin.
func Pin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return PinPrefix + hex.EncodeToString(sum[:])
}

// ParsePin checks that s is a pin as Pin writes it and returns it in canonical (lower case)
// form.
func ParsePin(s string) (string, error) {
	p := strings.ToLower(strings.TrimSpace(s))
	h, ok := strings.CutPrefix(p, PinPrefix)
	if b, err := hex.DecodeString(h); !ok || err != nil || len(b) != sha256.Size {
		return "", errs.Errorf("api.ParsePin", errs.Invalid, "pin %q is not sha256:<64 hex digits>; copy it from 'meridian node pin' or 'meridian testnet up'", s)
	}
	return p, nil
}

// UntrustedCertError is the error of a TLS handshake with a node whose certificate is neither
// pinned nor signed by a trusted CA. Nothing was sent to that node.
type UntrustedCertError struct {
	Host   string // as the client addressed it
	Pin    string // the pin of the certificate the node presented
	Reason string // why the CA check failed
}

func (e *UntrustedCertError) Error() string {
	return fmt.Sprintf("node %s presents a certificate (pin %s) that is neither pinned nor signed by a trusted CA (%s): "+
		"if this is your federation's node, add its pin to \"pins\" in the client config or pass --pin (the node's operator reads it with 'meridian node pin'), "+
		"or set \"ca_file\" to the CA that signed an operator certificate", e.Host, e.Pin, e.Reason)
}

// TLSTrust says which node certificates a client accepts: a certificate whose public-key pin
// is in Pins, or one that chains to RootCAs (nil: the system's roots) for the host name the
// client dialled.
type TLSTrust struct {
	Pins    []string
	RootCAs *x509.CertPool
}

// LoadCAFile reads PEM certificates from path into a pool.
func LoadCAFile(path string) (*x509.CertPool, error) {
	const op = "api.LoadCAFile"
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errs.Errorf(op, errs.Invalid, "ca_file: %v; point it at a PEM file of CA certificates", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errs.Errorf(op, errs.Invalid, "ca_file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// WithTLS makes the client verify nodes by trust (see TLSTrust). Pins it learns later from
// the catalog (LearnPins) are added to the same set. Without this option a client trusts
// the system's CA roots only.
func WithTLS(trust TLSTrust) Option {
	return func(c *Client) {
		ps := newPinSet(trust.RootCAs)
		for _, p := range trust.Pins {
			if q, err := ParsePin(p); err == nil {
				ps.pins[q] = true
			} else {
				c.optErr = err
			}
		}
		c.trust = ps
	}
}
