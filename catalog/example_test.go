package catalog_test

import (
	"fmt"

	"github.com/meridian-fed/meridian/catalog"
	"github.com/meridian-fed/meridian/policy"
)

// The leader builds a command, stamps its time, checks it and proposes its bytes; every
// replica applies the committed bytes at the raft index.
func Example() {
	s := catalog.New()
	boot := &catalog.Bootstrap{
		Federation: catalog.Federation{Name: "demo", DefaultPlacement: catalog.Placement{K: 3, M: 2}},
		Member: catalog.Member{ID: "nchc", Name: "NCHC", Region: "TW",
			Recipient: "age1raj2cr5f38edr63f73c9qxrjmpu26ykym6knp0rmxdkrus4jv30sxkxtq8"},
		Admin: catalog.User{ID: "alice", Member: "nchc", Roles: policy.RoleAdmin,
			Tokens: []catalog.Hash{catalog.TokenHash([]byte("alice's secret token"))}},
	}
	cmd, _ := catalog.NewCommand("alice", boot)
	cmd.Time = 1_700_000_000_000_000_000 // stamped by the leader
	b, _ := cmd.Encode()
	fmt.Println("check:", s.Check(b))
	r := s.Apply(1, b)
	fmt.Println("apply:", r.Err, r.Audit.Kind)
	sub, err := s.Authenticate(catalog.TokenHash([]byte("alice's secret token")))
	fmt.Println(sub.User, sub.Member, sub.Roles, err)
	// Output:
	// check: <nil>
	// apply: <nil> federation.bootstrap
	// alice nchc admin <nil>
}
