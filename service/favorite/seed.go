package favorite

import (
	"context"

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
