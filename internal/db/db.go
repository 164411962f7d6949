// Package db opens a service's own database. Each service owns its tables; in
// the embedded mode each service even gets its own SQLite file, so no service
// can read another's tables by accident.
package db

import (
	"context"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"tiktok/internal/config"
)

// Open connects service's database and brings its tables to the newest
// version of schema, the service's migrations (see migrate). A nil schema
// opens a database with no tables of its own (feed), or one another process
// migrates (tests reading a running system's rows).
func Open(cfg *config.Config, service string, schema fs.FS) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		Logger: quietLogger{logger.New(log.New(os.Stderr, "", log.LstdFlags), logger.Config{
			SlowThreshold: 500 * time.Millisecond, LogLevel: logger.Warn, IgnoreRecordNotFoundError: true,
		})},
		TranslateError: true,
		// SQLite: reuse prepared statements; re-parsing the same SQL was a
		// tenth of the CPU of a feed page (pprof, docs/PERFORMANCE.md).
		// MySQL: no. The DSN interpolates parameters client-side, one round
		// trip per statement; prepared statements cost a prepare round trip
		// on every pooled connection that had not run that SQL yet, which was
		// a tenth of the favorite service's CPU under likes.
		PrepareStmt: cfg.Database.Driver != "mysql",
	}
	var (
		gdb *gorm.DB
		err error
	)
	switch cfg.Database.Driver {
	case "sqlite", "":
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, err
		}
		// WAL lets readers run beside the writer; immediate transactions take
		// the write lock up front, so concurrent writers queue (busy_timeout)
		// instead of failing on a lock upgrade.
		dsn := filepath.Join(cfg.DataDir, service+".db") +
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
		gdb, err = gorm.Open(sqlite.Open(dsn), gcfg)
		if err == nil {
			sqlDB, _ := gdb.DB()
			sqlDB.SetMaxOpenConns(8)
			err = migrate(sqlDB, "sqlite", schema)
		}
	case "mysql":
		dsn := mysqlDSN(cfg.Database.DSN, service)
		if err := ensureDatabase(dsn); err != nil {
			return nil, fmt.Errorf("create %s database: %w", service, err)
		}
		gdb, err = gorm.Open(mysql.Open(dsn), gcfg)
		if err == nil {
			sqlDB, _ := gdb.DB()
			// Migrate before the pool gets its limit: the run holds the
			// migration lock on one connection and migrates on another.
			if err = migrate(sqlDB, "mysql", schema); err == nil {
				// Seven services share one server: keep each pool well under
				// MariaDB's connection limit.
				sqlDB.SetMaxOpenConns(cfg.Database.MaxOpenConns)
				sqlDB.SetMaxIdleConns(cfg.Database.MaxOpenConns)
				sqlDB.SetConnMaxLifetime(time.Hour)
			}
		}
	default:
		return nil, fmt.Errorf("unknown database driver %q", cfg.Database.Driver)
	}
	if err != nil {
		if gdb != nil {
			Close(gdb)
		}
		return nil, fmt.Errorf("open %s database: %w", service, err)
	}
	countQueries(gdb)
	exportPool(gdb, service)
	if cfg.Tracing.Endpoint != "" {
		if err := traceSQL(gdb, cfg.Database.Driver); err != nil {
			return nil, err
		}
	}
	return gdb, nil
}

// Close releases the connection pool.
func Close(gdb *gorm.DB) {
	if sqlDB, err := gdb.DB(); err == nil {
		sqlDB.Close()
	}
}

// pools holds the pool collector of each service's database: the newest
// Open of a service replaces the one before (tests open a service's
// database many times in one process).
var (
	poolsMu sync.Mutex
	pools   = map[string]prometheus.Collector{}
)

// exportPool puts the pool's statistics on /metrics (go_sql_* with
// db_name=service: open, in use, idle, waits and wait time).
func exportPool(gdb *gorm.DB, service string) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return
	}
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if old := pools[service]; old != nil {
		prometheus.Unregister(old)
	}
	c := collectors.NewDBStatsCollector(sqlDB, service)
	if prometheus.Register(c) == nil {
		pools[service] = c
	}
}

// Queries counts SQL statements run by this process; tests use it to prove
// that a list costs a fixed number of queries whatever its length.
var Queries atomic.Int64

func countQueries(gdb *gorm.DB) {
	inc := func(*gorm.DB) { Queries.Add(1) }
	cb := gdb.Callback()
	_ = cb.Query().After("gorm:query").Register("tiktok:count", inc)
	_ = cb.Create().After("gorm:create").Register("tiktok:count", inc)
	_ = cb.Update().After("gorm:update").Register("tiktok:count", inc)
	_ = cb.Delete().After("gorm:delete").Register("tiktok:count", inc)
	_ = cb.Row().After("gorm:row").Register("tiktok:count", inc)
	_ = cb.Raw().After("gorm:raw").Register("tiktok:count", inc)
}

// quietLogger drops duplicate-key errors: the services expect and handle them
// (a taken username, an idempotent like), so they are not worth a log line.
type quietLogger struct{ logger.Interface }

func (q quietLogger) LogMode(l logger.LogLevel) logger.Interface {
	return quietLogger{q.Interface.LogMode(l)}
}

func (q quietLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if isDuplicate(err) {
		err = nil
	}
	q.Interface.Trace(ctx, begin, fc, err)
}
