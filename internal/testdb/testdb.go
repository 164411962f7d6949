// Package testdb opens a service's database in a temporary folder for unit tests.
package testdb

import (
	"testing"

	"gorm.io/gorm"

	"tiktok/internal/config"
	"tiktok/internal/db"
)

// Open returns service's SQLite database with models migrated, closed at cleanup.
func Open(t testing.TB, service string, models ...any) *gorm.DB {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	gdb, err := db.Open(cfg, service, models...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(gdb) })
	return gdb
}
