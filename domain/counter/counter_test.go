package counter

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// follow is a row being counted; followCounts keeps two counters per user,
// as relation's follow_counts does.
type follow struct {
	FollowerID int64
	FolloweeID int64
}

func (follow) TableName() string { return "follows" }

type followCounts struct {
	UserID    int64
	Follows   int64
	Followers int64
}

func (followCounts) TableName() string { return "follow_counts" }

// open returns a fresh SQLite database in t's temporary folder with the two
// tables.
func open(t *testing.T) *gorm.DB {
	t.Helper()
	gdb, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "counter.db")),
		&gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			sqlDB.Close()
		}
	})
	for _, q := range []string{
		`CREATE TABLE follows (follower_id INTEGER NOT NULL, followee_id INTEGER NOT NULL,
			PRIMARY KEY (follower_id, followee_id))`,
		`CREATE INDEX idx_follows_followee ON follows (followee_id)`,
		`CREATE TABLE follow_counts (user_id INTEGER PRIMARY KEY,
			follows INTEGER NOT NULL DEFAULT 0, followers INTEGER NOT NULL DEFAULT 0)`,
	} {
		if err := gdb.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	return gdb
}

// row reads user's counter row as it is stored; ok is false when there is none.
func row(t *testing.T, gdb *gorm.DB, user int64) (c followCounts, ok bool) {
	t.Helper()
	err := gdb.Where("user_id = ?", user).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, true
}

func add(t *testing.T, gdb *gorm.DB, user, delta int64, cols ...string) {
	t.Helper()
	err := gdb.Transaction(func(tx *gorm.DB) error {
		return Add(tx, &followCounts{}, "user_id", user, delta, cols...)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAddCreatesTheRowThenMovesOnlyItsColumns(t *testing.T) {
	gdb := open(t)
	add(t, gdb, 1, 1, "follows")
	if c, ok := row(t, gdb, 1); !ok || c.Follows != 1 || c.Followers != 0 {
		t.Fatalf("first +1 must create the row with follows 1: %+v %v", c, ok)
	}
	add(t, gdb, 1, 1, "follows")
	add(t, gdb, 1, 1, "followers")
	if c, _ := row(t, gdb, 1); c.Follows != 2 || c.Followers != 1 {
		t.Fatalf("after +1 follows, +1 followers: %+v", c)
	}
	add(t, gdb, 1, -1, "follows")
	if c, _ := row(t, gdb, 1); c.Follows != 1 || c.Followers != 1 {
		t.Fatalf("after -1 follows: %+v", c)
	}
	// Several columns at once, and the other users' rows are left alone.
	add(t, gdb, 2, 1, "follows", "followers")
	if c, _ := row(t, gdb, 2); c.Follows != 1 || c.Followers != 1 {
		t.Fatalf("both columns: %+v", c)
	}
	if c, _ := row(t, gdb, 1); c.Follows != 1 || c.Followers != 1 {
		t.Fatalf("user 1 moved by user 2's change: %+v", c)
	}
	// A -1 on a missing row creates it at 0, never below.
	add(t, gdb, 3, -1, "follows")
	if c, ok := row(t, gdb, 3); !ok || c.Follows != 0 {
		t.Fatalf("-1 on a missing row: %+v %v", c, ok)
	}
}

// The counter moves in the caller's transaction: when the transaction rolls
// back, so does the count.
func TestAddRollsBackWithItsTransaction(t *testing.T) {
	gdb := open(t)
	add(t, gdb, 1, 1, "follows")
	errLater := errors.New("a later statement failed")
	err := gdb.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&follow{FollowerID: 1, FolloweeID: 2}).Error; err != nil {
			return err
		}
		if err := Add(tx, &followCounts{}, "user_id", 1, 1, "follows"); err != nil {
			return err
		}
		if err := Add(tx, &followCounts{}, "user_id", 2, 1, "followers"); err != nil {
			return err
		}
		return errLater
	})
	if !errors.Is(err, errLater) {
		t.Fatalf("transaction: %v", err)
	}
	if c, _ := row(t, gdb, 1); c.Follows != 1 {
		t.Fatalf("a rolled-back +1 was kept: %+v", c)
	}
	if c, ok := row(t, gdb, 2); ok {
		t.Fatalf("a row created in a rolled-back transaction was kept: %+v", c)
	}
}

func TestGetAnswersEveryIDMissingRowsZero(t *testing.T) {
	ctx := context.Background()
	gdb := open(t)
	add(t, gdb, 1, 1, "follows")
	add(t, gdb, 1, 1, "follows")
	add(t, gdb, 2, 1, "followers")
	got, err := Get(ctx, gdb, &followCounts{}, "user_id", []int64{1, 2, 3}, "follows")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]int64{1: 2, 2: 0, 3: 0}; !maps.Equal(got, want) {
		t.Fatalf("follows: got %v, want %v", got, want)
	}
	got, err = Get(ctx, gdb, &followCounts{}, "user_id", []int64{2, 1}, "followers")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]int64{1: 0, 2: 1}; !maps.Equal(got, want) {
		t.Fatalf("followers: got %v, want %v", got, want)
	}
	got, err = Get(ctx, gdb, &followCounts{}, "user_id", nil, "follows")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("no ids: %v %v", got, err)
	}
}

func TestCountRowsGroupsByTheColumn(t *testing.T) {
	ctx := context.Background()
	gdb := open(t)
	for _, f := range []follow{{1, 2}, {1, 3}, {1, 4}, {2, 3}, {4, 3}} {
		if err := gdb.Create(&f).Error; err != nil {
			t.Fatal(err)
		}
	}
	got, err := CountRows(ctx, gdb, &follow{}, "follower_id", []int64{1, 2, 3, 9})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]int64{1: 3, 2: 1, 3: 0, 9: 0}; !maps.Equal(got, want) {
		t.Fatalf("by follower: got %v, want %v", got, want)
	}
	got, err = CountRows(ctx, gdb, &follow{}, "followee_id", []int64{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]int64{3: 3, 4: 1}; !maps.Equal(got, want) {
		t.Fatalf("by followee: got %v, want %v", got, want)
	}
	got, err = CountRows(ctx, gdb, &follow{}, "follower_id", nil)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("no ids: %v %v", got, err)
	}
}

// A query that fails is reported, not read as zeros.
func TestGetAndCountRowsReportErrors(t *testing.T) {
	ctx := context.Background()
	gdb := open(t)
	if _, err := Get(ctx, gdb, &followCounts{}, "user_id", []int64{1}, "no_such_column"); err == nil {
		t.Fatal("Get of a missing column: no error")
	}
	if _, err := CountRows(ctx, gdb, &follow{}, "no_such_column", []int64{1}); err == nil {
		t.Fatal("CountRows by a missing column: no error")
	}
}

func TestEnsureBuiltRebuildsOnlyCountersMissingForExistingRows(t *testing.T) {
	ctx := context.Background()
	gdb := open(t)
	rebuilds := 0
	rebuild := func(context.Context) error { rebuilds++; return nil }
	ensure := func() {
		t.Helper()
		if err := EnsureBuilt(ctx, gdb, &follow{}, &followCounts{}, rebuild); err != nil {
			t.Fatal(err)
		}
	}
	ensure() // an empty database: nothing to count
	if rebuilds != 0 {
		t.Fatalf("rebuilt an empty database %d times", rebuilds)
	}
	// Rows without counters: a database from before the counters, or a bulk load.
	for _, f := range []follow{{1, 2}, {2, 1}} {
		if err := gdb.Create(&f).Error; err != nil {
			t.Fatal(err)
		}
	}
	ensure()
	if rebuilds != 1 {
		t.Fatalf("rows without counters: %d rebuilds, want 1", rebuilds)
	}
	// Rows with counters: built already.
	add(t, gdb, 1, 1, "follows")
	ensure()
	if rebuilds != 1 {
		t.Fatalf("rows with counters: %d rebuilds, want still 1", rebuilds)
	}
	// Counters without rows (every row deleted since): nothing to rebuild.
	if err := gdb.Exec("DELETE FROM follows").Error; err != nil {
		t.Fatal(err)
	}
	ensure()
	if rebuilds != 1 {
		t.Fatalf("counters without rows: %d rebuilds, want still 1", rebuilds)
	}
}

func TestEnsureBuiltReportsErrors(t *testing.T) {
	ctx := context.Background()
	gdb := open(t)
	if err := gdb.Create(&follow{1, 2}).Error; err != nil {
		t.Fatal(err)
	}
	errRebuild := errors.New("rebuild failed")
	if err := EnsureBuilt(ctx, gdb, &follow{}, &followCounts{}, func(context.Context) error { return errRebuild }); !errors.Is(err, errRebuild) {
		t.Fatalf("the rebuild's error: got %v", err)
	}
	called := false
	never := func(context.Context) error { called = true; return nil }
	if err := gdb.Exec("DROP TABLE follow_counts").Error; err != nil {
		t.Fatal(err)
	}
	if err := EnsureBuilt(ctx, gdb, &follow{}, &followCounts{}, never); err == nil || called {
		t.Fatalf("missing counters table: err %v, rebuilt %v", err, called)
	}
	if err := gdb.Exec("DROP TABLE follows").Error; err != nil {
		t.Fatal(err)
	}
	if err := EnsureBuilt(ctx, gdb, &follow{}, &followCounts{}, never); err == nil || called {
		t.Fatalf("missing rows table: err %v, rebuilt %v", err, called)
	}
}
