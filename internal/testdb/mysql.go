package testdb

import (
	"io/fs"
	"testing"

	"gorm.io/gorm"

	"tiktok/internal/db"
)

// OpenMySQL is Open on the machine's MariaDB (or TIKTOK_TEST_MYSQL's
// server): a new database migrated to schema, dropped at cleanup. MariaDB
// down: a failure in CI, a skip elsewhere. For rules whose answer depends on
// the database's comparisons (collations), which SQLite alone cannot prove.
func OpenMySQL(t *testing.T, service string, schema fs.FS) *gorm.DB {
	t.Helper()
	cfg, server := mysqlConfig(t)
	name := throwaway(t, server, cfg, service)
	gdb, err := db.Open(cfg, name, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	return gdb
}
