package favorite

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"tiktok/domain/counter"
	"tiktok/internal/db"
)

// Like is the likes table, owned by this service. One row per (user, video)
// pair, enforced by the primary key. author_id is copied from the video at
// like time (it never changes), so received likes count per author.
type Like struct {
	UserID      int64 `gorm:"primaryKey;autoIncrement:false;index:idx_likes_user_time,priority:1"`
	VideoID     int64 `gorm:"primaryKey;autoIncrement:false;index:idx_likes_video"`
	AuthorID    int64 `gorm:"not null;index:idx_likes_author"`
	CreatedAtMs int64 `gorm:"not null;index:idx_likes_user_time,priority:2"`
}

// VideoLikes counts the likes of a video; UserLikes the likes an author
// received. The likes table's triggers move them in the statement that
// inserts or deletes a like row, and only then (a duplicate like inserts
// nothing), so they always equal COUNTs of the likes table (the tests compare
// them). The likes a user gave are counted from the likes table itself, by
// its user_id index (givenCounts): a counter row of the liker would be shared
// by all of their likes, and a busy liker's likes would queue on its lock.
type VideoLikes struct {
	VideoID int64 `gorm:"primaryKey;autoIncrement:false"`
	N       int64 `gorm:"not null;default:0"`
}

type UserLikes struct {
	UserID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Received int64 `gorm:"not null;default:0"`
}

func (VideoLikes) TableName() string { return "video_like_counts" }
func (UserLikes) TableName() string  { return "user_like_counts" }

type store struct{ db *gorm.DB }

// like inserts the pair unless it exists. The counters move with it: the
// likes table's triggers count a row inserted or deleted, in the statement
// itself (migrations/*/0003_like_triggers.sql), so a like is one autocommitted statement and one
// round trip, and a duplicate, which inserts nothing, counts nothing.
func (s *store) like(ctx context.Context, l *Like) error {
	return db.WriteOne(ctx, s.db, func(g *gorm.DB) error {
		return g.Clauses(clause.OnConflict{DoNothing: true}).Create(l).Error
	})
}

// unlike removes the pair; the triggers uncount it only if it was there.
func (s *store) unlike(ctx context.Context, user, video int64) error {
	return db.WriteOne(ctx, s.db, func(g *gorm.DB) error {
		return g.Where("user_id = ? AND video_id = ?", user, video).Delete(&Like{}).Error
	})
}

func (s *store) videoIDsOf(ctx context.Context, user int64) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Like{}).Where("user_id = ?", user).
		Order("created_at_ms DESC, video_id DESC").Pluck("video_id", &ids).Error
	return ids, err
}

// likedFlags loads, for user, 1 for each of videos they like and 0 otherwise.
func (s *store) likedFlags(user int64) func(context.Context, []int64) (map[int64]int64, error) {
	return func(ctx context.Context, videos []int64) (map[int64]int64, error) {
		out := make(map[int64]int64, len(videos))
		for _, v := range videos {
			out[v] = 0
		}
		var ids []int64
		err := s.db.WithContext(ctx).Model(&Like{}).Where("user_id = ? AND video_id IN ?", user, videos).
			Pluck("video_id", &ids).Error
		for _, id := range ids {
			out[id] = 1
		}
		return out, err
	}
}

func (s *store) videoCounts(ctx context.Context, ids []int64) (map[int64]int64, error) {
	return counter.Get(ctx, s.db, &VideoLikes{}, "video_id", ids, "n")
}

func (s *store) receivedCounts(ctx context.Context, ids []int64) (map[int64]int64, error) {
	return counter.Get(ctx, s.db, &UserLikes{}, "user_id", ids, "received")
}

// givenCounts counts the likes each user gave, over the primary key's user_id
// prefix: one query for all ids.
func (s *store) givenCounts(ctx context.Context, ids []int64) (map[int64]int64, error) {
	return counter.CountRows(ctx, s.db, &Like{}, "user_id", ids)
}

// rebuild recomputes every counter from the likes table (after a bulk load,
// or on a database that predates the counters).
func (s *store) rebuild(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, c := range counters {
			if err := tx.Exec("DELETE FROM " + c.table).Error; err != nil {
				return err
			}
			q := fmt.Sprintf("INSERT INTO %s (%s, %s) SELECT %s, COUNT(*) FROM likes GROUP BY %s", c.table, c.key, c.col, c.group, c.group)
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// counters are the counter tables: each keeps, per key, the COUNT of likes
// rows grouped by a column (rebuild, CheckCounters).
var counters = []struct{ table, key, col, group string }{
	{"video_like_counts", "video_id", "n", "video_id"},
	{"user_like_counts", "user_id", "received", "author_id"},
}
