package db

import (
	"database/sql"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"

	"tiktok/internal/config"
)

// TestMySQLMigrations applies every service's migrations to the machine's
// MariaDB (twice: the second run must be a no-op) in throwaway databases.
func TestMySQLMigrations(t *testing.T) {
	dsn := os.Getenv("TIKTOK_TEST_MYSQL")
	if dsn == "" {
		dsn = "root:@tcp(127.0.0.1:3306)/tiktok_unit_{service}?charset=utf8mb4&parseTime=true&loc=UTC"
	}
	probe, _ := sql.Open("mysql", "root:@tcp(127.0.0.1:3306)/")
	if err := probe.Ping(); err != nil {
		t.Skip("no MySQL at 127.0.0.1:3306")
	}
	defer probe.Close()
	cfg, _ := config.Load("")
	cfg.Database.Driver, cfg.Database.DSN = "mysql", dsn
	for _, svc := range []string{"user", "publish", "favorite", "comment", "relation", "message"} {
		for i := 0; i < 2; i++ {
			gdb, err := Open(cfg, svc)
			if err != nil {
				t.Fatalf("%s: %v", svc, err)
			}
			var n int
			gdb.Raw("SELECT COUNT(*) FROM schema_migrations").Scan(&n)
			if n < 1 {
				t.Fatalf("%s: no migration recorded", svc)
			}
			Close(gdb)
		}
		probe.Exec("DROP DATABASE tiktok_unit_" + svc)
	}
}

func TestMySQLDSNNamesTheServiceAndInterpolates(t *testing.T) {
	got := mysqlDSN("root:@tcp(127.0.0.1:3306)/tiktok_{service}?parseTime=true", "user")
	c, err := mysql.ParseDSN(got)
	if err != nil || c.DBName != "tiktok_user" || !c.InterpolateParams || !c.ParseTime {
		t.Fatalf("dsn %q: %+v %v", got, c, err)
	}
}
