package main

import (
	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. Each command lives in its own file as newXxxCmd.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "meridian",
		Short:         "Meridian: a federated, erasure-coded, encrypted data network",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newCIDCmd(), newCodecCmd(),
		newNodeCmd(), newFederationCmd(), newTestnetCmd(), newBenchCmd(), newScorecardCmd(),
		newPutCmd(), newGetCmd(), newResolveCmd(), newLsCmd(), newSearchCmd(), newCatalogCmd(), newUserCmd(), newMembersCmd(), newNodesCmd(), newStatusCmd(), newAuditCmd(), newProvenanceCmd(), newVerifyCmd(),
	// Commands are added here, one line each.
	)
	return root
}
