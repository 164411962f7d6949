package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"tiktok/app"
	"tiktok/internal/config"
)

// gatewayCmd runs the HTTP gateway alone.
func gatewayCmd(g *globals) *cobra.Command {
	return runCmd(g, app.Gateway, "Run the HTTP gateway alone", app.RunGateway)
}

// roleCmds are a command per role of the registry but the gateway: each RPC
// service, then each worker, run alone.
func roleCmds(g *globals) []*cobra.Command {
	var cmds []*cobra.Command
	for _, name := range app.Names() {
		cmds = append(cmds, runCmd(g, name, "Run the "+name+" RPC service alone",
			func(ctx context.Context, cfg *config.Config) error { return app.RunService(ctx, cfg, name) }))
	}
	for _, w := range app.Workers {
		cmds = append(cmds, runCmd(g, w.Name, "Run the "+w.Name+" workers alone (jobs from NATS; see docs/OPERATIONS.md)",
			func(ctx context.Context, cfg *config.Config) error { return app.RunWorker(ctx, cfg, w.Name) }))
	}
	return cmds
}

// runCmd is the command that runs one role until SIGINT or SIGTERM.
func runCmd(g *globals, name, short string, run func(context.Context, *config.Config) error) *cobra.Command {
	return &cobra.Command{
		Use:   name,
		Short: short,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return run(ctx, cfg)
		},
	}
}
