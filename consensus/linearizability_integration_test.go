//go:build integration

package consensus

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

var (
	long     = flag.Bool("long", false, "run the two-minute linearizability check")
	seedFlag = flag.Uint64("seed", 0, "seed of the linearizability workload (0: from the clock)")
)

// kvInput and kvOutput are the operations porcupine checks against a register per key.
type kvInput struct {
	put      bool
	key, val string
}

type kvOutput struct{ val string }

var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(kvInput).key
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in := input.(kvInput)
		if in.put {
			return true, in.val
		}
		return output.(kvOutput).val == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(kvInput)
		if in.put {
			return fmt.Sprintf("put(%s, %s)", in.key, in.val)
		}
		return fmt.Sprintf("get(%s) -> %s", in.key, output.(kvOutput).val)
	},
}

// never is the return time of a put whose outcome is unknown: it may take effect any time
// after its call.
const never = int64(1) << 62

// workload runs clients against random nodes and records a history for porcupine.
type workload struct {
	c          *testCluster
	localReads bool // the mutant: read the FSM without LinearizableRead
	start      time.Time

	mu  sync.Mutex
	ops []porcupine.Operation // guarded by mu
}

func (w *workload) now() int64 { return int64(time.Since(w.start)) }

func (w *workload) record(client int, in kvInput, out kvOutput, call, ret int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ops = append(w.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret})
}

// put writes through node i and records the outcome; it reports whether the put is known
// to have been applied.
func (w *workload) put(ctx context.Context, client, i int, key, val string) bool {
	n, _ := w.c.running(i)
	if n == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	call := w.now()
	_, err := n.Propose(ctx, putCmd(key, val))
	ret := w.now()
	if err != nil {
		ret = never // the command may still be applied later
	}
	w.record(client, kvInput{put: true, key: key, val: val}, kvOutput{}, call, ret)
	return err == nil
}

// get reads key at node i; failed reads have no effect and are not recorded.
func (w *workload) get(ctx context.Context, client, i int, key string) {
	n, fsm := w.c.running(i)
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	call := w.now()
	if !w.localReads {
		if err := n.LinearizableRead(ctx); err != nil {
			return
		}
	}
	val := fsm.get(key)
	w.record(client, kvInput{key: key}, kvOutput{val: val}, call, w.now())
}

func (w *workload) client(ctx context.Context, id int, rng *rand.Rand) {
	for seq := 0; ctx.Err() == nil; seq++ {
		i, key := rng.IntN(len(w.c.nodes)), fmt.Sprint("k", rng.IntN(3))
		if rng.IntN(2) == 0 {
			w.put(ctx, id, i, key, fmt.Sprintf("c%d-%d", id, seq))
		} else {
			w.get(ctx, id, i, key)
		}
	}
}

// nemesis isolates or kills one node at a time. While a node is isolated it also runs a
// probe: a put through the majority, then a read at the isolated node, which must not see
// the old value (it is exactly the stale read the mutant makes).
func (w *workload) nemesis(ctx context.Context, rng *rand.Rand, client int, allowKill bool) {
	for round := 0; ctx.Err() == nil; round++ {
		victim := rng.IntN(len(w.c.nodes))
		if allowKill && rng.IntN(3) == 0 {
			w.c.t.Logf("%v nemesis: kill node %d", time.Since(w.start), victim)
			w.c.kill(victim)
			pause(ctx, rng)
			w.c.restart(context.Background(), victim)
			w.c.t.Logf("%v nemesis: restarted node %d", time.Since(w.start), victim)
		} else {
			w.c.t.Logf("%v nemesis: isolate node %d", time.Since(w.start), victim)
			w.c.isolate(victim)
			w.probe(client, victim, round)
			pause(ctx, rng)
			w.c.heal(context.Background())
			w.c.t.Logf("%v nemesis: healed", time.Since(w.start))
		}
		pause(ctx, rng)
	}
}

// probe writes through the majority until a put is known applied, then reads at the
// isolated victim. It runs to completion even when the workload's time is up.
func (w *workload) probe(client, victim, round int) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for try := 0; ctx.Err() == nil; try++ {
		if w.put(ctx, client, (victim+1)%len(w.c.nodes), "probe", fmt.Sprintf("p%d-%d", round, try)) {
			break
		}
	}
	w.get(ctx, client, victim, "probe")
}

func pause(ctx context.Context, rng *rand.Rand) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Duration(300+rng.IntN(700)) * time.Millisecond):
	}
}

// runWorkload runs clients and the nemesis for d on a 3-voter, 1-non-voter cluster and
// returns porcupine's verdict.
func runWorkload(t *testing.T, d time.Duration, localReads, allowKill bool) porcupine.CheckResult {
	c := newCluster(t, 3, 1, nil)
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d", seed)
	w := &workload{c: c, localReads: localReads, start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	const clients = 4
	for id := range clients {
		wg.Go(func() { w.client(ctx, id, rand.New(rand.NewPCG(seed, uint64(id)))) })
	}
	wg.Go(func() { w.nemesis(ctx, rand.New(rand.NewPCG(seed, clients)), clients, allowKill) })
	wg.Wait()
	res, info := porcupine.CheckOperationsVerbose(kvModel, w.ops, time.Minute)
	t.Logf("%d operations, verdict %v", len(w.ops), res)
	if res != porcupine.Ok {
		path := filepath.Join(t.TempDir(), "history.html")
		if err := porcupine.VisualizePath(kvModel, info, path); err == nil {
			t.Logf("history visualised in %s", path)
		}
	}
	return res
}

func TestIntegrationLinearizableUnderFaults(t *testing.T) {
	d := 6 * time.Second
	if *long {
		d = 2 * time.Minute
	}
	if res := runWorkload(t, d, false, true); res != porcupine.Ok {
		t.Fatalf("history is not linearizable: %v", res)
	}
}

// TestIntegrationLocalReadsMutantIsCaught runs the same harness with reads that skip
// LinearizableRead; the checker must reject the history, or it proves nothing.
func TestIntegrationLocalReadsMutantIsCaught(t *testing.T) {
	if res := runWorkload(t, 3*time.Second, true, false); res != porcupine.Illegal {
		t.Fatalf("porcupine verdict %v for local reads under partitions, want Illegal", res)
	}
}
