package favorite

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SeedLikes inserts likes in batches; duplicates are skipped as in Action.
func SeedLikes(ctx context.Context, db *gorm.DB, likes []Like) error {
	return db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(likes, 500).Error
}
