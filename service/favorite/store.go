package favorite

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"tiktok/internal/counter"
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

// VideoLikes counts the likes of a video; UserLikes the likes a user gave and
// received. They change in the transaction that adds or removes a like, and
// only when a row really was added or removed, so they always equal COUNTs
// of the likes table (the tests compare them).
type VideoLikes struct {
	VideoID int64 `gorm:"primaryKey;autoIncrement:false"`
	N       int64 `gorm:"not null;default:0"`
}

type UserLikes struct {
	UserID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Given    int64 `gorm:"not null;default:0"`
	Received int64 `gorm:"not null;default:0"`
}

func (VideoLikes) TableName() string { return "video_like_counts" }
func (UserLikes) TableName() string  { return "user_like_counts" }

type store struct{ db *gorm.DB }

// like inserts the pair unless it exists and, only if it was new, counts it.
func (s *store) like(ctx context.Context, l *Like) error {
	return db.Write(ctx, s.db, func(tx *gorm.DB) error {
		r := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(l)
		if r.Error != nil || r.RowsAffected != 1 {
			return r.Error
		}
		return s.count(tx, l.VideoID, l.UserID, l.AuthorID, 1)
	})
}

// unlike removes the pair and, only if it was there, uncounts it. author is
// the video's author, which the row copied when it was made (it never
// changes), so the row need not be read first.
func (s *store) unlike(ctx context.Context, user, video, author int64) error {
	return db.Write(ctx, s.db, func(tx *gorm.DB) error {
		d := tx.Where("user_id = ? AND video_id = ?", user, video).Delete(&Like{})
		if d.Error != nil || d.RowsAffected != 1 {
			return d.Error
		}
		return s.count(tx, video, user, author, -1)
	})
}

// count moves the three counters of one like by delta, always in the same
// order (video, then users by id) so concurrent transactions do not deadlock:
// the video's row, then the giver's and the author's in one statement.
func (s *store) count(tx *gorm.DB, video, user, author int64, delta int64) error {
	if err := counter.Add(tx, &VideoLikes{}, "video_id", video, delta, "n"); err != nil {
		return err
	}
	return tx.Exec(userCountsSQL(tx.Dialector.Name(), user, author, delta)).Error
}

// userCountsSQL is one upsert moving user's "given" and author's "received"
// by delta, rows in id order. A missing row starts at max(delta, 0), as in
// counter.Add. The CASEs pick each row's column, since the conflict update
// applies to every row of the statement.
func userCountsSQL(dialect string, user, author, delta int64) string {
	ins := max(delta, 0)
	var values string
	if user == author { // a like of one's own video: one row, both columns
		values = fmt.Sprintf("(%d, %d, %d)", user, ins, ins)
	} else if user < author {
		values = fmt.Sprintf("(%d, %d, 0), (%d, 0, %d)", user, ins, author, ins)
	} else {
		values = fmt.Sprintf("(%d, 0, %d), (%d, %d, 0)", author, ins, user, ins)
	}
	set := fmt.Sprintf("given = given + CASE WHEN user_id = %d THEN %d ELSE 0 END, "+
		"received = received + CASE WHEN user_id = %d THEN %d ELSE 0 END", user, delta, author, delta)
	if dialect == "mysql" {
		return "INSERT INTO user_like_counts (user_id, given, received) VALUES " + values + " ON DUPLICATE KEY UPDATE " + set
	}
	return "INSERT INTO user_like_counts (user_id, given, received) VALUES " + values + " ON CONFLICT (user_id) DO UPDATE SET " + set
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

func (s *store) userCounts(col string) func(context.Context, []int64) (map[int64]int64, error) {
	return func(ctx context.Context, ids []int64) (map[int64]int64, error) {
		return counter.Get(ctx, s.db, &UserLikes{}, "user_id", ids, col)
	}
}

// rebuild recomputes every counter from the likes table (after a bulk load,
// or on a database that predates the counters).
func (s *store) rebuild(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{
			"DELETE FROM video_like_counts",
			"DELETE FROM user_like_counts",
			"INSERT INTO video_like_counts (video_id, n) SELECT video_id, COUNT(*) FROM likes GROUP BY video_id",
			"INSERT INTO user_like_counts (user_id, given, received) SELECT u, SUM(g), SUM(r) FROM (" +
				"SELECT user_id AS u, 1 AS g, 0 AS r FROM likes UNION ALL SELECT author_id, 0, 1 FROM likes) t GROUP BY u",
		} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	})
}
