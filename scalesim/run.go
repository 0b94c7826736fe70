package scalesim

import (
	"context"

	"github.com/meridian-fed/meridian/errs"
)

// Options set a simulation run. The zero value of a field means its default.
type Options struct {
	Shape
	Stripes     int       // stripes placed for balance, churn and repair (default 10,000)
	Trials      int       // joins and leaves averaged (default 5)
	StripeBytes int64     // stripe size for repair traffic (default 4 MiB)
	Variants    []Variant // default DefaultVariants
	DHT         DHTOptions
	SkipDHT     bool // placement figures only
}

func (o *Options) fill() {
	if o.Nodes == 0 {
		o.Nodes, o.Members, o.Regions = 100, 20, 8
	}
	if o.Stripes == 0 {
		o.Stripes = 10_000
	}
	if o.Trials == 0 {
		o.Trials = 5
	}
	if o.StripeBytes == 0 {
		o.StripeBytes = 4 << 20
	}
	if o.Variants == nil {
		o.Variants = DefaultVariants()
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// Report is everything a run measured.
type Report struct {
	Shape   Shape        `json:"shape"`
	Stripes int          `json:"stripes"`
	Balance []Balance    `json:"balance"`
	Joins   []Churn      `json:"joins"`
	Leaves  []Churn      `json:"leaves"`
	Repair  []RepairLoad `json:"repair"`
	DHT     *DHTReport   `json:"dht,omitempty"`
}

// Run simulates the federation of o with the real placement package and, unless SkipDHT, the
// real DHT over mocknet.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.fill()
	if o.Stripes < 1 || o.Trials < 1 || o.StripeBytes < 1 {
		return nil, errs.Errorf("scalesim.Run", errs.Invalid, "stripes, trials and stripe bytes must be positive")
	}
	f, err := NewFed(o.Shape)
	if err != nil {
		return nil, err
	}
	keys := StripeKeys(o.Stripes, o.Seed)
	r := &Report{Shape: o.Shape, Stripes: o.Stripes}
	for _, v := range o.Variants {
		if err := ctx.Err(); err != nil {
			return nil, errs.E("scalesim.Run", errs.Unavailable, err)
		}
		if err := r.variant(f, v, keys, o); err != nil {
			return nil, err
		}
	}
	if !o.SkipDHT {
		if r.DHT, err = RunDHT(ctx, f, o.DHT); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Report) variant(f *Fed, v Variant, keys [][32]byte, o Options) error {
	base, err := PlaceAll(f.Nodes, v.Policy, keys)
	if err != nil {
		return err
	}
	r.Balance = append(r.Balance, BalanceOf(v.Name, f.Nodes, v.Policy, base))
	j, err := JoinChurn(f, v, keys, base, o.Trials)
	if err != nil {
		return err
	}
	l, err := LeaveChurn(f, v, keys, base, o.Trials)
	if err != nil {
		return err
	}
	rep, err := MemberLoss(f.Nodes, v, keys, base, membersOf(f.Nodes)[0], o.StripeBytes)
	if err != nil {
		return err
	}
	r.Joins, r.Leaves, r.Repair = append(r.Joins, j), append(r.Leaves, l), append(r.Repair, rep)
	return nil
}
