package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/meridian-fed/meridian/api"
	"github.com/meridian-fed/meridian/node"
)

// tlsFlags are the API's TLS settings of node run, init, join and federation init.
type tlsFlags struct {
	cert, key string
	plain     bool
	apiURL    string
}

func (f *tlsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.cert, "tls-cert", "", "PEM certificate (chain) for the API, e.g. from your institution's PKI (default: a self-signed one in the data dir)")
	fs.StringVar(&f.key, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&f.plain, "insecure-plain-http", false, "serve the API over plain HTTP: tokens and data cross the network in clear (for a TLS-terminating proxy on the same host only)")
	fs.StringVar(&f.apiURL, "api-url", "", "URL clients use to reach this node's API, registered in the catalog (default https://api-addr)")
}

func (f *tlsFlags) overrides(fs *pflag.FlagSet, set func(name, key string, v any)) {
	set("tls-cert", "tls_cert", f.cert)
	set("tls-key", "tls_key", f.key)
	set("insecure-plain-http", "insecure_plain_http", f.plain)
	set("api-url", "api_url", f.apiURL)
}

// printTLS tells the operator how the API is served: the pin clients need, or a warning.
func printTLS(w io.Writer, n *node.Node) {
	if pin := n.TLSPin(); pin != "" {
		fmt.Fprintf(w, "API certificate pin %s (clients put it in \"pins\" of their client config)\n", pin)
		return
	}
	fmt.Fprintln(w, "WARNING: the API serves plain HTTP (--insecure-plain-http): tokens and data cross the network in clear")
}

func newNodePinCmd() *cobra.Command {
	var dataDir string
	c := &cobra.Command{
		Use:   "pin",
		Short: "Print the running node's API URL and certificate pin, for client configs",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			url, pin, err := node.ReadAPIIdentity(dataDir)
			if err != nil {
				return err
			}
			if pin == "" {
				pin = "none (plain HTTP)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "api %s\npin %s\n", url, pin)
			return nil
		},
	}
	c.Flags().StringVar(&dataDir, "data-dir", "meridian-data", "data dir of the running node")
	return c
}

// printTLSStatus adds how the node serves its API, and its warnings, to status.
func printTLSStatus(w io.Writer, st *api.Status) {
	if t := st.TLS; t != nil {
		switch {
		case t.Pin != "":
			fmt.Fprintf(w, "api\t%s, %s certificate, pin %s, valid until %s\n", st.Node.API, t.Mode, t.Pin, t.NotAfter)
		default:
			fmt.Fprintf(w, "api\t%s, %s\n", st.Node.API, t.Mode)
		}
	}
	for _, warn := range st.Warnings {
		fmt.Fprintf(w, "WARNING\t%s\n", warn)
	}
}
