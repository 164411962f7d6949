package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/spf13/cobra"

	"tiktok/internal/config"
	"tiktok/internal/logx"
)

// globals are the flags every subcommand shares.
type globals struct {
	cfgFile string // --config
}

// load reads the configuration and sets the process up by it: the logger,
// and the collector's pace and soft memory limit.
func (g *globals) load() (*config.Config, error) {
	cfg, err := config.Load(g.cfgFile)
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

// loadData is load with dataDir (the embedded mode's folder, --data) applied
// when cmd was given --data.
func (g *globals) loadData(cmd *cobra.Command, dataDir string) (*config.Config, error) {
	cfg, err := g.load()
	if err == nil && cmd.Flags().Changed("data") {
		cfg.DataDir = dataDir
	}
	return cfg, err
}

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
