package favorite

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SeedLikes inserts likes in batches (duplicates skipped, as in Action), then
// recomputes the counters from the rows.
func SeedLikes(ctx context.Context, db *gorm.DB, likes []Like) error {
	if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(likes, 500).Error; err != nil {
		return err
	}
	return (&store{db: db}).rebuild(ctx)
}

// CheckCounters compares every counter with the COUNT of its rows in the
// likes table: a video's likes and an author's received likes. It answers
// an error naming the first that differ.
func CheckCounters(ctx context.Context, db *gorm.DB) error {
	for _, c := range counters {
		// Both ways: a counter that differs from its rows, and rows without
		// a counter.
		var bad []struct{ ID, Counted, NRows int64 }
		q := fmt.Sprintf(`SELECT c.%[2]s AS id, c.%[3]s AS counted, COALESCE(l.n, 0) AS n_rows FROM %[1]s c
			LEFT JOIN (SELECT %[4]s AS k, COUNT(*) AS n FROM likes GROUP BY %[4]s) l ON l.k = c.%[2]s
			WHERE c.%[3]s <> COALESCE(l.n, 0)
			UNION ALL
			SELECT l.k, 0, l.n FROM (SELECT %[4]s AS k, COUNT(*) AS n FROM likes GROUP BY %[4]s) l
			LEFT JOIN %[1]s c ON c.%[2]s = l.k WHERE c.%[2]s IS NULL
			LIMIT 10`, c.table, c.key, c.col, c.group)
		if err := db.WithContext(ctx).Raw(q).Scan(&bad).Error; err != nil {
			return err
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s differs from the likes table: %+v", c.table, bad)
		}
	}
	return nil
}
