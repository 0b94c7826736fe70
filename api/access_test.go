package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridian-fed/meridian/errs"
)

// from runs GET target through h as a caller at addr (host:port) with token ("": none).
func from(h http.Handler, addr, target, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = addr
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func accessServer(a Access) http.Handler {
	return NewServer(newFake(), Options{Registry: prometheus.NewRegistry(), Logger: quietLogger(), Access: a})
}

func TestMetricsAccess(t *testing.T) {
	lan := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	for _, tc := range []struct {
		name        string
		a           Access
		addr, token string
		code        int
	}{
		{"default: loopback v4", Access{}, "127.0.0.1:9000", "", 200},
		{"default: loopback v6", Access{}, "[::1]:9000", "", 200},
		{"default: another host", Access{}, "192.0.2.7:9000", "", 403},
		{"default: a token does not open the network mode", Access{}, "192.0.2.7:9000", "admin", 403},
		{"allow-list: inside", Access{MetricsAllow: lan}, "192.0.2.7:9000", "", 200},
		{"allow-list: v4-mapped inside", Access{MetricsAllow: lan}, "[::ffff:192.0.2.7]:9000", "", 200},
		{"allow-list: link-local with a zone", Access{MetricsAllow: []netip.Prefix{netip.MustParsePrefix("fe80::/10")}}, "[fe80::1%eth0]:9000", "", 200},
		{"allow-list: outside", Access{MetricsAllow: lan}, "198.51.100.1:9000", "", 403},
		{"allow-list replaces loopback", Access{MetricsAllow: lan}, "127.0.0.1:9000", "", 403},
		{"token: none", Access{Metrics: MetricsToken}, "127.0.0.1:9000", "", 401},
		{"token: unknown", Access{Metrics: MetricsToken}, "127.0.0.1:9000", "nope", 401},
		{"token: any member", Access{Metrics: MetricsToken}, "192.0.2.7:9000", "reader", 200},
		{"token: own member", Access{Metrics: MetricsToken, Member: "aist"}, "192.0.2.7:9000", "admin", 200},
		{"token: another member", Access{Metrics: MetricsToken, Member: "aist"}, "192.0.2.7:9000", "reader", 403},
		{"open", Access{Metrics: MetricsOpen}, "198.51.100.1:9000", "", 200},
	} {
		w := from(accessServer(tc.a), tc.addr, "/metrics", tc.token)
		if w.Code != tc.code {
			t.Errorf("%s: %d, want %d: %s", tc.name, w.Code, tc.code, w.Body)
		}
	}
}

func TestStatusAccess(t *testing.T) {
	f := newFake()
	publish(t, f, "closed", "a.bin", "hello") // one object a token holder counts
	status := func(a Access, token string) (*httptest.ResponseRecorder, Status) {
		h := NewServer(f, Options{Logger: quietLogger(), Access: a})
		w := from(h, "127.0.0.1:9000", "/v1/status", token)
		var st Status
		if w.Code == 200 {
			if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
				t.Fatal(err)
			}
		}
		return w, st
	}
	if w, _ := status(Access{}, ""); w.Code != 401 || errorCode(t, w.Body.String()) != errs.Unauthenticated.String() {
		t.Errorf("anonymous status by default: %d %s, want 401", w.Code, w.Body)
	}
	if w, st := status(Access{}, "reader"); w.Code != 200 || st.Objects == nil || *st.Objects != 1 {
		t.Errorf("status with a token: %d %s, want 200 and objects 1", w.Code, w.Body)
	}
	w, st := status(Access{Status: StatusOpen}, "")
	if w.Code != 200 || st.Leader == "" || st.Objects != nil {
		t.Errorf("anonymous status under status_access open: %d %s, want the public part (leader, no object count)", w.Code, w.Body)
	}
}

// TestPublicStatus: an anonymous caller never sees what a token holder's status adds.
func TestPublicStatus(t *testing.T) {
	full := &Status{Node: NodeInfo{PeerID: "p", Member: "m", API: "https://x", Addrs: []string{"/ip4/10.0.0.1/tcp/4040"}, Used: 5, Free: 6, State: "active"},
		Leader: "l", Term: 1, Applied: 2, Peers: 3, Objects: new(4), Redundancy: &Redundancy{Full: 1},
		TLS: &TLSStatus{Mode: "self-signed"}, Warnings: []string{"disk almost full"}}
	p := publicStatus(full)
	if p.Objects != nil || p.Redundancy != nil || p.Warnings != nil || p.Node.Addrs != nil || p.Node.Used != 0 || p.Node.Free != 0 {
		t.Errorf("public status shows too much: %+v", p)
	}
	if p.Node.PeerID != "p" || p.Leader != "l" || p.TLS == nil {
		t.Errorf("public status lost its public part: %+v", p)
	}
}

func TestParseAccess(t *testing.T) {
	a, err := ParseAccess("network", []string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"}, "open")
	if err != nil || len(a.MetricsAllow) != 3 || a.MetricsAllow[1].Bits() != 32 || a.Status != StatusOpen {
		t.Fatalf("ParseAccess: %+v, %v", a, err)
	}
	for _, bad := range []struct {
		m     string
		allow []string
		s     string
	}{{"public", nil, ""}, {"", []string{"10.0.0.0/33"}, ""}, {"", []string{"example.org"}, ""}, {"", nil, "anonymous"}} {
		if _, err := ParseAccess(bad.m, bad.allow, bad.s); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParseAccess(%q, %q, %q): %v, want invalid", bad.m, bad.allow, bad.s, err)
		}
	}
}

// FuzzParseAccess: any settings either parse into prefixes that hold their own address, or
// are refused as invalid; nothing panics.
func FuzzParseAccess(f *testing.F) {
	f.Add("network", "10.0.0.0/8", "open")
	f.Add("token", "::ffff:192.0.2.7", "token")
	f.Add("", "1.2.3.4/99", "x")
	f.Fuzz(func(t *testing.T, metrics, allow, status string) {
		a, err := ParseAccess(metrics, []string{allow}, status)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("refusal of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		for _, p := range a.MetricsAllow {
			if !p.IsValid() || !p.Contains(p.Addr()) {
				t.Fatalf("%q parsed into %v", allow, p)
			}
		}
	})
}
