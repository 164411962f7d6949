package comment

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"tiktok/domain/counter"
	"tiktok/internal/db"
)

// Comment is the comments table, owned by this service.
type Comment struct {
	ID          int64  `gorm:"primaryKey;autoIncrement"`
	VideoID     int64  `gorm:"not null;index:idx_comments_video,priority:1"`
	UserID      int64  `gorm:"not null"`
	Content     string `gorm:"type:text;not null"`
	CreatedAtMs int64  `gorm:"not null"`
}

// VideoComments counts a video's comments, changed in the transaction that
// adds or removes one, so it always equals the COUNT of the video's rows.
type VideoComments struct {
	VideoID int64 `gorm:"primaryKey;autoIncrement:false"`
	N       int64 `gorm:"not null;default:0"`
}

func (VideoComments) TableName() string { return "comment_counts" }

type store struct{ db *gorm.DB }

func (s *store) create(ctx context.Context, c *Comment) error {
	return db.Write(ctx, s.db, func(tx *gorm.DB) error {
		c.ID = 0
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		return counter.Add(tx, &VideoComments{}, "video_id", c.VideoID, 1, "n")
	})
}

func (s *store) get(ctx context.Context, id int64) (*Comment, error) {
	var c Comment
	err := s.db.WithContext(ctx).Take(&c, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &c, err
}

// delete removes the comment and, only if it was there, uncounts it.
func (s *store) delete(ctx context.Context, c *Comment) error {
	return db.Write(ctx, s.db, func(tx *gorm.DB) error {
		d := tx.Delete(&Comment{}, c.ID)
		if d.Error != nil || d.RowsAffected != 1 {
			return d.Error
		}
		return counter.Add(tx, &VideoComments{}, "video_id", c.VideoID, -1, "n")
	})
}

// byVideo lists newest first; ids grow with time, so id order is time order.
func (s *store) byVideo(ctx context.Context, video int64) ([]Comment, error) {
	var cs []Comment
	err := s.db.WithContext(ctx).Where("video_id = ?", video).Order("id DESC").Find(&cs).Error
	return cs, err
}

func (s *store) counts(ctx context.Context, videos []int64) (map[int64]int64, error) {
	return counter.Get(ctx, s.db, &VideoComments{}, "video_id", videos, "n")
}

// rebuild recomputes the counters from the comments table.
func (s *store) rebuild(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM comment_counts").Error; err != nil {
			return err
		}
		return tx.Exec("INSERT INTO comment_counts (video_id, n) SELECT video_id, COUNT(*) FROM comments GROUP BY video_id").Error
	})
}
