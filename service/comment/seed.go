package comment

import (
	"context"

	"gorm.io/gorm"
)

// SeedComments inserts comments in batches, then recomputes the counters.
func SeedComments(ctx context.Context, db *gorm.DB, cs []Comment) error {
	if err := db.WithContext(ctx).CreateInBatches(cs, 500).Error; err != nil {
		return err
	}
	return (&store{db: db}).rebuild(ctx)
}
