package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newVerifyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify IMAGE@DIGEST",
		Short: "Verify the provenance chainseal stored for an image",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("verify: not wired yet")
		},
	}
}
