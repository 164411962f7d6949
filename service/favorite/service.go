// Package favorite is the favorite service: it owns likes and every count
// derived from them.
package favorite

import (
	"context"
	"time"

	"gorm.io/gorm"

	"tiktok/internal/cache"
	"tiktok/internal/counter"
	"tiktok/internal/errno"
	"tiktok/internal/records"
	"tiktok/kitex_gen/base"
	fpb "tiktok/kitex_gen/favorite"
	"tiktok/kitex_gen/publish/publishservice"
)

type Service struct {
	st     *store
	cache  *cache.Cache
	videos *records.Lookup[*base.VideoInfo]
}

func NewService(db *gorm.DB, c *cache.Cache, p publishservice.Client) *Service {
	s := &Service{st: &store{db: db}, cache: c, videos: records.Videos(p)}
	// A database from before the counters gets them computed once.
	_ = counter.EnsureBuilt(context.Background(), db, &Like{}, &VideoLikes{}, s.st.rebuild)
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
	v, found, err := s.videos.Get(ctx, video)
	if err != nil {
		return err
	}
	if !found {
		return errno.NotFound("video not found")
	}
	author := v.AuthorId
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

// Stats answers a page's questions in one call and one cache round trip:
// like counts of videos, whether viewer likes each, and per user the likes
// given and received.
func (s *Service) Stats(ctx context.Context, viewer int64, videos, users []int64) (*fpb.StatsResponse, error) {
	likes := &cache.Group{Prefix: "fav:video", IDs: videos, Load: s.st.videoCounts}
	given := &cache.Group{Prefix: "fav:given", IDs: users, Load: s.st.givenCounts}
	recv := &cache.Group{Prefix: "fav:recv", IDs: users, Load: s.st.receivedCounts}
	groups := []*cache.Group{likes, given, recv}
	var liked *cache.Group
	if viewer > 0 && len(videos) > 0 {
		liked = &cache.Group{Prefix: cache.Key("fav:is", viewer), IDs: videos, Load: s.st.likedFlags(viewer)}
		groups = append(groups, liked)
	}
	if err := cache.Numbers(ctx, s.cache, groups...); err != nil {
		return nil, err
	}
	out := &fpb.StatsResponse{VideoCounts: likes.Out, Liked: map[int64]bool{}, UserCounts: make(map[int64]*fpb.UserCounts, len(users))}
	if liked != nil {
		for id, v := range liked.Out {
			out.Liked[id] = v == 1
		}
	}
	for _, u := range users {
		out.UserCounts[u] = &fpb.UserCounts{FavoriteCount: given.Out[u], TotalFavorited: recv.Out[u]}
	}
	return out, nil
}
