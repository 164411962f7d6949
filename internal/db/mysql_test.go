package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"tiktok/internal/config"
	"tiktok/internal/testenv"
)

// mysqlServer returns a config whose databases are throwaway ones on the
// machine's MariaDB (or TIKTOK_TEST_MYSQL's server), a connection to the
// server, and a fresh database name for each test to pass to Open.
func mysqlServer(t *testing.T) (*config.Config, *sql.DB, func(name string) string) {
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
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database.Driver, cfg.Database.DSN = "mysql", dsn
	fresh := func(name string) string {
		svc := fmt.Sprintf("%s_%d_%d", name, os.Getpid(), time.Now().UnixNano()%1e6)
		db := dbName(t, cfg, svc)
		t.Cleanup(func() { server.Exec("DROP DATABASE IF EXISTS `" + db + "`") })
		return svc
	}
	return cfg, server, fresh
}

func TestMySQLMigratesEachVersionOnce(t *testing.T) {
	cfg, _, fresh := mysqlServer(t)
	svc := fresh("once")
	for i := 0; i < 2; i++ {
		gdb, err := Open(cfg, svc, twoSteps)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		if vs := versions(t, gdb); !sameVersions(vs, 0, 1, 2) {
			t.Fatalf("open %d: versions %v, want 0 1 2", i+1, vs)
		}
		Close(gdb)
	}
	gdb, err := Open(cfg, svc, withStep())
	if err != nil {
		t.Fatal(err)
	}
	defer Close(gdb)
	if vs := versions(t, gdb); !sameVersions(vs, 0, 1, 2, 3) {
		t.Fatalf("versions %v, want 0 1 2 3", vs)
	}
}

// Instances that start at once take turns: every one opens, and each version
// runs once (twoSteps fails if a step runs twice).
func TestMySQLConcurrentOpensTakeTurns(t *testing.T) {
	cfg, _, fresh := mysqlServer(t)
	svc := fresh("turns")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gdb, err := Open(cfg, svc, twoSteps)
			if err == nil {
				Close(gdb)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	gdb, err := Open(cfg, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(gdb)
	if vs := versions(t, gdb); !sameVersions(vs, 0, 1, 2) {
		t.Fatalf("versions %v, want 0 1 2", vs)
	}
}

// Open waits while another session holds the migration lock.
func TestMySQLWaitsForTheMigrationLock(t *testing.T) {
	cfg, server, fresh := mysqlServer(t)
	svc := fresh("lock")
	name := "migrate_" + dbName(t, cfg, svc)
	ctx := context.Background()
	holder, err := server.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := server.Exec("CREATE DATABASE `" + dbName(t, cfg, svc) + "`"); err != nil {
		t.Fatal(err)
	}
	var got int
	if err := holder.QueryRowContext(ctx, "SELECT GET_LOCK(?, 5)", name).Scan(&got); err != nil || got != 1 {
		t.Fatalf("lock: %d %v", got, err)
	}
	done := make(chan error, 1)
	go func() {
		gdb, err := Open(cfg, svc, twoSteps)
		if err == nil {
			Close(gdb)
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Open finished (%v) while another session held the lock", err)
	case <-time.After(500 * time.Millisecond):
	}
	holder.ExecContext(ctx, "DO RELEASE_LOCK(?)", name)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open still waits after the lock was released")
	}
}

func dbName(t *testing.T, cfg *config.Config, svc string) string {
	t.Helper()
	c, err := mysql.ParseDSN(mysqlDSN(cfg.Database.DSN, svc))
	if err != nil {
		t.Fatal(err)
	}
	return c.DBName
}

// MariaDB's errors are recognised by number, through gorm and without it.
func TestMySQLErrorNumbers(t *testing.T) {
	cfg, _, fresh := mysqlServer(t)
	gdb, err := Open(cfg, fresh("errors"), counterSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(gdb)
	if err := gdb.Exec("INSERT INTO counters VALUES (1, 0), (2, 0)").Error; err != nil {
		t.Fatal(err)
	}
	dup := gdb.Exec("INSERT INTO counters VALUES (1, 0)").Error
	if !errors.Is(dup, gorm.ErrDuplicatedKey) || !isDuplicate(dup) || retryable(dup) {
		t.Errorf("duplicate through gorm: %v", dup)
	}
	sqlDB, _ := gdb.DB()
	_, dup = sqlDB.Exec("INSERT INTO counters VALUES (1, 0)")
	if mysqlErrno(dup) != mysqlDupEntry || !isDuplicate(dup) {
		t.Errorf("duplicate from the driver: %v", dup)
	}

	ctx := context.Background()
	begin := func() *sql.Tx {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 1"); err != nil {
			t.Fatal(err)
		}
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback() })
		return tx
	}
	// Lock wait: a row another transaction holds.
	a, b := begin(), begin()
	a.Exec("UPDATE counters SET n = 1 WHERE id = 1")
	_, wait := b.Exec("UPDATE counters SET n = 2 WHERE id = 1")
	if mysqlErrno(wait) != mysqlLockWaitTimeout || !retryable(wait) {
		t.Errorf("lock wait: %v", wait)
	}
	a.Rollback()
	b.Rollback()
	// Deadlock: two transactions each wait for the other's row.
	a, b = begin(), begin()
	a.Exec("UPDATE counters SET n = 1 WHERE id = 1")
	b.Exec("UPDATE counters SET n = 1 WHERE id = 2")
	first := make(chan error, 1)
	go func() { _, err := a.Exec("UPDATE counters SET n = 1 WHERE id = 2"); first <- err }()
	time.Sleep(100 * time.Millisecond)
	_, victim := b.Exec("UPDATE counters SET n = 1 WHERE id = 1")
	if victim == nil { // the server chose a instead
		victim = <-first
	} else {
		<-first
	}
	if mysqlErrno(victim) != mysqlDeadlock || !retryable(victim) {
		t.Errorf("deadlock: %v", victim)
	}
}

func TestMySQLDSNNamesTheServiceAndInterpolates(t *testing.T) {
	got := mysqlDSN("root:@tcp(127.0.0.1:3306)/tiktok_{service}?parseTime=true", "user")
	c, err := mysql.ParseDSN(got)
	if err != nil || c.DBName != "tiktok_user" || !c.InterpolateParams || !c.ParseTime {
		t.Fatalf("dsn %q: %+v %v", got, c, err)
	}
}
