package node

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
)

func TestSelfSignedCreatedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	hosts := []string{"127.0.0.1", "localhost", "node1.example.org"}
	c1, err := selfSigned(dir, hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, TLSKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if !namesAll(c1.Leaf, hosts) || c1.Leaf.NotAfter.Before(now.Add(9*365*24*time.Hour)) {
		t.Fatalf("certificate names %v %v until %v", c1.Leaf.DNSNames, c1.Leaf.IPAddresses, c1.Leaf.NotAfter)
	}
	c2, err := selfSigned(dir, hosts, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if string(c2.Leaf.Raw) != string(c1.Leaf.Raw) {
		t.Fatal("certificate reissued although nothing changed")
	}
	// A new host name and near expiry reissue the certificate with the same key: same pin.
	c3, err := selfSigned(dir, append(hosts, "10.1.2.3"), now.Add(selfSignedValidity-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if string(c3.Leaf.Raw) == string(c1.Leaf.Raw) || api.Pin(c3.Leaf) != api.Pin(c1.Leaf) {
		t.Fatal("renewal must issue a new certificate for the same key")
	}
	if !c3.Leaf.NotAfter.After(now.Add(selfSignedValidity)) || !namesAll(c3.Leaf, []string{"10.1.2.3"}) {
		t.Fatal("renewed certificate lacks the new host or validity")
	}
	pin, err := ReadTLSPin(dir)
	if err != nil || pin != api.Pin(c1.Leaf) {
		t.Fatalf("ReadTLSPin = %q, %v", pin, err)
	}
}

func TestSelfSignedRejectsDamagedKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, TLSKeyFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := selfSigned(dir, nil, time.Now()); !errs.Is(err, errs.Corrupt) {
		t.Fatalf("damaged key: %v, want corrupt (never silently replaced: clients pin it)", err)
	}
}

func TestLoadAPITLSModes(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig(dir)
	cfg.InsecurePlainHTTP = true
	if tl, err := loadAPITLS(&cfg, nil, time.Now()); err != nil || tl.cert != nil || tl.status().Mode != "plain-http" {
		t.Fatalf("plain: %+v %v", tl, err)
	}
	// An operator certificate: any PEM pair; here one made like the self-signed.
	opDir := t.TempDir()
	c, err := selfSigned(opDir, []string{"op.example.org"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg = DefaultConfig(dir)
	cfg.TLSCert, cfg.TLSKey = filepath.Join(opDir, TLSCertFile), filepath.Join(opDir, TLSKeyFile)
	tl, err := loadAPITLS(&cfg, nil, time.Now())
	if err != nil || tl.status().Mode != "operator" || tl.pin() != api.Pin(c.Leaf) {
		t.Fatalf("operator: %+v %v", tl, err)
	}
	if _, err := os.Stat(filepath.Join(dir, TLSKeyFile)); !os.IsNotExist(err) {
		t.Fatal("a self-signed key was made although the operator gave a certificate")
	}
	cfg.TLSKey = filepath.Join(opDir, "missing.key")
	if _, err := loadAPITLS(&cfg, nil, time.Now()); !errs.Is(err, errs.Invalid) {
		t.Fatalf("missing operator key: %v", err)
	}
}

func TestConfigTLSValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"cert without key", func(c *Config) { c.TLSCert = "a.pem" }, false},
		{"plain and cert", func(c *Config) { c.TLSCert, c.TLSKey, c.InsecurePlainHTTP = "a", "b", true }, false},
		{"https url", func(c *Config) { c.APIURL = "https://n1.example.org:8480" }, true},
		{"http url without flag", func(c *Config) { c.APIURL = "http://n1.example.org:8480" }, false},
		{"http url with flag", func(c *Config) { c.APIURL, c.InsecurePlainHTTP = "http://n1:8480", true }, true},
		{"not a url", func(c *Config) { c.APIURL = "n1:8480" }, false},
	} {
		cfg := DefaultConfig(t.TempDir())
		cfg.Member = "m1"
		c.set(&cfg)
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
