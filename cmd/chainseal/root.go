package main

import "github.com/spf13/cobra"

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "chainseal",
		Short:         "Sign Tekton build provenance from a finally task, and verify it",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCommand(), newSignCommand(), newVerifyCommand(), newMigrateCommand())
	return root
}
