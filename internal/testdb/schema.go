package testdb

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/gorm/schema"

	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/internal/testenv"
)

// CheckSchema proves a service's schema (its Schema: mysql/ and sqlite/
// folders of migrations) fit for its models, the Go mapping of its tables:
// both folders hold the same versions; on SQLite, and on MariaDB when it is
// reachable, the migrated database has every column of every model, its
// primary key, NOT NULLs and tagged indexes.
func CheckSchema(t *testing.T, service string, schema fs.FS, models ...any) {
	t.Helper()
	t.Run("versions", func(t *testing.T) {
		my, lite := Versions(t, schema, "mysql"), Versions(t, schema, "sqlite")
		if len(my) == 0 || !slices.Equal(my, lite) {
			t.Fatalf("mysql versions %v, sqlite versions %v: want the same, not none", my, lite)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		gdb := Open(t, service, schema)
		fitsModels(t, gdb, models)
	})
	t.Run("mysql", func(t *testing.T) {
		cfg, server := mysqlConfig(t)
		name := throwaway(t, server, cfg, service)
		for i := 0; i < 2; i++ { // the second open finds nothing to do
			gdb, err := db.Open(cfg, name, schema)
			if err != nil {
				t.Fatalf("open %d: %v", i+1, err)
			}
			fitsModels(t, gdb, models)
			db.Close(gdb)
		}
	})
}

// Versions lists the migration versions in schema's dialect folder, as goose
// numbers them.
func Versions(t testing.TB, schema fs.FS, dialect string) []int64 {
	t.Helper()
	files, err := fs.Glob(schema, dialect+"/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	for _, f := range files {
		v, err := goose.NumericComponent(path.Base(f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// fitsModels checks the migrated tables against the models' gorm mapping.
func fitsModels(t *testing.T, gdb *gorm.DB, models []any) {
	t.Helper()
	// Quiet: the SQLite driver's GetIndexes logs its query in debug mode.
	gdb = gdb.Session(&gorm.Session{Logger: logger.Discard})
	m := gdb.Migrator()
	for _, model := range models {
		stmt := &gorm.Statement{DB: gdb}
		if err := stmt.Parse(model); err != nil {
			t.Fatal(err)
		}
		s := stmt.Schema
		if !m.HasTable(model) {
			t.Errorf("no table %s", s.Table)
			continue
		}
		cols, err := m.ColumnTypes(model)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]gorm.ColumnType{}
		for _, c := range cols {
			byName[c.Name()] = c
		}
		for _, f := range s.Fields {
			if f.DBName == "" {
				continue
			}
			if !m.HasColumn(model, f.DBName) {
				t.Errorf("%s: no column %s", s.Table, f.DBName)
				continue
			}
			c := byName[f.DBName]
			if null, ok := c.Nullable(); ok && f.NotNull && null {
				t.Errorf("%s.%s: nullable, model says NOT NULL", s.Table, f.DBName)
			}
		}
		if pk := primaryKey(t, gdb, s.Table); !slices.Equal(pk, s.PrimaryFieldDBNames) {
			t.Errorf("%s: primary key %v, model says %v", s.Table, pk, s.PrimaryFieldDBNames)
		}
		have, err := m.GetIndexes(model)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range s.ParseIndexes() {
			if !hasIndex(have, want) {
				t.Errorf("%s: no index %s %s on %v", s.Table, want.Class, want.Name, indexColumns(want))
			}
		}
	}
}

// primaryKey lists table's primary key columns in key order. (The SQLite
// driver's ColumnTypes parses the DDL and misses a composite key's columns
// written with spaces.)
func primaryKey(t *testing.T, gdb *gorm.DB, table string) []string {
	t.Helper()
	q := "SELECT column_name FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY' ORDER BY ordinal_position"
	if gdb.Dialector.Name() == "sqlite" {
		q = "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk"
	}
	var cols []string
	if err := gdb.Raw(q, table).Scan(&cols).Error; err != nil {
		t.Fatal(err)
	}
	return cols
}

// hasIndex: an index of that name, as unique as the tag says, whose columns
// start with the tag's (MySQL's may name the primary key InnoDB appends).
func hasIndex(have []gorm.Index, want *schema.Index) bool {
	for _, h := range have {
		if h.Name() != want.Name {
			continue
		}
		unique, _ := h.Unique()
		cols := h.Columns()
		wantCols := indexColumns(want)
		return unique == (want.Class == "UNIQUE") && len(cols) >= len(wantCols) && slices.Equal(cols[:len(wantCols)], wantCols)
	}
	return false
}

func indexColumns(ix *schema.Index) []string {
	var cols []string
	for _, o := range ix.Fields {
		cols = append(cols, o.DBName)
	}
	return cols
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

// mysqlConfig points at the machine's MariaDB (or TIKTOK_TEST_MYSQL's
// server): a failure in CI when it is down, a skip elsewhere.
func mysqlConfig(t *testing.T) (*config.Config, *sql.DB) {
	t.Helper()
	dsn := os.Getenv("TIKTOK_TEST_MYSQL")
	if dsn == "" {
		dsn = "root:@tcp(127.0.0.1:3306)/tiktok_unit_{service}?charset=utf8mb4&parseTime=true&loc=UTC"
	}
	c, err := mysql.ParseDSN(strings.ReplaceAll(dsn, "{service}", "x"))
	if err != nil {
		t.Fatal(err)
	}
	c.DBName = ""
	server, err := sql.Open("mysql", c.FormatDSN())
	if err == nil {
		err = server.Ping()
	}
	testenv.Need(t, "MariaDB at 127.0.0.1:3306", err)
	t.Cleanup(func() { server.Close() })
	cfg := sqliteConfig(t)
	cfg.Database.Driver, cfg.Database.DSN = "mysql", dsn
	return cfg, server
}

// throwaway returns a service name whose database is new and dropped at
// cleanup.
func throwaway(t *testing.T, server *sql.DB, cfg *config.Config, service string) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d_%d", service, os.Getpid(), time.Now().UnixNano()%1e9)
	dbName := mysqlDB(t, cfg, name)
	t.Cleanup(func() { server.Exec("DROP DATABASE IF EXISTS `" + dbName + "`") })
	return name
}

func mysqlDB(t *testing.T, cfg *config.Config, service string) string {
	t.Helper()
	c, err := mysql.ParseDSN(strings.ReplaceAll(cfg.Database.DSN, "{service}", service))
	if err != nil {
		t.Fatal(err)
	}
	return c.DBName
}
