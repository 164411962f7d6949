// Command tiktok is the whole backend in one binary, with a subcommand per
// role: `serve` runs everything in one process; `gateway` and each service
// name run that role alone.
package main

import (
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		os.Exit(1)
	}
}

// newRoot is the command line: the --config every subcommand reads, and the
// subcommands, one file each (the usage lists them sorted by name).
func newRoot() *cobra.Command {
	root := &cobra.Command{Use: "tiktok", Short: "The tiktok short-video backend", SilenceUsage: true}
	g := &globals{}
	root.PersistentFlags().StringVar(&g.cfgFile, "config", "", "YAML configuration file (defaults are built in)")
	root.AddCommand(serveCmd(g), seedCmd(g), checkLikesCmd(g), gatewayCmd(g), rolesCmd(g), versionCmd())
	root.AddCommand(roleCmds(g)...)
	return root
}
