package relation

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"tiktok/domain/counter"
	"tiktok/internal/db"
)

// Follow is the follows table, owned by this service: one row per (follower,
// followee) pair, enforced by the primary key.
type Follow struct {
	FollowerID  int64 `gorm:"primaryKey;autoIncrement:false;index:idx_follows_follower_time,priority:1"`
	FolloweeID  int64 `gorm:"primaryKey;autoIncrement:false;index:idx_follows_followee_time,priority:1"`
	CreatedAtMs int64 `gorm:"not null;index:idx_follows_follower_time,priority:2;index:idx_follows_followee_time,priority:2"`
}

// FollowCounts counts, per user, the users they follow and their followers.
// It changes in the transaction that adds or removes a follow, and only when
// a row really was added or removed, so it always equals COUNTs of follows.
type FollowCounts struct {
	UserID    int64 `gorm:"primaryKey;autoIncrement:false"`
	Follows   int64 `gorm:"not null;default:0"`
	Followers int64 `gorm:"not null;default:0"`
}

func (FollowCounts) TableName() string { return "follow_counts" }

type store struct{ db *gorm.DB }

func (s *store) follow(ctx context.Context, f *Follow) error {
	return db.Write(ctx, s.db, func(tx *gorm.DB) error {
		r := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(f)
		if r.Error != nil || r.RowsAffected != 1 {
			return r.Error
		}
		return s.count(tx, f.FollowerID, f.FolloweeID, 1)
	})
}

func (s *store) unfollow(ctx context.Context, from, to int64) error {
	return db.Write(ctx, s.db, func(tx *gorm.DB) error {
		d := tx.Where("follower_id = ? AND followee_id = ?", from, to).Delete(&Follow{})
		if d.Error != nil || d.RowsAffected != 1 {
			return d.Error
		}
		return s.count(tx, from, to, -1)
	})
}

// count moves both users' counters, lower id first so that concurrent
// transactions take row locks in one order.
func (s *store) count(tx *gorm.DB, from, to, delta int64) error {
	follows := func() error { return counter.Add(tx, &FollowCounts{}, "user_id", from, delta, "follows") }
	followers := func() error { return counter.Add(tx, &FollowCounts{}, "user_id", to, delta, "followers") }
	first, second := follows, followers
	if to < from {
		first, second = followers, follows
	}
	if err := first(); err != nil {
		return err
	}
	return second()
}

func (s *store) counts(col string) func(context.Context, []int64) (map[int64]int64, error) {
	return func(ctx context.Context, ids []int64) (map[int64]int64, error) {
		return counter.Get(ctx, s.db, &FollowCounts{}, "user_id", ids, col)
	}
}

// rebuild recomputes the counters from the follows table.
func (s *store) rebuild(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{
			"DELETE FROM follow_counts",
			"INSERT INTO follow_counts (user_id, follows, followers) SELECT u, SUM(a), SUM(b) FROM (" +
				"SELECT follower_id AS u, 1 AS a, 0 AS b FROM follows UNION ALL SELECT followee_id, 0, 1 FROM follows) t GROUP BY u",
		} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	})
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

// followingFlags loads, for viewer, 1 for each of ids they follow, else 0.
func (s *store) followingFlags(viewer int64) func(context.Context, []int64) (map[int64]int64, error) {
	return func(ctx context.Context, ids []int64) (map[int64]int64, error) {
		out := make(map[int64]int64, len(ids))
		for _, id := range ids {
			out[id] = 0
		}
		var got []int64
		err := s.db.WithContext(ctx).Model(&Follow{}).Where("follower_id = ? AND followee_id IN ?", viewer, ids).
			Pluck("followee_id", &got).Error
		for _, id := range got {
			out[id] = 1
		}
		return out, err
	}
}
