package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"tiktok/internal/config"
)

// counterSchema is one table, enough to watch Write commit and roll back.
var counterSchema = fstest.MapFS{
	"sqlite/0001_init.sql": {Data: []byte("-- +goose Up\nCREATE TABLE counters (id integer PRIMARY KEY, n integer NOT NULL);\n")},
	"mysql/0001_init.sql":  {Data: []byte("-- +goose Up\nCREATE TABLE counters (id BIGINT NOT NULL PRIMARY KEY, n BIGINT NOT NULL);\n")},
}

func openSQLite(t *testing.T) *gorm.DB {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	gdb, err := Open(cfg, "write", counterSchema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Close(gdb) })
	return gdb
}

func counterValue(t *testing.T, gdb *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw("SELECT COALESCE(SUM(n), 0) FROM counters").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriteCommitsOrRollsBack(t *testing.T) {
	gdb := openSQLite(t)
	ctx := context.Background()
	if err := Write(ctx, gdb, func(tx *gorm.DB) error {
		return tx.Exec("INSERT INTO counters (id, n) VALUES (1, 1)").Error
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(ctx, gdb, func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE counters SET n = n + 10 WHERE id = 1").Error; err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if n := counterValue(t, gdb); n != 1 {
		t.Fatalf("n = %d after a failed write, want 1 (rolled back)", n)
	}
}

// A deadlock victim or a lock wait timeout runs again, with a fresh
// transaction each time; the attempts that failed leave nothing behind.
func TestWriteRetriesDeadlockAndLockWait(t *testing.T) {
	gdb := openSQLite(t)
	for _, errno := range []uint16{mysqlDeadlock, mysqlLockWaitTimeout} {
		t.Run(fmt.Sprint(errno), func(t *testing.T) {
			gdb.Exec("DELETE FROM counters")
			calls := 0
			err := Write(context.Background(), gdb, func(tx *gorm.DB) error {
				calls++
				if err := tx.Exec("INSERT INTO counters (id, n) VALUES (?, 1)", calls).Error; err != nil {
					return err
				}
				if calls < 3 {
					return fmt.Errorf("wrapped: %w", &mysql.MySQLError{Number: errno, Message: "reworded by the server"})
				}
				return nil
			})
			if err != nil || calls != 3 {
				t.Fatalf("err %v after %d calls, want success on the 3rd", err, calls)
			}
			if n := counterValue(t, gdb); n != 1 {
				t.Fatalf("n = %d, want 1: only the last attempt commits", n)
			}
		})
	}
}

func TestWriteGivesUpAfterFiveAttempts(t *testing.T) {
	gdb := openSQLite(t)
	calls := 0
	deadlock := &mysql.MySQLError{Number: mysqlDeadlock}
	err := Write(context.Background(), gdb, func(tx *gorm.DB) error { calls++; return deadlock })
	if !errors.Is(err, deadlock) || calls != 5 {
		t.Fatalf("err %v after %d calls, want the deadlock after 5", err, calls)
	}
}

func TestWriteDoesNotRetryOtherErrors(t *testing.T) {
	gdb := openSQLite(t)
	for _, e := range []error{
		&mysql.MySQLError{Number: mysqlDupEntry, Message: "Deadlock found, says the text, but the number rules"},
		errors.New("Deadlock found when trying to get lock"),
		gorm.ErrRecordNotFound,
	} {
		calls := 0
		err := Write(context.Background(), gdb, func(tx *gorm.DB) error { calls++; return e })
		if !errors.Is(err, e) || calls != 1 {
			t.Errorf("%v: %d calls, want 1", e, calls)
		}
	}
}

func TestWriteOneRunsWithoutTransaction(t *testing.T) {
	gdb := openSQLite(t)
	calls := 0
	err := WriteOne(context.Background(), gdb, func(g *gorm.DB) error {
		calls++
		if !g.SkipDefaultTransaction {
			t.Error("WriteOne's statement would run in gorm's own transaction")
		}
		if calls == 1 {
			return &mysql.MySQLError{Number: mysqlDeadlock}
		}
		return g.Exec("INSERT INTO counters (id, n) VALUES (1, 5)").Error
	})
	if err != nil || calls != 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	if n := counterValue(t, gdb); n != 5 {
		t.Fatalf("n = %d, want 5", n)
	}
}

// On SQLite, writers of one database take turns in the process: no two
// bodies overlap, and none of them meets "database is locked".
func TestWriteSerialisesSQLiteWriters(t *testing.T) {
	gdb := openSQLite(t)
	gdb.Exec("INSERT INTO counters (id, n) VALUES (1, 0)")
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Write(context.Background(), gdb, func(tx *gorm.DB) error {
				now := inside.Add(1)
				defer inside.Add(-1)
				for {
					m := most.Load()
					if now <= m || most.CompareAndSwap(m, now) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				return tx.Exec("UPDATE counters SET n = n + 1 WHERE id = 1").Error
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if most.Load() != 1 {
		t.Fatalf("%d writers at once, want 1", most.Load())
	}
	if n := counterValue(t, gdb); n != 16 {
		t.Fatalf("n = %d, want 16", n)
	}
}

// The SQLite driver's own errors are recognised by code: a busy database is
// retryable, a duplicate key is a duplicate, whatever their text says.
func TestSQLiteErrorCodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "codes.db")
	open := func() *sql.DB {
		d, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
		if err != nil {
			t.Fatal(err)
		}
		d.SetMaxOpenConns(1)
		t.Cleanup(func() { d.Close() })
		return d
	}
	a, b := open(), open()
	if _, err := a.Exec("CREATE TABLE t (id integer PRIMARY KEY, name text UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec("INSERT INTO t VALUES (1, 'x')"); err != nil {
		t.Fatal(err)
	}
	_, pk := a.Exec("INSERT INTO t VALUES (1, 'y')")
	_, uniq := a.Exec("INSERT INTO t VALUES (2, 'x')")
	for _, err := range []error{pk, uniq} {
		if !isDuplicate(err) || retryable(err) {
			t.Errorf("%v (code %d): duplicate %v, retryable %v", err, sqliteCode(err), isDuplicate(err), retryable(err))
		}
	}
	tx, err := a.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO t VALUES (3, 'z')"); err != nil {
		t.Fatal(err)
	}
	_, busy := b.Exec("INSERT INTO t VALUES (4, 'w')")
	if !retryable(busy) || isDuplicate(busy) {
		t.Errorf("%v (code %d): retryable %v, duplicate %v", busy, sqliteCode(busy), retryable(busy), isDuplicate(busy))
	}
	if retryable(errors.New("database is locked")) || isDuplicate(errors.New("UNIQUE constraint failed: t.id")) {
		t.Error("an error is recognised by its text")
	}
}
