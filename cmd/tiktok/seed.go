package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"tiktok/app/seed"
)

// seedCmd loads the benchmark dataset and prints its summary as JSON.
func seedCmd(g *globals) *cobra.Command {
	var dataDir, tokenFile string
	var small bool
	var scale, tokenCount int
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load the benchmark dataset into the configured database and storage",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadData(cmd, dataDir)
			if err != nil {
				return err
			}
			o := seed.Full
			if small {
				o = seed.Small
			}
			if scale < 1 {
				return fmt.Errorf("--scale %d: at least 1", scale)
			}
			sum, err := seed.Run(cmd.Context(), cfg, o.Times(scale))
			if err != nil {
				return err
			}
			if tokenFile != "" {
				f, err := os.OpenFile(tokenFile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
				if err != nil {
					return err
				}
				err = seed.WriteTokens(cmd.Context(), cfg, f, tokenCount)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return fmt.Errorf("tokens: %w", err)
				}
			}
			return json.NewEncoder(os.Stdout).Encode(sum)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "./data", "data folder of the embedded mode (SQLite, media)")
	cmd.Flags().BoolVar(&small, "small", false, "a tiny dataset, for a smoke run")
	cmd.Flags().IntVar(&scale, "scale", 1, "the dataset this many times larger, same shape (100: 100,000 users, 2,000,000 likes)")
	cmd.Flags().StringVar(&tokenFile, "tokens", "", "write \"token user_id\" lines for the first --token-count seed users to this file (mode 600)")
	cmd.Flags().IntVar(&tokenCount, "token-count", 4096, "how many users --tokens signs for")
	return cmd
}
