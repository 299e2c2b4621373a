package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newSignCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "sign",
		Short: "Build, sign and store the provenance of a PipelineRun",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("sign: not wired yet")
		},
	}
}
