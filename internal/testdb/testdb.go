// Package testdb opens a service's database in a temporary folder for unit tests.
package testdb

import (
	"io/fs"
	"testing"

	"gorm.io/gorm"

	"tiktok/internal/config"
	"tiktok/internal/db"
)

// Open returns service's SQLite database migrated to schema (the service's
// Schema), closed at cleanup.
func Open(t testing.TB, service string, schema fs.FS) *gorm.DB {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	gdb, err := db.Open(cfg, service, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	return gdb
}
