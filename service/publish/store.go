package publish

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"tiktok/internal/counter"
)

// Video is the videos table, owned by the publish service. created_at_ms is
// unique so that the feed's "strictly before latest_time" paging can never
// skip a video that shares a millisecond with the last one of a page.
type Video struct {
	ID          int64  `gorm:"primaryKey;autoIncrement"`
	AuthorID    int64  `gorm:"not null;index:idx_videos_author_created,priority:1"`
	Title       string `gorm:"size:400;not null"`
	VideoKey    string `gorm:"size:255;not null"`
	CoverKey    string `gorm:"size:255;not null"`
	CreatedAtMs int64  `gorm:"not null;uniqueIndex:uk_videos_created;index:idx_videos_author_created,priority:2"`
}

type store struct{ db *gorm.DB }

// insert stores v at a publish time no earlier than atMs, moving it forward
// one millisecond at a time while another video holds that millisecond.
func (s *store) insert(ctx context.Context, v *Video, atMs int64) error {
	v.CreatedAtMs = atMs
	for try := 0; ; try++ {
		err := s.db.WithContext(ctx).Create(v).Error
		if !errors.Is(err, gorm.ErrDuplicatedKey) || try >= 1000 {
			return err
		}
		var last int64
		if err := s.db.WithContext(ctx).Model(&Video{}).Select("COALESCE(MAX(created_at_ms), 0)").Scan(&last).Error; err != nil {
			return err
		}
		v.ID = 0
		v.CreatedAtMs = max(v.CreatedAtMs, last) + 1
	}
}

func (s *store) before(ctx context.Context, beforeMs int64, limit int) ([]Video, error) {
	var vs []Video
	err := s.db.WithContext(ctx).Where("created_at_ms < ?", beforeMs).
		Order("created_at_ms DESC").Limit(limit).Find(&vs).Error
	return vs, err
}

func (s *store) byAuthor(ctx context.Context, author int64) ([]Video, error) {
	var vs []Video
	err := s.db.WithContext(ctx).Where("author_id = ?", author).Order("created_at_ms DESC").Find(&vs).Error
	return vs, err
}

func (s *store) byIDs(ctx context.Context, ids []int64) (map[int64]Video, error) {
	var vs []Video
	out := make(map[int64]Video, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&vs).Error
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, err
}

func (s *store) workCounts(ctx context.Context, authors []int64) (map[int64]int64, error) {
	return counter.CountRows(ctx, s.db, &Video{}, "author_id", authors)
}
