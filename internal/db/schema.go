package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// A service's tables are described once, by its schema: an fs.FS holding a
// mysql/ and a sqlite/ folder of goose SQL migrations (NNNN_name.sql, the
// same versions in both, see service/*/schema.go). goose applies each
// version once, in order, and records it in goose_db_version.

// migrate brings sqlDB to the newest version of schema's folder for driver
// ("mysql" or "sqlite"). On MySQL, where several instances of a service may
// start at once, a named lock makes them take turns.
func migrate(sqlDB *sql.DB, driver string, schema fs.FS) error {
	if schema == nil {
		return nil
	}
	ctx := context.Background()
	dialect := goose.DialectSQLite3
	if driver == "mysql" {
		dialect = goose.DialectMySQL
	}
	files, err := fs.Sub(schema, driver)
	if err != nil {
		return err
	}
	// The global registry holds Go migrations registered by init functions;
	// there are none, and no other package's may slip in.
	p, err := goose.NewProvider(dialect, sqlDB, files, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("%s migrations: %w", driver, err)
	}
	if driver == "mysql" {
		// goose's own session locker is Postgres-only: hold MySQL's named
		// lock on a connection of our own while goose runs on another.
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(CONCAT('migrate_', DATABASE()), 60)").Scan(&got); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if got.Int64 != 1 {
			return fmt.Errorf("migration lock: not granted in 60s (another instance is migrating)")
		}
		defer conn.ExecContext(ctx, "DO RELEASE_LOCK(CONCAT('migrate_', DATABASE()))")
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
