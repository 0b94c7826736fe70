package consensus

import (
	"reflect"
	"testing"
)

// TestRaftLogIsSynced: the Raft log a node opens fsyncs every append before raft counts the
// entry as stored, so a proposal is acknowledged only once its entry is on disk (on a
// majority, for a cluster). raft-boltdb copies Options.NoSync into bbolt's DB.NoSync, and a
// DB with NoSync or NoGrowSync set skips the fsync of a commit (or of a grown file). bbolt
// maps its file, so the power-loss simulation of the store (store/strictfs) cannot run under
// it; this checks the setting of the DB the node really opened instead (read by reflection,
// as raft-boltdb does not export it). Setting NoSync in open fails it (tried).
func TestRaftLogIsSynced(t *testing.T) {
	c := newCluster(t, 1, 0, nil)
	n, _ := c.running(0)
	conn := reflect.ValueOf(n.store).Elem().FieldByName("conn")
	if !conn.IsValid() || conn.IsNil() {
		t.Fatal("raft-boltdb's BoltStore has no conn field any more: update this test")
	}
	db := conn.Elem()
	for _, field := range []string{"NoSync", "NoGrowSync"} {
		f := db.FieldByName(field)
		if !f.IsValid() {
			t.Fatalf("bbolt.DB has no %s field any more: update this test", field)
		}
		if f.Bool() {
			t.Errorf("the Raft log is opened with %s: an acknowledged proposal may be lost in a power cut", field)
		}
	}
}
