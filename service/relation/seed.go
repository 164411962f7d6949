package relation

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SeedFollows inserts follows in batches (duplicates skipped, as in Action),
// then recomputes the counters from the rows.
func SeedFollows(ctx context.Context, db *gorm.DB, fs []Follow) error {
	if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(fs, 500).Error; err != nil {
		return err
	}
	return (&store{db: db}).rebuild(ctx)
}
