package testnet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/node"
)

// ProcOptions shape a federation of node processes.
type ProcOptions struct {
	Binary  string // the meridian executable to run
	Dir     string // parent of the nodes' data dirs; also holds testnet.json and client.json
	Nodes   int
	Members int
	K, M    int
	Timeout time.Duration // for the whole bring-up; 0: 2 minutes
}

// ProcNode is one node process of a ProcCluster.
type ProcNode struct {
	Dir    string `json:"dir"`
	Member string `json:"member"`
	Region string `json:"region"`
	API    string `json:"api"`
	Listen string `json:"listen"`
	PID    int    `json:"pid"`
}

// ProcCluster is a federation of `meridian` processes, described by Dir/testnet.json so
// later commands (down, kill, start) can find it.
type ProcCluster struct {
	Binary string     `json:"binary"`
	Dir    string     `json:"dir"`
	Token  string     `json:"token"`
	Nodes  []ProcNode `json:"nodes"`
	// MemberTokens holds a first admin token of every member (procs_gov.go).
	MemberTokens map[string]string `json:"member_tokens,omitempty"`
}

// StateFile names the description of a process testnet inside its dir.
const StateFile = "testnet.json"

// UpProcesses starts a federation of node processes: node 0 runs `federation init`, the
// others `node join` with invites node 0's data dir issues; then a "default" catalog of
// federation scope is created.
func UpProcesses(ctx context.Context, o ProcOptions) (*ProcCluster, error) {
	opts := Options{Nodes: o.Nodes, Members: o.Members, K: o.K, M: o.M}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, errs.E("testnet.Up", errs.Invalid, err)
	}
	if pc, err := LoadProcCluster(dir); err == nil {
		return pc, pc.restartAll(ctx) // a testnet stopped by 'down': start it again from disk
	}
	pc := &ProcCluster{Binary: o.Binary, Dir: dir}
	all, err := FreePorts(2 * opts.Nodes) // at once: see Start
	if err != nil {
		return pc, err
	}
	for i := 0; i < opts.Nodes; i++ {
		ports := all[2*i : 2*i+2]
		pc.Nodes = append(pc.Nodes, ProcNode{
			Dir: filepath.Join(dir, fmt.Sprintf("node%d", i)), Member: MemberOf(i, opts.Members), Region: regions[i%opts.Members],
			API: fmt.Sprintf("127.0.0.1:%d", ports[1]), Listen: fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", ports[0]),
		})
	}
	if err := pc.bringUp(ctx, opts); err != nil {
		pc.Down(false)
		return nil, err
	}
	return pc, nil
}

func (pc *ProcCluster) bringUp(ctx context.Context, opts Options) error {
	tokenFile := filepath.Join(pc.Dir, "admin.token")
	for _, i := range joinOrder(len(pc.Nodes), opts.Members) {
		nd := &pc.Nodes[i]
		first := firstOfMember(i, opts.Members) == i
		if first := firstOfMember(i, opts.Members); first != i {
			if err := copyMemberKey(pc.Nodes[first].Dir, nd.Dir); err != nil {
				return err
			}
		}
		common := []string{"--data-dir", nd.Dir, "--member", nd.Member, "--region", nd.Region, "--listen", nd.Listen, "--api-addr", nd.API}
		var args []string
		if i == 0 {
			args = append([]string{"federation", "init", "--name", "testnet", "--k", strconv.Itoa(opts.K), "--m", strconv.Itoa(opts.M), "--admin-token-file", MemberTokenFile(pc.Dir, nd.Member)}, common...)
		} else {
			id, err := pc.initNode(i)
			if err != nil {
				return err
			}
			voter, err := pc.prepareJoin(ctx, i, first, id)
			if err != nil {
				return err
			}
			inv, err := node.IssueInvite(pc.Nodes[inviterOf(i, opts.Members)].Dir, nd.Member, voter, time.Hour)
			if err != nil {
				return err
			}
			// from a file, as operators should: an argument would show the federation key in ps
			invFile := filepath.Join(pc.Dir, fmt.Sprintf("invite-%d", i))
			if err := os.WriteFile(invFile, []byte(inv+"\n"), 0o600); err != nil {
				return errs.E("testnet.Up", errs.Unavailable, err)
			}
			args = append([]string{"node", "join", "--invite-file", invFile, "--admin-token-file", MemberTokenFile(pc.Dir, nd.Member)}, common...)
		}
		if err := pc.spawn(i, args); err != nil {
			return err
		}
		if err := waitFile(ctx, nd.PID, filepath.Join(nd.Dir, node.StateFile)); err != nil {
			return fmt.Errorf("node %d did not become a member (see %s): %w", i, filepath.Join(nd.Dir, "node.log"), err)
		}
		if first {
			if err := pc.readMemberToken(i); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(tokenFile, []byte(pc.Token+"\n"), 0o600); err != nil { // the name older scripts read
		return errs.E("testnet.Up", errs.Unavailable, err)
	}
	if err := pc.save(); err != nil {
		return err
	}
	if err := pc.WaitReady(ctx); err != nil {
		return err
	}
	cl, err := api.NewClient(pc.Endpoints(), pc.Token, pc.TLS())
	if err != nil {
		return err
	}
	_, err = cl.CreateCatalog(ctx, api.Catalog{Name: "default", Scope: "federation"})
	return err
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// spawn starts node i's process in its own session, logging to its data dir.
func (pc *ProcCluster) spawn(i int, args []string) error {
	nd := &pc.Nodes[i]
	if err := os.MkdirAll(nd.Dir, 0o700); err != nil {
		return errs.E("testnet.spawn", errs.Unavailable, err)
	}
	logf, err := os.OpenFile(filepath.Join(nd.Dir, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return errs.E("testnet.spawn", errs.Unavailable, err)
	}
	defer logf.Close()
	os.Remove(filepath.Join(nd.Dir, "addrs.json")) // a stale one would look like a started node
	cmd := exec.Command(pc.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return errs.Errorf("testnet.spawn", errs.Unavailable, "start %s: %v", pc.Binary, err)
	}
	nd.PID = cmd.Process.Pid
	go cmd.Wait() //nolint:errcheck // reaps the child if this process outlives it
	return pc.save()
}

// waitFile waits until path exists, failing early when process pid has exited.
func waitFile(ctx context.Context, pid int, path string) error {
	return waitFor(ctx, func() error {
		_, err := os.Stat(path)
		if err != nil && !alive(pid) {
			return backoffStop{errs.Errorf("testnet.wait", errs.Unavailable, "process %d exited", pid)}
		}
		return err
	})
}

// Endpoints returns the nodes' API addresses in order.
func (pc *ProcCluster) Endpoints() []string {
	var out []string
	for _, n := range pc.Nodes {
		out = append(out, n.API)
	}
	return out
}

// WaitReady waits until every node whose process runs answers /readyz with 200.
func (pc *ProcCluster) WaitReady(ctx context.Context) error {
	for i, n := range pc.Nodes {
		if !alive(n.PID) {
			continue
		}
		url := "https://" + n.API + "/readyz"
		err := waitFor(ctx, func() error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			hc := pc.HTTPClient() // pins read each time: a new node makes its certificate at start
			defer hc.CloseIdleConnections()
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("readyz: %s", resp.Status)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("node %d not ready (see %s): %w", i, filepath.Join(n.Dir, "node.log"), err)
		}
	}
	return nil
}

func (pc *ProcCluster) save() error {
	b, _ := json.MarshalIndent(pc, "", "  ")
	return os.WriteFile(filepath.Join(pc.Dir, StateFile), b, 0o600)
}

// LoadProcCluster reads the testnet described in dir.
func LoadProcCluster(dir string) (*ProcCluster, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, errs.Errorf("testnet.Load", errs.NotExist, "no testnet in %s: start one with 'meridian testnet up'", dir)
	}
	var pc ProcCluster
	if err := json.Unmarshal(b, &pc); err != nil {
		return nil, errs.E("testnet.Load", errs.Corrupt, err)
	}
	return &pc, nil
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// Kill sends SIGKILL to node i's process.
func (pc *ProcCluster) Kill(i int) error {
	if i < 0 || i >= len(pc.Nodes) {
		return errs.Errorf("testnet.Kill", errs.Invalid, "no node %d: nodes are 0 to %d", i, len(pc.Nodes)-1)
	}
	if p := pc.Nodes[i].PID; alive(p) {
		if err := syscall.Kill(p, syscall.SIGKILL); err != nil {
			return errs.E("testnet.Kill", errs.Unavailable, err)
		}
		waitGone(p, 10*time.Second)
	}
	return nil
}

// Start runs node i again from its data dir (after Kill or Down).
func (pc *ProcCluster) Start(ctx context.Context, i int) error {
	if i < 0 || i >= len(pc.Nodes) {
		return errs.Errorf("testnet.Start", errs.Invalid, "no node %d: nodes are 0 to %d", i, len(pc.Nodes)-1)
	}
	if alive(pc.Nodes[i].PID) {
		return errs.Errorf("testnet.Start", errs.Conflict, "node %d is running (pid %d)", i, pc.Nodes[i].PID)
	}
	if err := pc.spawn(i, []string{"node", "run", "--data-dir", pc.Nodes[i].Dir}); err != nil {
		return err
	}
	return waitFile(ctx, pc.Nodes[i].PID, filepath.Join(pc.Nodes[i].Dir, "addrs.json"))
}

// Down stops every node with SIGTERM (SIGKILL after 15 s) and, with purge, deletes the dir.
func (pc *ProcCluster) Down(purge bool) error {
	for _, n := range pc.Nodes {
		if alive(n.PID) {
			syscall.Kill(n.PID, syscall.SIGTERM) //nolint:errcheck // it may have just exited
		}
	}
	for _, n := range pc.Nodes {
		if !waitGone(n.PID, 15*time.Second) {
			syscall.Kill(n.PID, syscall.SIGKILL) //nolint:errcheck
			waitGone(n.PID, 5*time.Second)
		}
	}
	if purge {
		return os.RemoveAll(pc.Dir)
	}
	for i := range pc.Nodes {
		pc.Nodes[i].PID = 0
	}
	return pc.save()
}

// restartAll starts every node that is not running and waits until all are ready.
func (pc *ProcCluster) restartAll(ctx context.Context) error {
	for i := range pc.Nodes {
		if alive(pc.Nodes[i].PID) {
			continue
		}
		if err := pc.Start(ctx, i); err != nil {
			return err
		}
	}
	return pc.WaitReady(ctx)
}

// waitGone polls until pid no longer exists, up to d.
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond) // polling a process table: no event to wait on
	}
	return true
}
