// Command tiktok is the whole backend in one binary, with a subcommand per
// role: `serve` runs everything in one process; `gateway` and each service
// name run that role alone.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/spf13/cobra"

	"tiktok/app"
	"tiktok/app/seed"
	"tiktok/internal/buildinfo"
	"tiktok/internal/config"
	"tiktok/internal/logx"
)

// softMemoryLimit is each process's default soft memory limit
// (docs/OPERATIONS.md).
const softMemoryLimit = 768 << 20

// memoryLimit is the soft limit for a process whose container may use at
// most cgroup bytes (0: no limit): 768 MiB, or 90% of the container's limit
// when that is lower, so the collector tightens before the kernel kills.
func memoryLimit(cgroup int64) int64 {
	if nine := cgroup / 10 * 9; cgroup > 0 && nine < softMemoryLimit {
		return nine
	}
	return softMemoryLimit
}

// readCgroupLimit is the memory limit of this process's cgroup (v2), 0 when
// there is none or it cannot be read.
func readCgroupLimit() int64 {
	b, err := os.ReadFile("/sys/fs/cgroup/memory.max")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64) // "max": no limit
	if err != nil {
		return 0
	}
	return n
}

func main() {
	var cfgFile string
	root := &cobra.Command{Use: "tiktok", Short: "The tiktok short-video backend", SilenceUsage: true}
	root.PersistentFlags().StringVar(&cfgFile, "config", "", "YAML configuration file (defaults are built in)")

	load := func() (*config.Config, error) {
		cfg, err := config.Load(cfgFile)
		if err != nil {
			return nil, err
		}
		logx.Init(cfg.Log.Level, cfg.Log.Format)
		klog.SetLevel(klog.LevelWarn)
		if os.Getenv("GOGC") == "" {
			// The live heap is small (tens of MB) and a request allocates a
			// lot of short-lived RPC and JSON garbage: collecting at 5x the
			// live heap rather than 2x took GC off the feed's profile
			// (docs/PERFORMANCE.md). GOGC still overrides it.
			debug.SetGCPercent(400)
		}
		if os.Getenv("GOMEMLIMIT") == "" {
			// That 5x assumed a small live heap. On a hundred times the data
			// the caches and remembered records hold hundreds of MB, and 5x of
			// that took the embedded process from 0.5 to 1.7 GB: past this
			// soft limit the collector runs more often instead (the
			// runtime keeps it under half the CPU). GOMEMLIMIT overrides it.
			debug.SetMemoryLimit(memoryLimit(readCgroupLimit()))
		}
		return cfg, nil
	}

	var httpAddr, dataDir string
	var demoOn bool
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway and every service in one process (SQLite and media in --data)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := load()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("http") {
				cfg.HTTP.Addr = httpAddr
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
	serve.Flags().StringVar(&httpAddr, "http", "127.0.0.1:8080", "address of the HTTP gateway")
	serve.Flags().StringVar(&dataDir, "data", "./data", "folder for the database files, media and generated key")
	serve.Flags().BoolVar(&demoOn, "demo", true, "load the demo set into an empty database")
	root.AddCommand(serve)

	// loadData is load with --data (the embedded mode's folder) applied when given.
	var dataFlag string
	loadData := func(cmd *cobra.Command) (*config.Config, error) {
		cfg, err := load()
		if err == nil && cmd.Flags().Changed("data") {
			cfg.DataDir = dataFlag
		}
		return cfg, err
	}
	var small bool
	var scale, tokenCount int
	var tokenFile string
	seedCmd := &cobra.Command{
		Use:   "seed",
		Short: "Load the benchmark dataset into the configured database and storage",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadData(cmd)
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
	seedCmd.Flags().StringVar(&dataFlag, "data", "./data", "data folder of the embedded mode (SQLite, media)")
	seedCmd.Flags().BoolVar(&small, "small", false, "a tiny dataset, for a smoke run")
	seedCmd.Flags().IntVar(&scale, "scale", 1, "the dataset this many times larger, same shape (100: 100,000 users, 2,000,000 likes)")
	seedCmd.Flags().StringVar(&tokenFile, "tokens", "", "write \"token user_id\" lines for the first --token-count seed users to this file (mode 600)")
	seedCmd.Flags().IntVar(&tokenCount, "token-count", 4096, "how many users --tokens signs for")
	root.AddCommand(seedCmd)

	var checkURL string
	checkCmd := &cobra.Command{
		Use:   "check-likes",
		Short: "Compare every video's favorite_count (over HTTP) with the COUNT of its likes rows",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadData(cmd)
			if err != nil {
				return err
			}
			n, err := seed.CheckLikes(cmd.Context(), cfg, checkURL)
			if err != nil {
				return err
			}
			fmt.Printf("counter check passed: %d videos, every favorite_count equals COUNT(likes)\n", n)
			return nil
		},
	}
	checkCmd.Flags().StringVar(&checkURL, "url", "http://127.0.0.1:8080", "the gateway")
	checkCmd.Flags().StringVar(&dataFlag, "data", "./data", "data folder of the embedded mode")
	root.AddCommand(checkCmd)

	root.AddCommand(&cobra.Command{
		Use:   "gateway",
		Short: "Run the HTTP gateway alone",
		RunE: func(*cobra.Command, []string) error {
			cfg, err := load()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return app.RunGateway(ctx, cfg)
		},
	})
	var rolesAll, rolesAddr, rolesRPC, rolesAdmin bool
	rolesCmd := &cobra.Command{
		Use: "roles",
		Short: "Print the roles of the registry, one per line, in start order: the RPC services, then the " +
			"workers (media); scripts read this",
		RunE: func(*cobra.Command, []string) error {
			var cfg *config.Config
			if rolesAddr || rolesAdmin {
				var err error
				if cfg, err = config.Load(cfgFile); err != nil {
					return err
				}
			}
			if rolesAdmin {
				// Every role, the gateway last, with its admin address.
				for _, r := range app.Registry {
					fmt.Println(r.Name, app.AdminAddr(cfg, r.Name))
				}
				for _, w := range app.Workers {
					fmt.Println(w.Name, app.AdminAddr(cfg, w.Name))
				}
				fmt.Println(app.Gateway, app.AdminAddr(cfg, app.Gateway))
				return nil
			}
			for _, r := range app.Registry {
				if rolesAddr {
					fmt.Println(r.Name, cfg.ServiceAddr(r.Name, r.Port))
				} else {
					fmt.Println(r.Name)
				}
			}
			// Workers listen nowhere and register nowhere: not with --addr
			// or --rpc, which list what can be called.
			if !rolesAddr && !rolesRPC {
				for _, w := range app.Workers {
					fmt.Println(w.Name)
				}
				if rolesAll {
					fmt.Println(app.Gateway)
				}
			}
			return nil
		},
	}
	rolesCmd.Flags().BoolVar(&rolesAll, "all", false, "also print the gateway, last")
	rolesCmd.Flags().BoolVar(&rolesAddr, "addr", false, "only the RPC services, each with its listen address after its name")
	rolesCmd.Flags().BoolVar(&rolesAdmin, "admin", false, "every role, the gateway last, each with its admin listener's address")
	rolesCmd.Flags().BoolVar(&rolesRPC, "rpc", false, "only the RPC services (what registers in discovery)")
	root.AddCommand(rolesCmd)

	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version and commit of this build",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			version, commit := buildinfo.Get()
			if commit == "" {
				commit = "unknown"
			}
			fmt.Printf("tiktok %s commit %s\n", version, commit)
		},
	})

	for _, name := range app.Names() {
		root.AddCommand(&cobra.Command{
			Use:   name,
			Short: "Run the " + name + " RPC service alone",
			RunE: func(*cobra.Command, []string) error {
				cfg, err := load()
				if err != nil {
					return err
				}
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				return app.RunService(ctx, cfg, name)
			},
		})
	}
	for _, w := range app.Workers {
		root.AddCommand(&cobra.Command{
			Use:   w.Name,
			Short: "Run the " + w.Name + " workers alone (jobs from NATS; see docs/OPERATIONS.md)",
			RunE: func(*cobra.Command, []string) error {
				cfg, err := load()
				if err != nil {
					return err
				}
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				return app.RunWorker(ctx, cfg, w.Name)
			},
		})
	}
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
