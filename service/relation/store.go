package relation

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Follow is the follows table, owned by this service: one row per (follower,
// followee) pair, enforced by the primary key. Counts are COUNTs of these rows,
// so racing or repeated requests cannot make them drift.
type Follow struct {
	FollowerID  int64 `gorm:"primaryKey;autoIncrement:false;index:idx_follows_follower_time,priority:1"`
	FolloweeID  int64 `gorm:"primaryKey;autoIncrement:false;index:idx_follows_followee_time,priority:1"`
	CreatedAtMs int64 `gorm:"not null;index:idx_follows_follower_time,priority:2;index:idx_follows_followee_time,priority:2"`
}

type store struct{ db *gorm.DB }

func (s *store) follow(ctx context.Context, f *Follow) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(f).Error
}

func (s *store) unfollow(ctx context.Context, from, to int64) error {
	return s.db.WithContext(ctx).Where("follower_id = ? AND followee_id = ?", from, to).Delete(&Follow{}).Error
}

func (s *store) followees(ctx context.Context, user int64) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Follow{}).Where("follower_id = ?", user).
		Order("created_at_ms DESC, followee_id DESC").Pluck("followee_id", &ids).Error
	return ids, err
}

func (s *store) followers(ctx context.Context, user int64) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Follow{}).Where("followee_id = ?", user).
		Order("created_at_ms DESC, follower_id DESC").Pluck("follower_id", &ids).Error
	return ids, err
}

// friends: users who follow user and whom user follows back, in one query.
func (s *store) friends(ctx context.Context, user int64) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Table("follows AS a").
		Joins("JOIN follows AS b ON b.follower_id = a.followee_id AND b.followee_id = a.follower_id").
		Where("a.follower_id = ?", user).
		Order("a.created_at_ms DESC, a.followee_id DESC").Pluck("a.followee_id", &ids).Error
	return ids, err
}

func (s *store) following(ctx context.Context, viewer int64, ids []int64) ([]int64, error) {
	var out []int64
	err := s.db.WithContext(ctx).Model(&Follow{}).Where("follower_id = ? AND followee_id IN ?", viewer, ids).
		Pluck("followee_id", &out).Error
	return out, err
}

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
	err := s.db.WithContext(ctx).Model(&Follow{}).Select(col+" AS k, COUNT(*) AS n").
		Where(col+" IN ?", ids).Group(col).Scan(&rows).Error
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, err
}
