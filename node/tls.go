package node

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

// Files of the self-signed API certificate in the data dir. The key is created once and kept:
// its pin (api.Pin) is what the catalog records and clients pin, so a certificate reissued
// with the same key (new host names, near expiry) keeps the pin.
const (
	TLSKeyFile  = "api-tls.key"
	TLSCertFile = "api-tls.crt"
)

const (
	selfSignedValidity = 10 * 365 * 24 * time.Hour
	renewBefore        = 30 * 24 * time.Hour
)

// apiTLS is how the node serves its API.
type apiTLS struct {
	mode string           // "self-signed", "operator" or "plain-http"
	cert *tls.Certificate // nil for plain-http
	leaf *x509.Certificate
}

func (t *apiTLS) pin() string {
	if t == nil || t.leaf == nil {
		return ""
	}
	return api.Pin(t.leaf)
}

func (t *apiTLS) status() *api.TLSStatus {
	if t == nil {
		return nil // the API is not open yet
	}
	st := &api.TLSStatus{Mode: t.mode, Pin: t.pin()}
	if t.leaf != nil {
		st.NotAfter = t.leaf.NotAfter.UTC().Format(time.RFC3339)
	}
	return st
}

// serverConfig serves HTTP/1.1 only: Go's HTTP/2 flow-control windows slow single large
// transfers, which are the API's main load.
func (t *apiTLS) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{*t.cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
}

// loadAPITLS picks the API's TLS from the config: plain HTTP when asked for explicitly, the
// operator's certificate when given, else the data dir's self-signed one (created or renewed
// as needed) for the given host names and addresses.
func loadAPITLS(cfg *Config, hosts []string, now time.Time) (*apiTLS, error) {
	switch {
	case cfg.InsecurePlainHTTP:
		return &apiTLS{mode: "plain-http"}, nil
	case cfg.TLSCert != "":
		c, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, errs.Errorf("node.loadAPITLS", errs.Invalid, "tls_cert/tls_key: %v; give a PEM certificate chain and its private key", err)
		}
		return &apiTLS{mode: "operator", cert: &c, leaf: c.Leaf}, nil
	}
	c, err := selfSigned(cfg.DataDir, hosts, now)
	if err != nil {
		return nil, err
	}
	return &apiTLS{mode: "self-signed", cert: c, leaf: c.Leaf}, nil
}

// ReadTLSPin returns the pin of the self-signed API certificate in a node's data dir (for
// tools on the same host: testnet, 'meridian node pin').
func ReadTLSPin(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, TLSCertFile))
	if err != nil {
		return "", errs.Errorf("node.ReadTLSPin", errs.NotExist, "no %s in %s: start the node once to create it (or read the pin of your operator certificate)", TLSCertFile, dir)
	}
	leaf, err := parseCertPEM(b)
	if err != nil {
		return "", err
	}
	return api.Pin(leaf), nil
}

// selfSigned loads the data dir's key and certificate, creating the key on first use and
// (re)issuing the certificate when it is missing, expires within renewBefore or does not
// name all hosts.
func selfSigned(dir string, hosts []string, now time.Time) (*tls.Certificate, error) {
	key, err := loadOrCreateTLSKey(filepath.Join(dir, TLSKeyFile))
	if err != nil {
		return nil, err
	}
	certPath := filepath.Join(dir, TLSCertFile)
	var leaf *x509.Certificate
	if b, err := os.ReadFile(certPath); err == nil {
		leaf, _ = parseCertPEM(b) // a damaged certificate is reissued below
	}
	if leaf == nil || !key.PublicKey.Equal(leaf.PublicKey) || now.Add(renewBefore).After(leaf.NotAfter) || !namesAll(leaf, hosts) {
		if leaf, err = issueSelfSigned(key, hosts, now); err != nil {
			return nil, err
		}
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})
		if err := writeFileSync(certPath, pemCert, 0o644); err != nil {
			return nil, err
		}
	}
	return &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

func loadOrCreateTLSKey(path string) (*ecdsa.PrivateKey, error) {
	const op = "node.tlsKey"
	b, err := os.ReadFile(path)
	if err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, errs.Errorf(op, errs.Corrupt, "%s is not PEM; move it away to make a new key (clients must then pin the new one)", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		ek, ok := k.(*ecdsa.PrivateKey)
		if err != nil || !ok {
			return nil, errs.Errorf(op, errs.Corrupt, "%s is not a PKCS#8 ECDSA key; move it away to make a new key (clients must then pin the new one)", path)
		}
		return ek, nil
	}
	if !os.IsNotExist(err) {
		return nil, errs.E(op, errs.Unavailable, err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, errs.E(op, errs.Internal, err)
	}
	if err := writeFileSync(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

func issueSelfSigned(key *ecdsa.PrivateKey, hosts []string, now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, errs.E("node.issueSelfSigned", errs.Internal, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "meridian node", Organization: []string{"meridian"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, errs.E("node.issueSelfSigned", errs.Internal, err)
	}
	return x509.ParseCertificate(der)
}

func parseCertPEM(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errs.Errorf("node.parseCert", errs.Corrupt, "not a PEM certificate")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, errs.E("node.parseCert", errs.Corrupt, err)
	}
	return c, nil
}

// namesAll reports whether the certificate names every host (as a DNS name or an address).
func namesAll(c *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
				return false
			}
		} else if h != "" && !slices.Contains(c.DNSNames, h) {
			return false
		}
	}
	return true
}

// certHosts are the names the self-signed certificate carries: localhost and the loopback
// addresses, the API's listen host (unless it is a wildcard), the host of api_url, and the
// machine's host name.
func certHosts(cfg *Config) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if h, _, err := net.SplitHostPort(cfg.APIAddr); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, h)
		}
	}
	if h := urlHost(cfg.APIURL); h != "" {
		hosts = append(hosts, h)
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}
