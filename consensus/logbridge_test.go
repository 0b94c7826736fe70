package consensus

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestHCLogBridgeLevels(t *testing.T) {
	var buf bytes.Buffer
	l := newHCLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})), "raft")
	if l.IsDebug() || !l.IsInfo() || l.GetLevel() != hclog.Info {
		t.Fatalf("levels: debug=%v info=%v get=%v", l.IsDebug(), l.IsInfo(), l.GetLevel())
	}
	l.Named("transport").With("peer", "p1").Warn("heartbeat failed", "error", "boom")
	l.Debug("hidden")
	l.Error("failed to decode incoming command", "error", "stream reset")
	out := buf.String()
	for _, want := range []string{"level=WARN", "heartbeat failed", "peer=p1", "sub=transport", "error=boom"} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hidden") || strings.Contains(out, "decode incoming") {
		t.Errorf("debug-level lines were logged:\n%s", out)
	}
}
