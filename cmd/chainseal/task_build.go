//go:build chainseal_task

package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// The Task image's build (ko.yaml: -tags chainseal_task) only signs: it
// leaves out verify and migrate, whose dependencies (OPA and cosign's
// verification, the migration's writers) cost every finally task start-up
// time, memory and image size. The CLI users install has every command.

func newVerifyCommand() *cobra.Command { return notInTaskBuild("verify") }

func newMigrateCommand() *cobra.Command { return notInTaskBuild("migrate") }

func notInTaskBuild(name string) *cobra.Command {
	return &cobra.Command{
		Use:                name,
		Short:              "Not in the Task image's build: use the chainseal CLI",
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("%s is not in this build: the Task image's chainseal (built with -tags chainseal_task) only signs; run `chainseal %s` from the chainseal CLI (go install github.com/chainseal/chainseal/cmd/chainseal)", name, name)
		},
	}
}
