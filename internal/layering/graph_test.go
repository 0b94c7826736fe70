package layering

// imports is, for each package (relative to the module), exactly the project packages its
// non-test files import. testImports is, for each package with any, exactly the further project
// packages its test files import (in-package, external _test and integration-tagged tests).
// Together they are the module's real import graph: TestImportGraphIsTheTable fails on an edge
// missing here (a new dependency is placed on purpose, in docs/ARCHITECTURE.md too) and on an
// edge listed here that no file has (the table is not a wish list). Keep in step with DESIGN.md
// "Packages and the direction of dependencies" and docs/ARCHITECTURE.md.
var imports = map[string][]string{
	"errs":                   {},
	"internal/layering":      {},
	"blockhash":              {"errs"},
	"pid":                    {"errs"},
	"policy":                 {"errs"},
	"placement":              {"errs"},
	"store":                  {"blockhash", "errs"},
	"store/storetest":        {"blockhash", "errs", "store"},
	"store/strictfs":         {"store"},
	"chunker":                {"blockhash", "chunker/crypt", "errs"},
	"chunker/crypt":          {"errs"},
	"catalog":                {"errs", "pid", "placement", "policy"},
	"consensus":              {"errs"}, // declares its own FSM; node adapts catalog.State to it
	"p2p":                    {"errs", "p2p/fetch", "p2p/shardproto", "p2p/wire", "store"},
	"p2p/fetch":              {"errs"},
	"p2p/internal/fakestore": {"blockhash", "errs", "store"},
	"p2p/shardproto":         {"blockhash", "errs", "p2p/wire", "store"},
	"p2p/wire":               {"errs"},
	"api":                    {"catalog", "errs", "pid"}, // catalog, pid: their input checks and PID parsing, no state
	"repair":                 {"chunker", "errs", "placement", "store"},
	"scalesim":               {"blockhash", "errs", "p2p", "p2p/fetch", "p2p/shardproto", "placement", "store"},
	"node":                   {"api", "catalog", "chunker", "chunker/crypt", "consensus", "errs", "p2p", "p2p/shardproto", "pid", "placement", "policy", "repair", "store"},
	"testnet":                {"api", "catalog", "chunker", "consensus", "errs", "node", "pid", "policy", "store"}, // catalog, consensus, policy: the catalog benchmark's bare raft cluster
	"cmd/meridian":           {"api", "chunker", "errs", "node", "p2p", "pid", "scalesim", "testnet"},
}

var testImports = map[string][]string{
	"api":            {"policy"},
	"store":          {"store/storetest", "store/strictfs"},
	"p2p":            {"p2p/internal/fakestore"},
	"p2p/fetch":      {"p2p/internal/fakestore", "p2p/shardproto"},
	"p2p/shardproto": {"p2p/internal/fakestore"},
	"node":           {"testnet"}, // the external integration tests start federations
	"testnet":        {"p2p/shardproto", "placement", "store/strictfs"},
}

// never lists edges the design rules out, in production or test code; the table may not
// list them either, so allowing one takes a change here with its reason.
var never = []struct{ from, to, why string }{
	{"consensus", "catalog", "consensus declares the FSM it drives; node adapts catalog.State to it"},
	{"catalog", "consensus", "the catalog is a pure state machine, no raft"},
	{"api", "node", "api serves any api.Backend; node implements it"},
	{"p2p", "catalog", "the mesh knows membership through an interface, not the catalog"},
	{"placement", "catalog", "placement is a pure leaf the catalog uses"},
}
