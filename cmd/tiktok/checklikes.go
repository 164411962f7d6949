package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"tiktok/app/seed"
)

// checkLikesCmd checks the like counters against the likes rows.
func checkLikesCmd(g *globals) *cobra.Command {
	var url, dataDir string
	cmd := &cobra.Command{
		Use:   "check-likes",
		Short: "Compare every video's favorite_count (over HTTP) with the COUNT of its likes rows",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadData(cmd, dataDir)
			if err != nil {
				return err
			}
			n, err := seed.CheckLikes(cmd.Context(), cfg, url)
			if err != nil {
				return err
			}
			fmt.Printf("counter check passed: %d videos, every favorite_count equals COUNT(likes)\n", n)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080", "the gateway")
	cmd.Flags().StringVar(&dataDir, "data", "./data", "data folder of the embedded mode")
	return cmd
}
