package consensus

import "testing"

// TestIdempotentRequests pins down which requests route retries after an unknown outcome: a
// proposal must never be sent twice (it could apply twice), while reads and configuration
// changes converge. A join's AddVoter that met an election failed the whole testnet start
// before membership changes were retried.
func TestIdempotentRequests(t *testing.T) {
	for o, want := range map[opcode]bool{
		opPropose: false, opReadIndex: true, opProbeIndex: true,
		opAddVoter: true, opAddNonvoter: true, opRemoveServer: true,
	} {
		if got := idempotent(o); got != want {
			t.Errorf("idempotent(%v) = %v, want %v", o, got, want)
		}
	}
}
