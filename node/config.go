package node

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/chunker"
	"github.com/meridian-fed/meridian/errs"
	"github.com/meridian-fed/meridian/store"
)

// Config is everything a node needs to run. DefaultConfig fills it; LoadConfig overlays a file,
// MERIDIAN_* environment variables and flags (in rising priority); Validate checks it.
type Config struct {
	DataDir     string        `mapstructure:"data_dir"`
	Member      string        `mapstructure:"member"`       // the member (institution) this node belongs to
	Listen      []string      `mapstructure:"listen"`       // libp2p multiaddrs (TCP only)
	APIAddr     string        `mapstructure:"api_addr"`     // host:port of the HTTP API
	Bootstrap   []string      `mapstructure:"bootstrap"`    // multiaddrs with /p2p/<id> of other nodes
	Capacity    int64         `mapstructure:"capacity"`     // bytes the shard store may use; 0 = disk
	StripeSize  int           `mapstructure:"stripe_size"`  // bytes of plaintext per stripe
	Transfers   int           `mapstructure:"transfers"`    // stripes in flight per PUT or GET
	MaxObject   int64         `mapstructure:"max_object"`   // largest accepted upload, bytes
	OrphanGrace time.Duration `mapstructure:"orphan_grace"` // unreferenced shards older than this are collected
	GCInterval  time.Duration `mapstructure:"gc_interval"`
	// RepairGrace is how long shards of an unreachable node are waited for before they are
	// rebuilt elsewhere; RepairInterval is the time between repair passes (0: defaults).
	RepairGrace    time.Duration `mapstructure:"repair_grace"`
	RepairInterval time.Duration `mapstructure:"repair_interval"`
	RepairRate     int64         `mapstructure:"repair_rate"` // repair traffic, bytes/s; 0: no limit
	LogLevel       string        `mapstructure:"log_level"`
	// FreshBound is how long a node that has lost touch with the Raft leader (or cannot apply
	// what it commits) keeps answering authenticated requests; 0: 3 Raft heartbeat timeouts
	// (1.5 s). It is the longest a revocation made through another node can take to hold here.
	FreshBound time.Duration `mapstructure:"fresh_bound"`

	// The API is served over HTTPS (see docs/node.md, "TLS"): with the operator's certificate
	// (TLSCert, TLSKey: PEM files) or else a self-signed one kept in the data dir. Plain HTTP
	// only with InsecurePlainHTTP. APIURL is the URL the node registers in the catalog for
	// clients (default: https://api_addr).
	TLSCert           string `mapstructure:"tls_cert"`
	TLSKey            string `mapstructure:"tls_key"`
	InsecurePlainHTTP bool   `mapstructure:"insecure_plain_http"`
	APIURL            string `mapstructure:"api_url"`

	// Logger is injected by the caller; nil means a text logger on stderr at LogLevel.
	Logger *slog.Logger `mapstructure:"-"`
	// StoreFS is the filesystem under the shard store; nil means the real one. Tests pass
	// store/strictfs to cut the power under a node (docs/testing.md).
	StoreFS store.FS `mapstructure:"-"`

	// APILimits bound what one API caller can make the node do (zero fields: api's
	// defaults; docs/api.md "Limits per caller"); node.yaml sets them under api_limits.
	APILimits api.Limits `mapstructure:"api_limits"`

	// Who may read /metrics and /v1/status (docs/node.md, "Who may see metrics and status"):
	// MetricsAccess network (default; MetricsAllow's CIDRs, default loopback), token or open;
	// StatusAccess token (default) or open.
	MetricsAccess string   `mapstructure:"metrics_access"`
	MetricsAllow  []string `mapstructure:"metrics_allow"`
	StatusAccess  string   `mapstructure:"status_access"`
}

// DefaultConfig returns a config for a node whose data lives in dir.
func DefaultConfig(dir string) Config {
	return Config{
		DataDir:     dir,
		Listen:      []string{"/ip4/0.0.0.0/tcp/4040"},
		APIAddr:     "127.0.0.1:8480",
		StripeSize:  4 << 20,
		Transfers:   8,
		RepairRate:  64 << 20,
		MaxObject:   1 << 40,
		OrphanGrace: time.Hour,
		GCInterval:  10 * time.Minute,
		LogLevel:    "info",
	}
}

// Validate reports the first problem with c, saying what to change.
func (c *Config) Validate() error {
	const op = "node.Config"
	switch {
	case c.DataDir == "":
		return errs.Errorf(op, errs.Invalid, "data_dir is empty; pass --data-dir or set MERIDIAN_DATA_DIR")
	case c.Member == "":
		return errs.Errorf(op, errs.Invalid, "member is empty; set it in node.yaml or MERIDIAN_MEMBER (run 'meridian node init --member ID')")
	case len(c.Listen) == 0:
		return errs.Errorf(op, errs.Invalid, "no listen address; set listen to e.g. /ip4/0.0.0.0/tcp/4040")
	case c.APIAddr == "":
		return errs.Errorf(op, errs.Invalid, "api_addr is empty; set it to host:port, e.g. 127.0.0.1:8480")
	case c.MaxObject <= 0:
		return errs.Errorf(op, errs.Invalid, "max_object must be positive")
	case c.OrphanGrace < time.Second || c.GCInterval < time.Second:
		return errs.Errorf(op, errs.Invalid, "orphan_grace and gc_interval must be at least 1s")
	case c.Transfers < 1 || c.Transfers > chunker.MaxWorkers:
		return errs.Errorf(op, errs.Invalid, "transfers must be 1 to %d", chunker.MaxWorkers)
	case c.RepairRate < 0:
		return errs.Errorf(op, errs.Invalid, "repair_rate must be >= 0 bytes/s (0: no limit)")
	case c.FreshBound != 0 && (c.FreshBound < 100*time.Millisecond || c.FreshBound > time.Hour):
		return errs.Errorf(op, errs.Invalid, "fresh_bound %v out of range 100ms..1h (0: the default, 3 Raft heartbeat timeouts)", c.FreshBound)
	case c.Capacity < 0:
		return errs.Errorf(op, errs.Invalid, "capacity must be >= 0 (0 means the disk's free space)")
	}
	for _, a := range c.Listen {
		if strings.Contains(a, "/quic") || strings.Contains(a, "/udp/") {
			return errs.Errorf(op, errs.Invalid, "listen address %s is not TCP; the private federation mesh runs on TCP only", a)
		}
	}
	if err := (chunker.Params{K: 1, M: 1, StripeSize: c.StripeSize}).Validate(); err != nil {
		return errs.Errorf(op, errs.Invalid, "stripe_size %d: %v", c.StripeSize, err)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return errs.E(op, errs.Invalid, err)
	}
	if _, err := c.apiAccess(); err != nil {
		return err
	}
	return c.validateTLS()
}

// ConfigFile is the name of the config file inside the data dir.
const ConfigFile = "node.yaml"

// LoadConfig builds the config of the node in dir: defaults, then dir/node.yaml when present,
// then MERIDIAN_* environment variables (MERIDIAN_API_ADDR, ...), then overrides (flag values
// the caller set explicitly, by config key).
func LoadConfig(dir string, overrides map[string]any) (Config, error) {
	c := DefaultConfig(dir)
	v := viper.New()
	v.SetConfigFile(filepath.Join(dir, ConfigFile))
	v.SetEnvPrefix("MERIDIAN")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for _, k := range []string{"data_dir", "member", "listen", "api_addr", "bootstrap", "capacity", "stripe_size", "transfers",
		"max_object", "orphan_grace", "gc_interval", "repair_grace", "repair_interval", "repair_rate", "log_level", "fresh_bound",
		"tls_cert", "tls_key", "insecure_plain_http", "api_url", "metrics_access", "metrics_allow", "status_access"} {
		_ = v.BindEnv(k) // BindEnv with one key cannot fail
	}
	if err := v.ReadInConfig(); err != nil && !isNotFound(err) {
		return c, errs.Errorf("node.LoadConfig", errs.Invalid, "read %s: %v; fix or delete the file", v.ConfigFileUsed(), err)
	}
	for k, val := range overrides {
		v.Set(k, val)
	}
	if err := v.Unmarshal(&c); err != nil {
		return c, errs.Errorf("node.LoadConfig", errs.Invalid, "config: %v", err)
	}
	if c.DataDir == "" {
		c.DataDir = dir
	}
	return c, c.Validate()
}

func isNotFound(err error) bool {
	_, ok := err.(viper.ConfigFileNotFoundError)
	return ok || strings.Contains(err.Error(), "no such file")
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log_level %q: use debug, info, warn or error", s)
	}
	return l, nil
}
