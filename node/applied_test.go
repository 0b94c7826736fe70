package node

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/pid"
)

// subscribeAnon registers an anonymous subscriber to catalog "c" of the fixture's node.
func subscribeAnon(f *answersFixture) chan api.Object {
	f.n.events = newBroker()
	ch := make(chan api.Object, 1)
	f.n.events.add(&subscription{ctx: context.Background(), sub: api.Subject{Anonymous: true}, catalog: "c", ch: ch})
	return ch
}

// TestAppliedTellsSubscribersFromResultObject checks that a committed Publish reaches the
// subscribers from Result.Object: applied gets no command bytes to decode (a decode whose error
// is dropped would lose the event silently).
func TestAppliedTellsSubscribersFromResultObject(t *testing.T) {
	f := newAnswersFixture(t)
	ch := subscribeAnon(f)
	p := f.publish("a", true)
	c, err := pid.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.n.state.Resolve(c)
	if err != nil {
		t.Fatal(err)
	}
	f.n.applied(catalog.Result{Index: f.index, Kind: catalog.KindPublish, Object: o})
	select {
	case got := <-ch:
		if got.PID != p || got.PublishIndex != o.Index {
			t.Fatalf("subscriber got %s at index %d, want %s at %d", got.PID, got.PublishIndex, p, o.Index)
		}
	default:
		t.Fatal("subscriber was not told of the published object")
	}
}

// TestAppliedReportsPublishWithoutObject checks that a Publish result without its object (a
// broken catalog promise) is logged as an error, not dropped without a word.
func TestAppliedReportsPublishWithoutObject(t *testing.T) {
	f := newAnswersFixture(t)
	ch := subscribeAnon(f)
	var logs bytes.Buffer
	f.n.log = slog.New(slog.NewTextHandler(&logs, nil))
	f.n.applied(catalog.Result{Index: 42, Kind: catalog.KindPublish})
	if len(ch) != 0 {
		t.Fatalf("subscriber told of %v, want nothing", <-ch)
	}
	if out := logs.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "no object") || !strings.Contains(out, "index=42") {
		t.Fatalf("log = %q, want an error naming the index", out)
	}
}
