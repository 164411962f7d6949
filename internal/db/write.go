package db

import (
	"context"
	"strings"
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
	if gdb.Dialector.Name() == "sqlite" {
		m, _ := sqliteWriters.LoadOrStore(gdb.Config, &sync.Mutex{})
		mu := m.(*sync.Mutex)
		mu.Lock()
		defer mu.Unlock()
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = gdb.WithContext(ctx).Transaction(fn)
		if err == nil || !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

func retryable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Deadlock found") || strings.Contains(s, "Lock wait timeout") ||
		strings.Contains(s, "database is locked")
}
