package main

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/chainseal/chainseal/pkg/version"
	"github.com/spf13/cobra"
)

func newVersionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print chainseal's version and the versions of Tekton, sigstore and rekor it was built with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Get()
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			fmt.Fprintf(out, "chainseal %s (%s)\n", info.Version, info.GoVersion)
			mods := make([]string, 0, len(info.Modules))
			for m := range info.Modules {
				mods = append(mods, m)
			}
			sort.Strings(mods)
			for _, m := range mods {
				fmt.Fprintf(out, "  %s %s\n", m, info.Modules[m])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
