package api

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/meridian-fed/meridian/errs"
)

// openStream subscribes c to "closed" and returns the channel of Events' result and of the
// objects it delivers, once the fake has seen the subscription.
func openStream(t *testing.T, ctx context.Context, f *fakeBackend, c *Client) (<-chan error, <-chan Object) {
	t.Helper()
	done := make(chan error, 1)
	got := make(chan Object, 16)
	go func() { // ends with the stream: the test waits for done, or ctx ends it
		done <- c.Events(ctx, "closed", func(o Object) error { got <- o; return nil })
	}()
	select {
	case <-f.subscribed:
	case <-ctx.Done():
		t.Fatal("no subscription")
	}
	return done, got
}

func waitEnd(t *testing.T, ctx context.Context, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		t.Fatal("the event stream was not ended")
		return nil
	}
}

// TestEventsEndWhenRightLapses: an open stream is cut, with an error event of the right kind,
// when its token stops authenticating (revoked; or the node is stale and answers
// not_caught_up) or its subject may no longer read the catalog (answered as a missing
// catalog). An idle stream notices within StreamRecheck; one whose next event comes first is
// checked before that event, which is never sent.
func TestEventsEndWhenRightLapses(t *testing.T) {
	cases := []struct {
		name  string
		lapse func(f *fakeBackend)
		want  errs.Kind
	}{
		{"token revoked", func(f *fakeBackend) {
			f.fail["Authenticate"] = errs.Errorf("fake", errs.Unauthenticated, "token revoked")
		}, errs.Unauthenticated},
		{"node stale", func(f *fakeBackend) {
			f.fail["Authenticate"] = errs.Errorf("fake", errs.NotCaughtUp, "not caught up")
		}, errs.NotCaughtUp},
		{"scope narrowed", func(f *fakeBackend) { f.catalogs["closed"].Scope = "members:aist" }, errs.NotExist},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/idle", func(t *testing.T) {
			ctx := testCtx(t)
			f, ts := newTestServer(t, Options{StreamRecheck: 10 * time.Millisecond})
			done, _ := openStream(t, ctx, f, newTestClient(t, "reader", ts.URL))
			f.mu.Lock()
			tc.lapse(f)
			f.mu.Unlock()
			if err := waitEnd(t, ctx, done); !errs.Is(err, tc.want) {
				t.Fatalf("stream ended with %v (kind %v), want %v", err, errs.KindOf(err), tc.want)
			}
		})
		t.Run(tc.name+"/next event", func(t *testing.T) {
			ctx := testCtx(t)
			f, ts := newTestServer(t, Options{StreamRecheck: time.Hour})
			done, got := openStream(t, ctx, f, newTestClient(t, "reader", ts.URL))
			before := publish(t, f, "closed", "before", "1")
			select {
			case o := <-got:
				if o.PID != before.PID {
					t.Fatalf("got %s, want %s", o.PID, before.PID)
				}
			case <-ctx.Done():
				t.Fatal("the event before the lapse never came")
			}
			f.mu.Lock()
			tc.lapse(f)
			f.mu.Unlock()
			publish(t, f, "closed", "after", "2")
			if err := waitEnd(t, ctx, done); !errs.Is(err, tc.want) {
				t.Fatalf("stream ended with %v (kind %v), want %v", err, errs.KindOf(err), tc.want)
			}
			select {
			case o := <-got:
				t.Fatalf("event %s sent after the right lapsed", o.PID)
			default:
			}
		})
	}
}

func TestStreamEndError(t *testing.T) {
	err := streamEndError("op", `{"error":{"code":"unauthenticated","message":"token revoked"}}`)
	if !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("%v, want unauthenticated", err)
	}
	for _, bad := range []string{"", "{", `{"error":{}}`} {
		if err := streamEndError("op", bad); !errs.Is(err, errs.Corrupt) {
			t.Fatalf("%q: %v, want corrupt", bad, err)
		}
	}
}

// FuzzStreamEndError: whatever a node sends in its last error event, the client returns an
// error (never nil, never a panic); bytes that are no error body are corrupt.
func FuzzStreamEndError(f *testing.F) {
	for _, s := range []string{`{"error":{"code":"not_found","message":"m"}}`, `{"error":{"code":""}}`, "{", "null", `{"error":{"code":"zzz"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		err := streamEndError("op", data)
		if err == nil {
			t.Fatalf("%q: nil error", data)
		}
		var eb errorBody
		if (json.Unmarshal([]byte(data), &eb) != nil || eb.Error.Code == "") && !errs.Is(err, errs.Corrupt) {
			t.Fatalf("%q: %v, want corrupt", data, err)
		}
	})
}
