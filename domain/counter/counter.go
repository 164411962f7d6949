// Package counter serves per-id counts of a service's rows. Most are kept as
// counter rows in the service's own table, moved in the same transaction as
// the rows they count (Add, or the table's triggers, as favorite's likes
// do), and only when a row really changed (the caller checks that its insert
// or delete affected a row). Reading a page's counts is then one primary-key
// lookup per counter column (Get), not a COUNT over every row; exactness
// still rests on the unique keys. EnsureBuilt computes missing counters once.
// The counts kept as no counter row are counted from the rows (CountRows).
package counter

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Add changes columns of the counter row id of model's table by delta (+1 or
// -1), creating the row when missing (its cols at delta, or 0 for a negative
// delta; other columns at their defaults). Call it inside the transaction tx.
func Add(tx *gorm.DB, model any, idCol string, id int64, delta int64, cols ...string) error {
	row := map[string]any{idCol: id}
	set := clause.Set{}
	for _, c := range cols {
		row[c] = max(delta, 0)
		set = append(set, clause.Assignment{Column: clause.Column{Name: c}, Value: gorm.Expr(c+" + ?", delta)})
	}
	return tx.Model(model).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: idCol}}, DoUpdates: set}).Create(row).Error
}

// Get reads column col of the counter rows of ids, in one query; missing
// rows count 0.
func Get(ctx context.Context, db *gorm.DB, model any, idCol string, ids []int64, col string) (map[int64]int64, error) {
	return byID(ids, func(rows any) error {
		return db.WithContext(ctx).Model(model).Select(idCol+" AS k, "+col+" AS n").Where(idCol+" IN ?", ids).Scan(rows).Error
	})
}

// EnsureBuilt runs rebuild when the rows table has rows but the counters
// table has none: a database from before the counters, or a bulk load.
func EnsureBuilt(ctx context.Context, db *gorm.DB, rows, counters any, rebuild func(context.Context) error) error {
	some, err := hasRows(ctx, db, rows)
	if err != nil || !some {
		return err
	}
	if some, err = hasRows(ctx, db, counters); err != nil || some {
		return err
	}
	return rebuild(ctx)
}

// hasRows reads at most one row: COUNT(*) with a LIMIT still counts the
// whole table, which at every start of a large database is a full scan.
func hasRows(ctx context.Context, db *gorm.DB, model any) (bool, error) {
	var one []int
	err := db.WithContext(ctx).Model(model).Select("1").Limit(1).Scan(&one).Error
	return len(one) > 0, err
}

// CountRows counts model's rows for each of ids in column idCol (0 when
// none), in one grouped query over an index on idCol. It serves the counts
// kept as no counter row: few rows per id (an author's videos), or a row that
// would be contended (the likes one user gives).
func CountRows(ctx context.Context, db *gorm.DB, model any, idCol string, ids []int64) (map[int64]int64, error) {
	return byID(ids, func(rows any) error {
		return db.WithContext(ctx).Model(model).Select(idCol+" AS k, COUNT(*) AS n").
			Where(idCol+" IN ?", ids).Group(idCol).Scan(rows).Error
	})
}

// byID runs query, which scans (k, n) rows, into a map with every id of ids:
// an id without a row is 0 (zero is an answer, and is cached as one).
func byID(ids []int64, query func(rows any) error) (map[int64]int64, error) {
	out := make(map[int64]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[id] = 0
	}
	var rows []struct {
		K int64
		N int64
	}
	err := query(&rows)
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, err
}
