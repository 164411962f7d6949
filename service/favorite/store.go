package favorite

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Like is the favorites table, owned by this service. One row per (user, video)
// pair, enforced by the primary key, is what makes every counter exact: counts
// are COUNTs of these rows, so duplicate or racing requests cannot drift them.
// author_id is copied from the video at like time (it never changes) so that
// total_favorited is a single indexed COUNT, not a join across services.
type Like struct {
	UserID      int64 `gorm:"primaryKey;autoIncrement:false;index:idx_likes_user_time,priority:1"`
	VideoID     int64 `gorm:"primaryKey;autoIncrement:false;index:idx_likes_video"`
	AuthorID    int64 `gorm:"not null;index:idx_likes_author"`
	CreatedAtMs int64 `gorm:"not null;index:idx_likes_user_time,priority:2"`
}

type store struct{ db *gorm.DB }

// like inserts the pair unless it exists: one statement, so a duplicate or a
// racing like is a no-op, never a second row.
func (s *store) like(ctx context.Context, l *Like) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(l).Error
}

func (s *store) unlike(ctx context.Context, user, video int64) error {
	return s.db.WithContext(ctx).Where("user_id = ? AND video_id = ?", user, video).Delete(&Like{}).Error
}

func (s *store) videoIDsOf(ctx context.Context, user int64) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Like{}).Where("user_id = ?", user).
		Order("created_at_ms DESC, video_id DESC").Pluck("video_id", &ids).Error
	return ids, err
}

func (s *store) liked(ctx context.Context, user int64, videos []int64) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Like{}).Where("user_id = ? AND video_id IN ?", user, videos).
		Pluck("video_id", &ids).Error
	return ids, err
}

// countBy counts rows grouped by col over the given ids in one query.
func (s *store) countBy(ctx context.Context, col string, ids []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[id] = 0 // zero is an answer, and is cached as one
	}
	var rows []struct {
		K int64
		N int64
	}
	err := s.db.WithContext(ctx).Model(&Like{}).Select(col+" AS k, COUNT(*) AS n").
		Where(col+" IN ?", ids).Group(col).Scan(&rows).Error
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, err
}
