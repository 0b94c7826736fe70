package node

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestConfigAPILimits: node.yaml sets the API's limits per caller under api_limits.
func TestConfigAPILimits(t *testing.T) {
	dir := t.TempDir()
	yaml := "member: aist\napi_limits:\n  per_caller: 3\n  request_timeout: 5s\n  body_window: 1m\n  body_min_rate: 2048\n  max_page_bytes: 1048576\n"
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := c.APILimits
	if l.PerCaller != 3 || l.RequestTimeout != 5*time.Second || l.BodyWindow != time.Minute || l.BodyMinRate != 2048 || l.MaxPageBytes != 1<<20 {
		t.Fatalf("APILimits = %+v", l)
	}
}
