// Package favorite is the favorite service: it owns likes and every count
// derived from them.
package favorite

import (
	"context"
	"time"

	"gorm.io/gorm"

	"tiktok/internal/cache"
	"tiktok/internal/errno"
	"tiktok/kitex_gen/base"
	fpb "tiktok/kitex_gen/favorite"
	"tiktok/kitex_gen/publish/publishservice"
)

type Service struct {
	st      *store
	cache   *cache.Cache
	publish publishservice.Client
}

func NewService(db *gorm.DB, c *cache.Cache, p publishservice.Client) *Service {
	s := &Service{st: &store{db: db}, cache: c, publish: p}
	if need, err := s.st.needsRebuild(context.Background()); err == nil && need {
		_ = s.st.rebuild(context.Background())
	}
	return s
}

func Models() []any { return []any{&Like{}, &VideoLikes{}, &UserLikes{}} }

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
	author := r.Videos[0].AuthorId
	if action == 2 {
		err = s.st.unlike(ctx, user, video)
	} else {
		err = s.st.like(ctx, &Like{UserID: user, VideoID: video, AuthorID: author, CreatedAtMs: time.Now().UnixMilli()})
	}
	if err != nil {
		return err
	}
	s.cache.Invalidate(ctx, cache.Key("fav:video", video), cache.Key("fav:given", user),
		cache.Key("fav:recv", author), cache.Key("fav:is", user, video))
	return nil
}

func (s *Service) List(ctx context.Context, user int64) ([]int64, error) {
	return s.st.videoIDsOf(ctx, user)
}

func (s *Service) IsFavorite(ctx context.Context, viewer int64, videos []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if viewer <= 0 || len(videos) == 0 {
		return out, nil
	}
	return cache.Batch(ctx, s.cache, cache.Key("fav:is", viewer), videos, func(ctx context.Context, missing []int64) (map[int64]bool, error) {
		m := make(map[int64]bool, len(missing))
		for _, id := range missing {
			m[id] = false
		}
		ids, err := s.st.liked(ctx, viewer, missing)
		for _, id := range ids {
			m[id] = true
		}
		return m, err
	})
}

func (s *Service) VideoCounts(ctx context.Context, videos []int64) (map[int64]int64, error) {
	return cache.Batch(ctx, s.cache, "fav:video", videos, s.st.videoCounts)
}

func (s *Service) UserCounts(ctx context.Context, users []int64) (map[int64]*fpb.UserCounts, error) {
	given, err := cache.Batch(ctx, s.cache, "fav:given", users, s.st.userCounts("given"))
	if err != nil {
		return nil, err
	}
	received, err := cache.Batch(ctx, s.cache, "fav:recv", users, s.st.userCounts("received"))
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*fpb.UserCounts, len(users))
	for _, u := range users {
		out[u] = &fpb.UserCounts{FavoriteCount: given[u], TotalFavorited: received[u]}
	}
	return out, nil
}
