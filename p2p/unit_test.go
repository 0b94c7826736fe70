package p2p

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/p2p/internal/fakestore"
)

func TestPSKRoundTrip(t *testing.T) {
	k, err := GeneratePSK()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePSK(EncodePSK(k))
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("DecodePSK(EncodePSK) = %x, %v", got, err)
	}
	if !bytes.HasPrefix(EncodePSK(k), []byte(KeyHeader+"\n")) || IsLegacyKey(EncodePSK(k)) {
		t.Errorf("EncodePSK wrote %q", EncodePSK(k))
	}
	// Legacy pnet swarm key files (the base16 form earlier versions wrote, and the base64
	// form of other IPFS tools) still decode to the same key.
	legacy := []byte("/key/swarm/psk/1.0.0/\n/base16/\n" + hex.EncodeToString(k) + "\n")
	if got, err := DecodePSK(legacy); err != nil || !bytes.Equal(got, k) || !IsLegacyKey(legacy) {
		t.Fatalf("legacy base16 key: %x, %v", got, err)
	}
	b64 := []byte("/key/swarm/psk/1.0.0/\n/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")
	got, err = DecodePSK(b64)
	if err != nil || got[31] != 31 {
		t.Fatalf("base64 key: %x, %v", got, err)
	}
	for _, bad := range []string{"", "/key/swarm/psk/1.0.0/\n/base16/\nabc\n", "/key/other/\n/base16/\n00\n",
		KeyHeader + "\n/base16/\n" + hex.EncodeToString(k[:31]) + "\n",
		KeyHeader + "\n/base64/\n" + hex.EncodeToString(k) + "\n",
		KeyHeader + "\n/base16/\n" + hex.EncodeToString(k) + "\nextra\n",
		KeyHeader + "\n/base16/\n" + strings.Repeat("zz", 32) + "\n"} {
		if _, err := DecodePSK([]byte(bad)); !errs.Is(err, errs.Invalid) {
			t.Errorf("DecodePSK(%q) = %v", bad, err)
		}
	}
	k2, _ := GeneratePSK()
	if Fingerprint(k) == Fingerprint(k2) || Fingerprint(k) != Fingerprint(append([]byte(nil), k...)) {
		t.Error("fingerprint not a function of the key alone")
	}
	if bytes.Contains([]byte(Fingerprint(k)), []byte(string(EncodePSK(k))[30:40])) {
		t.Error("fingerprint shows the key")
	}
}

func TestIdentityPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", KeyFileName)
	k1, err := LoadOrCreateIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode().Perm(), err)
	}
	k2, err := LoadOrCreateIdentity(path)
	if err != nil || !k1.Equals(k2) {
		t.Fatalf("reloaded key differs: %v", err)
	}
	id1, _ := peer.IDFromPrivateKey(k1)
	id2, _ := peer.IDFromPrivateKey(k2)
	if id1 != id2 {
		t.Fatal("peer ID changed across loads")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateIdentity(path); !errs.Is(err, errs.Permission) {
		t.Errorf("world-readable key: %v", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateIdentity(path); !errs.Is(err, errs.Corrupt) {
		t.Errorf("junk key: %v", err)
	}
}

func TestDenialLogRing(t *testing.T) {
	l := NewDenialLog(3, nil)
	for i, r := range []string{"a", "b", "c", "d", "e"} {
		l.Add("", string(rune('0'+i)), r)
	}
	var got []string
	for _, d := range l.Recent() {
		got = append(got, d.Reason)
	}
	if len(got) != 3 || got[0] != "c" || got[2] != "e" {
		t.Errorf("Recent = %v, want [c d e]", got)
	}
	if l.Count("a") != 1 || l.Count("zz") != 0 {
		t.Error("counts wrong")
	}
	l.markGated("x")
	if !l.takeGated("x") || l.takeGated("x") {
		t.Error("gated address not taken exactly once")
	}
}

func TestConfigValidate(t *testing.T) {
	base := DefaultConfig()
	base.DataDir = t.TempDir()
	base.Membership = NewStaticMembership()
	psk, _ := GeneratePSK()
	cases := map[string]struct {
		mut  func(*Config)
		fail bool
	}{
		"no key":        {func(c *Config) {}, true},
		"insecure":      {func(c *Config) { c.Insecure = true }, false},
		"with key":      {func(c *Config) { c.PSK = psk }, false},
		"short key":     {func(c *Config) { c.PSK = psk[:8] }, true},
		"no membership": {func(c *Config) { c.PSK = psk; c.Membership = nil }, true},
		"no data dir":   {func(c *Config) { c.PSK = psk; c.DataDir = "" }, true},
	}
	for name, tc := range cases {
		c := base
		tc.mut(&c)
		if err := c.Validate(); (err != nil) != tc.fail {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
	if _, err := New(context.Background(), base); !errs.Is(err, errs.Invalid) {
		t.Errorf("New without a federation key: %v", err)
	}
}

// blockingProvider blocks every Provide until released.
type blockingProvider struct {
	release chan struct{}
	mu      sync.Mutex
	got     []cid.Cid
}

func (b *blockingProvider) Provide(ctx context.Context, c cid.Cid, _ bool) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, c)
	return nil
}

func TestProviderNeverBlocks(t *testing.T) {
	bp := &blockingProvider{release: make(chan struct{})}
	p := NewProvider(bp, ProviderConfig{Queue: 4, Workers: 1, Rate: rate.Inf}, nil, nil)
	defer p.Close()
	var cids []cid.Cid
	for i := range 10 {
		cids = append(cids, fakestore.CID([]byte{byte(i)}))
	}
	for _, c := range cids {
		if !p.Enqueue(c) { // must return at once although the DHT is stuck
			t.Fatal("an open provider refused a CID")
		}
	}
	p.Enqueue(cids[9]) // a duplicate of a pending CID is coalesced, not queued twice
	if got := p.Pending(); got != 4 {
		t.Errorf("%d pending with a queue of 4", got)
	}
	close(bp.release)
	deadline := time.Now().Add(5 * time.Second)
	for p.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for p.Completed() < 10-p.Dropped() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	bp.mu.Lock()
	defer bp.mu.Unlock()
	for _, c := range cids[6:] { // the newest four survive; older ones were dropped
		if !slices.Contains(bp.got, c) {
			t.Errorf("newest CID %s was not announced (got %v)", c, bp.got)
		}
	}
	if len(bp.got) > 5 { // four queued, maybe one taken by the worker before the rest came
		t.Errorf("announced %d of 10 with a queue of 4", len(bp.got))
	}
}
