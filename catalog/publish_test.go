package catalog

import (
	"testing"

	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
)

func TestPublish(t *testing.T) {
	f := newFixture(t)
	f.catalog("landsat", "nchc", "members:aist")
	p, r := f.publish("nchc-pub", "landsat", "LC05_B4.TIF", map[string]any{"band": "4"}, "aist", "nchc")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	o, err := f.s.Resolve(p)
	if r.Object != o {
		t.Fatal("Result.Object is not the published object")
	}
	if err != nil || o.Name != "LC05_B4.TIF" || o.Catalog != "landsat" || o.Index != r.Index || o.Publisher != "nchc-pub" {
		t.Fatalf("Resolve = %+v, %v", o, err)
	}
	if string(o.Key("aist")) != "wrapped-dek-for-aist" || o.Key("esa") != nil {
		t.Fatalf("keys = %v", o.Keys)
	}
	if c, _ := f.s.Catalog("landsat"); c.Objects != 1 {
		t.Fatalf("catalog count = %d", c.Objects)
	}
	// A node of the publisher's member may sign for its user.
	np, rec := f.record("nchc-pub", "node-nchc", "landsat", "by-node.tif", nil)
	f.must("nchc-pub", &Publish{PID: np.String(), Record: rec, Manifest: manifestCID("n"), Keys: keysFor("aist", "nchc")})
}

func TestPublishRejections(t *testing.T) {
	f := newFixture(t)
	f.catalog("landsat", "nchc", "members:aist")
	good, goodRec := f.record("nchc-pub", "nchc-pub", "landsat", "ok.tif", nil)
	tampered := append([]byte(nil), goodRec...)
	tampered[len(tampered)-1] ^= 1
	otherKey, otherRec := f.record("nchc-pub", "esa-pub", "landsat", "x.tif", nil)
	aistNode, aistNodeRec := f.record("nchc-pub", "node-aist", "landsat", "y.tif", nil)
	noCat, noCatRec := f.record("nchc-pub", "nchc-pub", "nope", "z.tif", nil)
	aistPub, aistRec := f.record("aist-pub", "aist-pub", "landsat", "a.tif", nil)
	nchcRead, readRec := f.record("nchc-read", "nchc-pub", "landsat", "r.tif", nil)
	pub := func(p string, rec []byte, keys ...string) *Publish {
		return &Publish{PID: p, Record: rec, Manifest: manifestCID("m"), Keys: keysFor(keys...)}
	}
	tests := []struct {
		name  string
		actor string
		body  *Publish
		kind  errs.Kind
	}{
		{"tampered record", "nchc-pub", pub(good.String(), tampered, "aist", "nchc"), errs.Corrupt},
		{"pid of other bytes", "nchc-pub", pub(otherKey.String(), goodRec, "aist", "nchc"), errs.Corrupt},
		{"bad pid", "nchc-pub", pub("bafkqaaa", goodRec, "aist", "nchc"), errs.Invalid},
		{"bad manifest", "nchc-pub", &Publish{PID: good.String(), Record: goodRec, Manifest: "nope", Keys: keysFor("aist", "nchc")}, errs.Invalid},
		{"actor is not the publisher", "nchc-admin", pub(good.String(), goodRec, "aist", "nchc"), errs.Permission},
		{"signed by a stranger's key", "nchc-pub", pub(otherKey.String(), otherRec, "aist", "nchc"), errs.Permission},
		{"signed by another member's node", "nchc-pub", pub(aistNode.String(), aistNodeRec, "aist", "nchc"), errs.Permission},
		{"unknown catalog", "nchc-pub", pub(noCat.String(), noCatRec, "aist", "nchc"), errs.NotExist},
		{"publisher of a reader member", "aist-pub", pub(aistPub.String(), aistRec, "aist", "nchc"), errs.Permission},
		{"read-only user", "nchc-read", pub(nchcRead.String(), readRec, "aist", "nchc"), errs.Permission},
		{"anonymous", "", pub(good.String(), goodRec, "aist", "nchc"), errs.Unauthenticated},
		{"missing a reader's key", "nchc-pub", pub(good.String(), goodRec, "nchc"), errs.Permission},
		{"key for a non-reader", "nchc-pub", pub(good.String(), goodRec, "aist", "esa", "nchc"), errs.Permission},
		{"unsorted keys", "nchc-pub", pub(good.String(), goodRec, "nchc", "aist"), errs.Invalid},
		{"duplicate keys", "nchc-pub", pub(good.String(), goodRec, "aist", "aist", "nchc"), errs.Invalid},
		{"empty key", "nchc-pub", &Publish{PID: good.String(), Record: goodRec, Manifest: manifestCID("m"), Keys: []WrappedKey{{Member: "aist"}, {Member: "nchc", Key: []byte{1}}}}, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.s.Digest()
			if r := f.run(tt.actor, tt.body); !errs.Is(r.Err, tt.kind) {
				t.Fatalf("err = %v (kind %v), want %v", r.Err, errs.KindOf(r.Err), tt.kind)
			}
			if f.s.Digest() != before {
				t.Fatal("a rejected publish changed the state")
			}
		})
	}
	f.must("nchc-pub", pub(good.String(), goodRec, "aist", "nchc"))
	if r := f.run("nchc-pub", pub(good.String(), goodRec, "aist", "nchc")); !errs.Is(r.Err, errs.Exist) {
		t.Fatalf("publishing twice: %v", r.Err)
	}
}

// TestPublishByGrant checks that a publish grant lets another member's publisher in, and that
// public and federation scopes need keys for every active member.
func TestPublishByGrant(t *testing.T) {
	f := newFixture(t)
	f.catalog("pub", "nchc", "public")
	f.must("nchc-admin", &SetGrants{Catalog: "pub", Grants: []policy.Grant{{Action: policy.Publish, Member: "aist"}}})
	if _, r := f.publish("aist-pub", "pub", "a.tif", nil, "aist", "nchc"); !errs.Is(r.Err, errs.Permission) {
		t.Fatalf("public scope without esa's key: %v", r.Err)
	}
	if _, r := f.publish("aist-pub", "pub", "a.tif", nil, "aist", "esa", "nchc"); r.Err != nil {
		t.Fatal(r.Err)
	}
	if _, r := f.publish("esa-pub", "pub", "e.tif", nil, "aist", "esa", "nchc"); !errs.Is(r.Err, errs.Permission) {
		t.Fatalf("esa has no publish grant: %v", r.Err)
	}
}

func TestScopeChangesKeys(t *testing.T) {
	f := newFixture(t)
	f.catalog("c", "nchc", "members:aist,esa")
	p, r := f.publish("nchc-pub", "c", "a.tif", nil, "aist", "esa", "nchc")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	old, _ := f.s.Resolve(p)
	snap := f.s.Snapshot()
	narrow, _ := policy.ParseScope("members:aist")
	f.must("nchc-admin", &SetScope{Catalog: "c", Scope: narrow})
	o, _ := f.s.Resolve(p)
	if o.Key("esa") != nil || o.Key("aist") == nil || old.Key("esa") == nil {
		t.Fatalf("narrowing: new keys %v, old keys %v", o.Keys, old.Keys)
	}
	if len(snap.objects[0].Keys) != 3 {
		t.Fatal("copy on write broken: an earlier snapshot saw the change")
	}
	// Widening needs the new reader's key, added by an admin of the catalog (or its node).
	f.must("nchc-admin", &SetScope{Catalog: "c", Scope: policy.Scope{Kind: policy.ScopeFederation}})
	if r := f.run("aist-admin", &AddKeys{PID: p.String(), Keys: keysFor("esa")}); !errs.Is(r.Err, errs.Permission) {
		t.Fatalf("AddKeys by a non-owner: %v", r.Err)
	}
	if r := f.run("nchc-admin", &AddKeys{PID: p.String(), Keys: keysFor("aist")}); !errs.Is(r.Err, errs.Exist) {
		t.Fatalf("AddKeys for a member that has one: %v", r.Err)
	}
	f.must(NodePrefix+f.peers["nchc"], &AddKeys{PID: p.String(), Keys: keysFor("esa")})
	o, _ = f.s.Resolve(p)
	if len(o.Keys) != 3 || o.Keys[1].Member != "esa" {
		t.Fatalf("keys after AddKeys: %v", o.Keys)
	}
	page, _ := f.s.List("c", "", 10)
	if len(page.Objects) != 1 || page.Objects[0] != o {
		t.Fatal("List does not see the replaced object")
	}
}

func TestSubscribe(t *testing.T) {
	f := newFixture(t)
	f.catalog("c", "nchc", "federation")
	f.must("aist-read", &Subscribe{Catalog: "c"})
	f.must("aist-read", &Subscribe{Catalog: "c"})
	f.must("esa-read", &Subscribe{Catalog: "c"})
	if c, _ := f.s.Catalog("c"); len(c.Subscribers) != 2 || c.Subscribers[0] != "aist-read" {
		t.Fatalf("subscribers = %v", c.Subscribers)
	}
	f.must("aist-read", &Unsubscribe{Catalog: "c"})
	if c, _ := f.s.Catalog("c"); len(c.Subscribers) != 1 || c.Subscribers[0] != "esa-read" {
		t.Fatalf("subscribers = %v", c.Subscribers)
	}
}

func TestPIDFormsAccepted(t *testing.T) {
	f := newFixture(t)
	f.catalog("c", "nchc", "member")
	p, rec := f.record("nchc-pub", "nchc-pub", "c", "a", nil)
	f.must("nchc-pub", &Publish{PID: pid.Format(p), Record: rec, Manifest: manifestCID("a"), Keys: keysFor("nchc")})
	if _, err := f.s.Resolve(p); err != nil {
		t.Fatal(err)
	}
}
