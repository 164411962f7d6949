// Package db opens a service's own database. Each service owns its tables; in
// the embedded mode each service even gets its own SQLite file, so no service
// can read another's tables by accident.
package db

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"tiktok/internal/config"
)

// Open connects service's database and creates or updates its tables.
func Open(cfg *config.Config, service string, models ...any) (*gorm.DB, error) {
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
		}
	case "mysql":
		dsn := mysqlDSN(cfg.Database.DSN, service)
		if err := ensureDatabase(dsn); err != nil {
			return nil, fmt.Errorf("create %s database: %w", service, err)
		}
		gdb, err = gorm.Open(mysql.Open(dsn), gcfg)
		if err == nil {
			sqlDB, _ := gdb.DB()
			// Seven services share one server: keep each pool well under
			// MariaDB's connection limit.
			sqlDB.SetMaxOpenConns(cfg.Database.MaxOpenConns)
			sqlDB.SetMaxIdleConns(cfg.Database.MaxOpenConns)
			sqlDB.SetConnMaxLifetime(time.Hour)
			err = Migrate(gdb, service)
		}
	default:
		return nil, fmt.Errorf("unknown database driver %q", cfg.Database.Driver)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", service, err)
	}
	countQueries(gdb)
	if cfg.Tracing.Endpoint != "" {
		if err := traceSQL(gdb, cfg.Database.Driver); err != nil {
			return nil, err
		}
	}
	// SQLite is the embedded, single-process mode: its schema follows the
	// models (and what DDL they add, such as triggers). MySQL, the production
	// mode, changes only through migrations.
	if cfg.Database.Driver != "mysql" && len(models) > 0 {
		if err := gdb.AutoMigrate(models...); err != nil {
			return nil, fmt.Errorf("migrate %s: %w", service, err)
		}
		for _, m := range models {
			if d, ok := m.(interface{ SQLiteDDL() []string }); ok {
				for _, q := range d.SQLiteDDL() {
					if err := gdb.Exec(q).Error; err != nil {
						return nil, fmt.Errorf("migrate %s: %w", service, err)
					}
				}
			}
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
	if errors.Is(err, gorm.ErrDuplicatedKey) || isUniqueViolation(err) {
		err = nil
	}
	q.Interface.Trace(ctx, begin, fc, err)
}

func isUniqueViolation(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "Duplicate entry"))
}
