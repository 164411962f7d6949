package comment

import (
	"context"

	"gorm.io/gorm"
)

// SeedComments inserts comments in batches.
func SeedComments(ctx context.Context, db *gorm.DB, cs []Comment) error {
	return db.WithContext(ctx).CreateInBatches(cs, 500).Error
}
