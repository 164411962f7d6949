package db

import (
	"errors"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// Errors are recognised by the servers' error numbers, which are stable,
// rather than by their messages, which are not.
const (
	mysqlDupEntry        = 1062 // ER_DUP_ENTRY
	mysqlLockWaitTimeout = 1205 // ER_LOCK_WAIT_TIMEOUT
	mysqlDeadlock        = 1213 // ER_LOCK_DEADLOCK

	sqliteBusy                 = 5    // SQLITE_BUSY, "database is locked"; extended codes keep it in the low byte
	sqliteConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteConstraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
)

func mysqlErrno(err error) uint16 {
	var e *mysql.MySQLError
	if errors.As(err, &e) {
		return e.Number
	}
	return 0
}

// sqliteCode is the driver's extended result code (the driver turns extended
// codes on), or 0.
func sqliteCode(err error) int {
	var e *gosqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isDuplicate reports a unique or primary key violation, translated by gorm
// (TranslateError) or still the driver's.
func isDuplicate(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) || mysqlErrno(err) == mysqlDupEntry {
		return true
	}
	c := sqliteCode(err)
	return c == sqliteConstraintUnique || c == sqliteConstraintPrimaryKey
}

// retryable reports an error after which the write may simply run again:
// MySQL chose it as a deadlock victim or it waited too long for a row lock,
// or SQLite's busy timeout ran out. Write's transaction has rolled back.
func retryable(err error) bool {
	switch mysqlErrno(err) {
	case mysqlDeadlock, mysqlLockWaitTimeout:
		return true
	}
	return sqliteCode(err)&0xff == sqliteBusy
}
