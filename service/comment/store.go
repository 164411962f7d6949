package comment

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// Comment is the comments table, owned by this service. Counts are COUNTs of
// rows (indexed by video), so they are exact by construction.
type Comment struct {
	ID          int64  `gorm:"primaryKey;autoIncrement"`
	VideoID     int64  `gorm:"not null;index:idx_comments_video,priority:1"`
	UserID      int64  `gorm:"not null"`
	Content     string `gorm:"type:text;not null"`
	CreatedAtMs int64  `gorm:"not null"`
}

type store struct{ db *gorm.DB }

func (s *store) create(ctx context.Context, c *Comment) error {
	return s.db.WithContext(ctx).Create(c).Error
}

func (s *store) get(ctx context.Context, id int64) (*Comment, error) {
	var c Comment
	err := s.db.WithContext(ctx).Take(&c, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &c, err
}

func (s *store) delete(ctx context.Context, id int64) error {
	return s.db.WithContext(ctx).Delete(&Comment{}, id).Error
}

// byVideo lists newest first; ids grow with time, so id order is time order.
func (s *store) byVideo(ctx context.Context, video int64) ([]Comment, error) {
	var cs []Comment
	err := s.db.WithContext(ctx).Where("video_id = ?", video).Order("id DESC").Find(&cs).Error
	return cs, err
}

func (s *store) counts(ctx context.Context, videos []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(videos))
	if len(videos) == 0 {
		return out, nil
	}
	for _, v := range videos {
		out[v] = 0 // zero is an answer, and is cached as one
	}
	var rows []struct {
		VideoID int64
		N       int64
	}
	err := s.db.WithContext(ctx).Model(&Comment{}).Select("video_id, COUNT(*) AS n").
		Where("video_id IN ?", videos).Group("video_id").Scan(&rows).Error
	for _, r := range rows {
		out[r.VideoID] = r.N
	}
	return out, err
}
