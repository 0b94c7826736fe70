package main

import "github.com/spf13/pflag"

// accessFlags say who may read a node's /metrics and /v1/status (docs/node.md, "Who may see
// metrics and status"); node.yaml keys metrics_access, metrics_allow, status_access.
type accessFlags struct {
	metrics, status string
	allow           []string
}

func (f *accessFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.metrics, "metrics-access", "", "who may read /metrics: network (addresses in --metrics-allow; the default), token (a token of this node's member) or open")
	fs.StringSliceVar(&f.allow, "metrics-allow", nil, "networks (CIDRs or addresses) served /metrics under metrics-access network (default: loopback only)")
	fs.StringVar(&f.status, "status-access", "", "who may read /v1/status: token (the default) or open (anonymous callers see its public part)")
}

func (f *accessFlags) overrides(set func(name, key string, v any)) {
	set("metrics-access", "metrics_access", f.metrics)
	set("metrics-allow", "metrics_allow", f.allow)
	set("status-access", "status_access", f.status)
}
