package db

import (
	"testing"
	"testing/fstest"

	"gorm.io/gorm"

	"tiktok/internal/config"
)

// twoSteps is a schema whose steps fail if run twice: it proves each
// version runs once.
var twoSteps = fstest.MapFS{
	"sqlite/0001_init.sql": {Data: []byte("-- +goose Up\nCREATE TABLE items (id integer PRIMARY KEY);\n")},
	"sqlite/0002_name.sql": {Data: []byte("-- +goose Up\nALTER TABLE items ADD COLUMN name text NOT NULL DEFAULT '';\n")},
	"mysql/0001_init.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE items (id BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB;\n")},
	"mysql/0002_name.sql":  {Data: []byte("-- +goose Up\nALTER TABLE items ADD COLUMN name VARCHAR(64) NOT NULL DEFAULT '';\n")},
}

// withStep returns twoSteps plus a third version, as a later release adds.
func withStep() fstest.MapFS {
	fs := fstest.MapFS{}
	for k, v := range twoSteps {
		fs[k] = v
	}
	fs["sqlite/0003_size.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nALTER TABLE items ADD COLUMN size integer NOT NULL DEFAULT 0;\n")}
	fs["mysql/0003_size.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nALTER TABLE items ADD COLUMN size BIGINT NOT NULL DEFAULT 0;\n")}
	return fs
}

// versions lists goose's records, oldest first.
func versions(t *testing.T, gdb *gorm.DB) []int64 {
	t.Helper()
	var vs []int64
	if err := gdb.Raw("SELECT version_id FROM goose_db_version ORDER BY id").Scan(&vs).Error; err != nil {
		t.Fatal(err)
	}
	return vs
}

func sameVersions(got []int64, want ...int64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func sqliteConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	return cfg
}

func TestSQLiteMigratesEachVersionOnce(t *testing.T) {
	cfg := sqliteConfig(t)
	for i := 0; i < 2; i++ {
		gdb, err := Open(cfg, "items", twoSteps)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		if vs := versions(t, gdb); !sameVersions(vs, 0, 1, 2) {
			t.Fatalf("open %d: versions %v, want 0 1 2", i+1, vs)
		}
		Close(gdb)
	}
	gdb, err := Open(cfg, "items", withStep())
	if err != nil {
		t.Fatal(err)
	}
	defer Close(gdb)
	if vs := versions(t, gdb); !sameVersions(vs, 0, 1, 2, 3) {
		t.Fatalf("versions %v, want 0 1 2 3", vs)
	}
	if !gdb.Migrator().HasColumn("items", "size") {
		t.Fatal("the new version did not run")
	}
}

func TestNilSchemaCreatesNoTables(t *testing.T) {
	gdb, err := Open(sqliteConfig(t), "feed", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(gdb)
	var n int
	gdb.Raw("SELECT COUNT(*) FROM sqlite_master").Scan(&n)
	if n != 0 {
		t.Fatalf("%d schema objects, want none", n)
	}
}

func TestSchemaWithoutTheDialectFails(t *testing.T) {
	mysqlOnly := fstest.MapFS{"mysql/0001_init.sql": twoSteps["mysql/0001_init.sql"]}
	if gdb, err := Open(sqliteConfig(t), "items", mysqlOnly); err == nil {
		Close(gdb)
		t.Fatal("opened SQLite with no SQLite migrations")
	}
}
