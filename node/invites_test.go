package node

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

func TestInviteRoundTripAndBadInput(t *testing.T) {
	iv := Invite{V: 1, PSK: "/key/swarm/psk/1.0.0/\n/base16/\nab", Inviter: []string{"/ip4/127.0.0.1/tcp/1/p2p/12D3KooWJYRVBgVXHVWw3S3abdNg2qy5oMknTx87fmHfGrxy4SXz"}, Secret: "s", Member: "m2", Voter: true}
	line, err := iv.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeInvite("  " + line + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret != iv.Secret || got.Member != iv.Member || !got.Voter || got.PSK != iv.PSK {
		t.Fatalf("round trip changed the invite: %+v", got)
	}
	for _, bad := range []string{"", "hello", invitePrefix + "!!!", invitePrefix + "e30", line[:len(line)-3]} {
		if _, err := DecodeInvite(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("DecodeInvite(%q) = %v, want invalid", bad, err)
		}
	}
}

func FuzzDecodeInvite(f *testing.F) {
	line, _ := Invite{V: 1, PSK: "k", Inviter: []string{"a"}, Secret: "s", Member: "m"}.Encode()
	f.Add(line)
	f.Add(invitePrefix)
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := DecodeInvite(s)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		if iv.Secret == "" || iv.Member == "" || len(iv.Inviter) == 0 {
			t.Fatalf("accepted an incomplete invite: %+v", iv)
		}
		line, err := iv.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if again, err := DecodeInvite(line); err != nil || !reflect.DeepEqual(again, iv) {
			t.Fatalf("re-encoded invite %+v decodes to %+v, %v", iv, again, err)
		}
	})
}

func TestInviteBookIsOneTimeAndExpires(t *testing.T) {
	b := openInviteBook(filepath.Join(t.TempDir(), "invites.json"))
	now := time.Unix(1_800_000_000, 0)
	if b.open(now) {
		t.Fatal("an empty book is open")
	}
	s1, err := b.add("m1", true, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.add("m2", false, time.Minute, now)
	if !b.open(now) {
		t.Fatal("book with invites is not open")
	}
	if _, ok, _ := b.take([]byte(strings.ToUpper(s1)), now); ok {
		t.Fatal("a wrong secret was accepted")
	}
	e, ok, err := b.take([]byte(s1), now)
	if err != nil || !ok || e.Member != "m1" || !e.Voter {
		t.Fatalf("take = %+v, %v, %v", e, ok, err)
	}
	if _, ok, _ := b.take([]byte(s1), now); ok {
		t.Fatal("an invite was redeemed twice")
	}
	if err := b.restore(e); err != nil { // a join that failed after taking it
		t.Fatal(err)
	}
	if _, ok, _ := b.take([]byte(s1), now); !ok {
		t.Fatal("a restored invite cannot be used")
	}
	if _, ok, _ := b.take([]byte(s2), now.Add(2*time.Minute)); ok {
		t.Fatal("an expired invite was accepted")
	}
	if b.open(now.Add(2 * time.Minute)) {
		t.Fatal("book still open after every invite was used or expired")
	}
}

func TestConfigValidation(t *testing.T) {
	good := DefaultConfig(t.TempDir())
	good.Member = "m1"
	if err := good.Validate(); err != nil {
		t.Fatalf("default config with a member: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"no member":         func(c *Config) { c.Member = "" },
		"quic listen":       func(c *Config) { c.Listen = []string{"/ip4/0.0.0.0/udp/1/quic-v1"} },
		"odd stripe size":   func(c *Config) { c.StripeSize = 100 << 10 },
		"no transfers":      func(c *Config) { c.Transfers = 0 },
		"bad log level":     func(c *Config) { c.LogLevel = "loud" },
		"tiny orphan grace": func(c *Config) { c.OrphanGrace = time.Millisecond },
	} {
		c := good
		mutate(&c)
		if err := c.Validate(); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: Validate = %v, want invalid", name, err)
		}
	}
}
