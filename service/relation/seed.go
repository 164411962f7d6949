package relation

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SeedFollows inserts follows in batches; duplicates are skipped as in Action.
func SeedFollows(ctx context.Context, db *gorm.DB, fs []Follow) error {
	return db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(fs, 500).Error
}
