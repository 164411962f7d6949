// Package favorite is the favorite service: it owns likes and every count
// derived from them.
package favorite

import (
	"context"
	"time"

	"gorm.io/gorm"

	"tiktok/internal/errno"
	"tiktok/kitex_gen/base"
	fpb "tiktok/kitex_gen/favorite"
	"tiktok/kitex_gen/publish/publishservice"
)

type Service struct {
	st      *store
	publish publishservice.Client
}

func NewService(db *gorm.DB, p publishservice.Client) *Service {
	return &Service{st: &store{db: db}, publish: p}
}

func Models() []any { return []any{&Like{}} }

// Action likes (1) or unlikes (2); both are idempotent. The video must exist.
func (s *Service) Action(ctx context.Context, user, video int64, action int32) error {
	if user <= 0 {
		return errno.Unauthorized("login required")
	}
	if action != 1 && action != 2 {
		return errno.BadParam("action_type must be 1 (like) or 2 (unlike)")
	}
	if video <= 0 {
		return errno.BadParam("video_id is required")
	}
	r, err := s.publish.MGetVideos(ctx, &base.IdsRequest{Ids: []int64{video}})
	if err != nil {
		return err
	}
	if len(r.Videos) == 0 {
		return errno.NotFound("video not found")
	}
	if action == 2 {
		return s.st.unlike(ctx, user, video)
	}
	return s.st.like(ctx, &Like{UserID: user, VideoID: video, AuthorID: r.Videos[0].AuthorId, CreatedAtMs: time.Now().UnixMilli()})
}

func (s *Service) List(ctx context.Context, user int64) ([]int64, error) {
	return s.st.videoIDsOf(ctx, user)
}

func (s *Service) IsFavorite(ctx context.Context, viewer int64, videos []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if viewer <= 0 || len(videos) == 0 {
		return out, nil
	}
	ids, err := s.st.liked(ctx, viewer, videos)
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

func (s *Service) VideoCounts(ctx context.Context, videos []int64) (map[int64]int64, error) {
	return s.st.countBy(ctx, "video_id", videos)
}

func (s *Service) UserCounts(ctx context.Context, users []int64) (map[int64]*fpb.UserCounts, error) {
	given, err := s.st.countBy(ctx, "user_id", users)
	if err != nil {
		return nil, err
	}
	received, err := s.st.countBy(ctx, "author_id", users)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*fpb.UserCounts, len(users))
	for _, u := range users {
		out[u] = &fpb.UserCounts{FavoriteCount: given[u], TotalFavorited: received[u]}
	}
	return out, nil
}
