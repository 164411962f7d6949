package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"tiktok/app"
	"tiktok/internal/config"
)

// rolesCmd lists the registry's roles for the scripts (scripts/lib.sh,
// cluster.sh, kube.sh): its output is their input.
func rolesCmd(g *globals) *cobra.Command {
	var all, addr, rpc, admin bool
	cmd := &cobra.Command{
		Use: "roles",
		Short: "Print the roles of the registry, one per line, in start order: the RPC services, then the " +
			"workers (media); scripts read this",
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			var cfg *config.Config
			if addr || admin {
				var err error
				if cfg, err = config.Load(g.cfgFile); err != nil {
					return err
				}
			}
			if admin {
				// Every role, the gateway last, with its admin address.
				for _, r := range app.Registry {
					fmt.Fprintln(out, r.Name, app.AdminAddr(cfg, r.Name))
				}
				for _, w := range app.Workers {
					fmt.Fprintln(out, w.Name, app.AdminAddr(cfg, w.Name))
				}
				fmt.Fprintln(out, app.Gateway, app.AdminAddr(cfg, app.Gateway))
				return nil
			}
			for _, r := range app.Registry {
				if addr {
					fmt.Fprintln(out, r.Name, cfg.ServiceAddr(r.Name, r.Port))
				} else {
					fmt.Fprintln(out, r.Name)
				}
			}
			// Workers listen nowhere and register nowhere: not with --addr
			// or --rpc, which list what can be called.
			if !addr && !rpc {
				for _, w := range app.Workers {
					fmt.Fprintln(out, w.Name)
				}
				if all {
					fmt.Fprintln(out, app.Gateway)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also print the gateway, last")
	cmd.Flags().BoolVar(&addr, "addr", false, "only the RPC services, each with its listen address after its name")
	cmd.Flags().BoolVar(&admin, "admin", false, "every role, the gateway last, each with its admin listener's address")
	cmd.Flags().BoolVar(&rpc, "rpc", false, "only the RPC services (what registers in discovery)")
	return cmd
}
