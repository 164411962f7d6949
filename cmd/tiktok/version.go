package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"tiktok/internal/buildinfo"
)

// versionCmd names the build: the version and commit stamped at build time
// (scripts/lib.sh, build_tiktok), or the commit Go recorded.
func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit of this build",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			version, commit := buildinfo.Get()
			if commit == "" {
				commit = "unknown"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tiktok %s commit %s\n", version, commit)
		},
	}
}
