package testnet

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/consensus"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/pid"
	"github.com/meridian-fed/meridian/policy"
)

// The bench federation: three members, an admin each, a publisher of m0 with its own key, a
// reader of m1, and one federation-wide catalog, so every object carries three wrapped keys.
const (
	benchCatalog   = "bench"
	benchPublisher = "m0-pub"
	benchReader    = "m1-read"
	benchTiles     = 1000 // distinct name prefixes and "tile" meta values
	benchWrapped   = 200  // bytes of an age-wrapped data key for one member
)

var benchMembers = []string{"m0", "m1", "m2"}

// benchLoad makes and proposes the bench's commands.
type benchLoad struct {
	pubKey  ed25519.PrivateKey
	seed    uint64
	retries atomic.Int64 // proposals repeated after an unknown outcome (a leader change)
}

func newBenchLoad() *benchLoad {
	sum := sha256.Sum256([]byte("meridian catalog bench publisher"))
	return &benchLoad{pubKey: ed25519.NewKeyFromSeed(sum[:]), seed: 1}
}

// setup proposes the federation, its members, users and the catalog.
func (l *benchLoad) setup(ctx context.Context, n *consensus.Node) error {
	var bodies []catalog.Body
	for i, m := range benchMembers {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return err
		}
		mem := catalog.Member{ID: m, Name: "Institution " + m, Region: "TW", Recipient: id.Recipient().String()}
		admin := catalog.User{ID: m + "-admin", Member: m, Roles: policy.RoleAdmin}
		if i == 0 {
			bodies = append(bodies, &catalog.Bootstrap{Federation: catalog.Federation{Name: "bench",
				DefaultPlacement: catalog.Placement{K: 3, M: 2}}, Member: mem, Admin: admin})
		} else {
			bodies = append(bodies, &catalog.AddMember{Member: mem, Admin: &admin})
		}
	}
	bodies = append(bodies,
		&catalog.AddUser{User: catalog.User{ID: benchPublisher, Member: "m0", Roles: policy.RolePublish, Key: l.pubKey.Public().(ed25519.PublicKey)}},
		&catalog.CreateCatalog{Name: benchCatalog, Owner: "m0", Scope: policy.Scope{Kind: policy.ScopeFederation}})
	for _, b := range bodies {
		if err := propose(ctx, n, "m0-admin", b); err != nil {
			return err
		}
	}
	return propose(ctx, n, "m1-admin", &catalog.AddUser{User: catalog.User{ID: benchReader, Member: "m1", Roles: policy.RoleRead}})
}

func propose(ctx context.Context, n *consensus.Node, actor string, b catalog.Body) error {
	cmd, err := catalog.NewCommand(actor, b)
	if err != nil {
		return err
	}
	cmd.Time = time.Now().UnixNano() // the leader's stamp, as node does
	raw, err := cmd.Encode()
	if err != nil {
		return err
	}
	_, err = n.Propose(ctx, raw)
	return err
}

// benchObject describes object i: a name under one of benchTiles prefixes, a datetime in
// 2015–2024, a 1°×1° box anywhere, a platform and a tile.
func (l *benchLoad) object(i int) (name string, meta map[string]any) {
	rng := mrand.New(mrand.NewPCG(l.seed, uint64(i)))
	tile := rng.IntN(benchTiles)
	when := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(10 * 365 * 24 * time.Hour))))
	x, y := float64(rng.IntN(359_000)-180_000)/1000, float64(rng.IntN(179_000)-90_000)/1000
	return fmt.Sprintf("T%03d_%08d.tif", tile, i), map[string]any{
		pid.MetaDatetime: when.Format(time.RFC3339),
		pid.MetaBBox:     fmt.Sprintf("%.3f,%.3f,%.3f,%.3f", x, y, x+1, y+1),
		"platform":       []string{"S2A", "S2B", "L8", "L9", "S1A", "S1B", "S3A", "S3B"}[rng.IntN(8)],
		"tile":           fmt.Sprintf("T%03d", tile),
	}
}

// publish builds, signs and encodes the publish command of object i.
func (l *benchLoad) publish(i int) (cid.Cid, []byte, error) {
	name, meta := l.object(i)
	content := fmt.Appendf(nil, "bench content %d", i)
	sum := sha256.Sum256(content)
	h, err := mh.Encode(sum[:], mh.SHA2_256)
	if err != nil {
		return cid.Undef, nil, err
	}
	r := &pid.Record{V: pid.Version, Content: cid.NewCidV1(cid.Raw, h), SHA256: sum[:], Size: int64(len(content)),
		Type: "image/tiff", Name: name, Catalog: benchCatalog, Meta: meta,
		Publisher: pid.Publisher{Member: "m0", User: benchPublisher}, Created: "2025-01-01T00:00:00Z"}
	if err := r.Sign(l.pubKey); err != nil {
		return cid.Undef, nil, err
	}
	rec, err := r.Encode()
	if err != nil {
		return cid.Undef, nil, err
	}
	p := pid.Sum(rec)
	mf, _ := mh.Sum(append([]byte("manifest "), rec...), mh.SHA2_256, -1)
	keys := make([]catalog.WrappedKey, len(benchMembers))
	for j, m := range benchMembers {
		k := make([]byte, benchWrapped) // random, like ciphertext: no compression may flatter the figures
		rng := mrand.New(mrand.NewPCG(uint64(i), uint64(j)))
		for b := range k {
			k[b] = byte(rng.Uint32())
		}
		keys[j] = catalog.WrappedKey{Member: m, Key: k}
	}
	cmd, err := catalog.NewCommand(benchPublisher, &catalog.Publish{PID: p.String(), Record: rec,
		Manifest: cid.NewCidV1(cid.DagCBOR, mf).String(), Keys: keys})
	if err != nil {
		return cid.Undef, nil, err
	}
	cmd.Time = time.Now().UnixNano()
	raw, err := cmd.Encode()
	return p, raw, err
}

// publishAll proposes objects 0..n-1 from workers concurrent proposals (raft commits what is
// queued together in one disk write) and returns their PIDs and the time it took.
func (l *benchLoad) publishAll(ctx context.Context, n *consensus.Node, count, workers int) ([]cid.Cid, time.Duration, error) {
	pids := make([]cid.Cid, count)
	var next atomic.Int64
	var once sync.Once
	var first error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	t0 := time.Now()
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < count && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				p, cmd, err := l.publish(i)
				if err == nil {
					err = proposeOnce(ctx, n, cmd, &l.retries)
				}
				if err != nil {
					once.Do(func() { first = fmt.Errorf("object %d: %w", i, err); cancel() })
					return
				}
				pids[i] = p
			}
		})
	}
	wg.Wait()
	return pids, time.Since(t0), first
}

// proposeOnce proposes a publish until its outcome is known. A leader change leaves the
// outcome unknown; proposing again is safe because a PID is published at most once: the
// repeat is then rejected as Exist, which means the first attempt committed.
func proposeOnce(ctx context.Context, n *consensus.Node, cmd []byte, retries *atomic.Int64) error {
	for attempt := 0; ; attempt++ {
		_, err := n.Propose(ctx, cmd)
		switch {
		case err == nil:
			return nil
		case consensus.IsRejected(err):
			if attempt > 0 && errs.Is(err, errs.Exist) {
				return nil
			}
			return err
		case attempt == 5 || ctx.Err() != nil:
			return err
		}
		retries.Add(1)
	}
}

// clientCPU returns the CPU per object of building, signing and encoding n publish commands
// on this goroutine alone.
func (l *benchLoad) clientCPU(n int) (time.Duration, error) {
	cpu0 := processCPU()
	for i := range n {
		if _, _, err := l.publish(i); err != nil {
			return 0, err
		}
	}
	return (processCPU() - cpu0) / time.Duration(n), nil
}
