package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"tiktok/app"
)

// serveCmd runs the embedded mode: every role in one process.
func serveCmd(g *globals) *cobra.Command {
	var httpAddr, adminAddr, dataDir string
	var demoOn bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway and every service in one process (SQLite and media in --data)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("http") {
				cfg.HTTP.Addr = httpAddr
			}
			if cmd.Flags().Changed("admin") {
				cfg.Admin.Addr = adminAddr
			}
			if cmd.Flags().Changed("data") {
				cfg.DataDir = dataDir
			}
			if cmd.Flags().Changed("demo") {
				cfg.Demo = demoOn
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			sys, err := app.Embedded(ctx, cfg)
			if err != nil {
				return err
			}
			fmt.Printf("tiktok is serving on %s (feed: %s/douyin/feed/)\n", sys.URL, sys.URL)
			if sys.AdminURL != "" {
				fmt.Printf("admin: %s/healthz, /readyz, /metrics\n", sys.AdminURL)
			}
			<-ctx.Done()
			fmt.Println("shutting down...")
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			sys.Shutdown(sctx)
			return nil
		},
	}
	cmd.Flags().StringVar(&httpAddr, "http", "127.0.0.1:8080", "address of the HTTP gateway")
	cmd.Flags().StringVar(&adminAddr, "admin", fmt.Sprintf("127.0.0.1:%d", app.GatewayAdminPort), `address of the admin listener (/healthz, /readyz, /metrics); "off": none`)
	cmd.Flags().StringVar(&dataDir, "data", "./data", "folder for the database files, media and generated key")
	cmd.Flags().BoolVar(&demoOn, "demo", true, "load the demo set into an empty database")
	return cmd
}
