package api

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestFakeFollowsPolicy: the fake's read rule is policy.Can's, so a member-scope catalog is
// read by its owner's users only; everyone else hears "not found", as from a node.
func TestFakeFollowsPolicy(t *testing.T) {
	f := newFake()
	f.catalogs["own"] = &Catalog{Name: "own", Owner: "aist", Scope: "member"}
	h := NewServer(f, Options{Logger: quietLogger()})
	o := publish(t, f, "own", "mine.bin", "aist only")
	for _, c := range []struct {
		token string
		want  int
	}{{"admin", 200}, {"reader", 404}, {"", 404}} {
		for _, path := range []string{"/v1/objects/" + o.PID, "/v1/objects/" + o.PID + "/content", "/v1/catalogs/own/objects"} {
			hdr := map[string]string{}
			if c.token != "" {
				hdr["Authorization"] = "Bearer " + c.token
			}
			if w := serve(t, h, "GET", path, nil, hdr); w.Code != c.want {
				t.Errorf("GET %s as %q: %d, want %d", path, c.token, w.Code, c.want)
			}
		}
	}
	f.catalogs["own"].Grants = []Grant{{Member: "nchc", Action: "read"}}
	hdr := map[string]string{"Authorization": "Bearer reader"}
	if w := serve(t, h, "GET", "/v1/objects/"+o.PID, nil, hdr); w.Code != 200 {
		t.Errorf("a grantee's read: %d, want 200", w.Code)
	}
}

// TestFakeVerifyChecks: the fake's Verify reports what it finds, so a test of the verify route
// can fail: a record edited after publishing, a broken signature and damaged content are each
// reported.
func TestFakeVerifyChecks(t *testing.T) {
	for _, c := range []struct {
		name                string
		damage              func(f *fakeBackend, o *Object)
		hash, sig, contents bool
	}{
		{"intact", func(*fakeBackend, *Object) {}, true, true, true},
		{"record edited", func(f *fakeBackend, o *Object) { f.objects[o.PID].Record.Name = "other" }, false, false, true},
		{"signature broken", func(f *fakeBackend, o *Object) {
			r := &f.objects[o.PID].Record
			r.Sig = r.Sig[:4] + "AAAA" + r.Sig[8:]
		}, false, false, true},
		{"content damaged", func(f *fakeBackend, o *Object) { f.content[o.PID][0] ^= 1 }, true, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			h := NewServer(f, Options{Logger: quietLogger()})
			o := publish(t, f, "open", "v.bin", "verify me")
			c.damage(f, o)
			w := serve(t, h, "POST", "/v1/objects/"+o.PID+"/verify?content=true", nil, nil)
			var v Verification
			if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &v) != nil {
				t.Fatalf("verify: %d %s", w.Code, w.Body)
			}
			if v.RecordHashOK != c.hash || v.SignatureOK != c.sig || v.ContentOK != c.contents {
				t.Fatalf("verify = hash %v sig %v content %v, want %v %v %v (%v)",
					v.RecordHashOK, v.SignatureOK, v.ContentOK, c.hash, c.sig, c.contents, v.Problems)
			}
			if ok := c.hash && c.sig && c.contents; ok != (len(v.Problems) == 0) {
				t.Fatalf("problems %v for a verification that is ok=%v", v.Problems, ok)
			}
		})
	}
}
