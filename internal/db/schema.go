package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// A service's tables are described once, by its schema: an fs.FS holding a
// mysql/ and a sqlite/ folder of goose SQL migrations (NNNN_name.sql, the
// same versions in both, see service/*/schema.go). goose applies each
// version once, in order, and records it in goose_db_version.

// legacyTable is the version table of the hand-written runner goose replaced.
const legacyTable = "schema_migrations"

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
		// lock on a connection of our own while goose runs on another. The
		// name is the old runner's, so old and new instances take turns too.
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
		if err := adoptLegacyVersions(ctx, conn); err != nil {
			return fmt.Errorf("adopt %s: %w", legacyTable, err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// adoptLegacyVersions records in goose's table the versions the old runner
// applied (its schema_migrations), so that goose runs none of them again.
// It adds only the versions goose does not list, so it is idempotent and
// also completes an adoption that stopped half-way (MySQL commits DDL at
// once, so the steps cannot share a transaction). schema_migrations stays,
// as history.
func adoptLegacyVersions(ctx context.Context, conn *sql.Conn) error {
	var hasLegacy, hasGoose bool
	err := conn.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?),
		EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?)`,
		legacyTable, goose.DefaultTablename).Scan(&hasLegacy, &hasGoose)
	if err != nil || !hasLegacy {
		return err
	}
	var legacy []int64
	rows, err := conn.QueryContext(ctx, "SELECT version FROM "+legacyTable+" ORDER BY version")
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		legacy = append(legacy, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	store, err := database.NewStore(database.DialectMySQL, goose.DefaultTablename)
	if err != nil {
		return err
	}
	if !hasGoose {
		if err := store.CreateVersionTable(ctx, conn); err != nil {
			return err
		}
	}
	have, err := store.ListMigrations(ctx, conn)
	if err != nil {
		return err
	}
	recorded := make(map[int64]bool, len(have))
	for _, m := range have {
		recorded[m.Version] = true
	}
	if len(have) == 0 {
		// goose's table starts with version 0, as goose itself creates it.
		legacy = append([]int64{0}, legacy...)
	}
	for _, v := range legacy {
		if !recorded[v] {
			if err := store.Insert(ctx, conn, database.InsertRequest{Version: v}); err != nil {
				return err
			}
		}
	}
	return nil
}
