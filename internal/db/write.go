package db

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"
)

// sqliteWriters holds one lock per SQLite database. SQLite has one writer at
// a time; without this, concurrent writers would each hold a pooled
// connection while they wait for the file lock, and readers would queue
// behind them for a connection.
var sqliteWriters sync.Map // *gorm.Config -> *sync.Mutex

// Write runs fn in a transaction: serialised in the process for SQLite, and
// run again when MySQL broke a deadlock or a lock wait, a bounded number of
// times.
func Write(ctx context.Context, gdb *gorm.DB, fn func(tx *gorm.DB) error) error {
	return write(ctx, gdb, func(g *gorm.DB) error { return g.Transaction(fn) })
}

// WriteOne runs fn, which makes one statement, on its own (autocommitted: one
// round trip to MySQL instead of three; gorm's own transaction around a
// single create or delete is skipped), with Write's serialisation and retries.
func WriteOne(ctx context.Context, gdb *gorm.DB, fn func(db *gorm.DB) error) error {
	return write(ctx, gdb, func(g *gorm.DB) error {
		return fn(g.Session(&gorm.Session{SkipDefaultTransaction: true}))
	})
}

func write(ctx context.Context, gdb *gorm.DB, fn func(g *gorm.DB) error) error {
	if gdb.Dialector.Name() == "sqlite" {
		m, _ := sqliteWriters.LoadOrStore(gdb.Config, &sync.Mutex{})
		mu := m.(*sync.Mutex)
		mu.Lock()
		defer mu.Unlock()
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = fn(gdb.WithContext(ctx))
		if err == nil || !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}
