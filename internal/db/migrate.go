package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// Versioned MySQL migrations, one folder per service: NNNN_name.sql files,
// applied in order, each once, recorded in the service's schema_migrations.
//
//go:embed migrations
var migrations embed.FS

// mysqlDSN expands the configured DSN for service: "{service}" in the
// database name gives each service a database of its own.
func mysqlDSN(template, service string) string {
	dsn := strings.ReplaceAll(template, "{service}", service)
	// Parameters are always interpolated here, not sent with a prepared
	// statement: one round trip per statement instead of three (see Open).
	if c, err := mysql.ParseDSN(dsn); err == nil && !c.InterpolateParams {
		c.InterpolateParams = true
		return c.FormatDSN()
	}
	return dsn
}

// ensureDatabase creates the DSN's database (utf8mb4) when missing.
func ensureDatabase(dsn string) error {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("database.dsn: %w", err)
	}
	name := c.DBName
	if name == "" {
		return fmt.Errorf("database.dsn names no database")
	}
	c.DBName = ""
	conn, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Exec("CREATE DATABASE IF NOT EXISTS `" + strings.ReplaceAll(name, "`", "") +
		"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
	return err
}

// Migrate applies service's pending migrations. A named lock makes two
// instances starting at once take turns.
func Migrate(gdb *gorm.DB, service string) error {
	files, err := fs.Glob(migrations, path.Join("migrations", service, "*.sql"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := sqlDB.Conn(ctx) // the lock belongs to one connection
	if err != nil {
		return err
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(CONCAT('migrate_', DATABASE()), 60)").Scan(&got); err != nil || got.Int64 != 1 {
		return fmt.Errorf("migration lock: %v", err)
	}
	defer conn.ExecContext(ctx, "SELECT RELEASE_LOCK(CONCAT('migrate_', DATABASE()))")
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,
		applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) DEFAULT CHARSET=utf8mb4`); err != nil {
		return err
	}
	for _, f := range files {
		base := path.Base(f)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", f)
		}
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		// MySQL commits DDL implicitly, so each statement stands alone; the
		// version is recorded once all of them ran.
		for _, stmt := range strings.Split(string(body), ";\n") {
			if s := strings.TrimSpace(stripComments(stmt)); s != "" {
				if _, err := conn.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("migration %s: %w", base, err)
				}
			}
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", v, base); err != nil {
			return err
		}
	}
	return nil
}

func stripComments(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
