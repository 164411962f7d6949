// Package favorite is the favorite service: it owns likes and every count
// derived from them.
package favorite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"tiktok/domain/counter"
	"tiktok/domain/records"
	"tiktok/internal/cache"
	"tiktok/internal/errno"
	"tiktok/kitex_gen/base"
	fpb "tiktok/kitex_gen/favorite"
	"tiktok/kitex_gen/publish/publishservice"
)

// Service implements favoriteservice's Kitex interface itself.
type Service struct {
	st     *store
	cache  *cache.Cache
	videos *records.Lookup[*base.VideoInfo]
}

var _ fpb.FavoriteService = (*Service)(nil)

// Options are what the favorite service is built on.
type Options struct {
	DB *gorm.DB // required: the favorite tables
	// Cache fronts its reads; nil is a valid, always-missing cache
	// (cache.New's answer without Redis).
	Cache   *cache.Cache
	Publish publishservice.Client // required: looks up the liked videos
}

// New fails when a required dependency is missing, or when the counters of
// a database from before them cannot be computed: serving would answer
// wrong counts.
func New(ctx context.Context, o Options) (*Service, error) {
	switch {
	case o.DB == nil:
		return nil, errors.New("favorite: no database")
	case o.Publish == nil:
		return nil, errors.New("favorite: no publish client")
	}
	s := &Service{st: &store{db: o.DB}, cache: o.Cache, videos: records.Videos(o.Publish)}
	if err := counter.EnsureBuilt(ctx, o.DB, &Like{}, &VideoLikes{}, s.st.rebuild); err != nil {
		return nil, fmt.Errorf("favorite counters: %w", err)
	}
	return s, nil
}

// Action likes (1) or unlikes (2); both are idempotent. The video must exist.
func (s *Service) Action(ctx context.Context, req *fpb.ActionRequest) (*base.Empty, error) {
	user, video, action := req.UserId, req.VideoId, req.ActionType
	if user <= 0 {
		return nil, errno.Unauthorized("login required")
	}
	if action != 1 && action != 2 {
		return nil, errno.BadParam("action_type must be 1 (like) or 2 (unlike)")
	}
	if video <= 0 {
		return nil, errno.BadParam("video_id is required")
	}
	v, found, err := s.videos.Get(ctx, video)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errno.NotFound("video not found")
	}
	author := v.AuthorId
	if action == 2 {
		err = s.st.unlike(ctx, user, video)
	} else {
		err = s.st.like(ctx, &Like{UserID: user, VideoID: video, AuthorID: author, CreatedAtMs: time.Now().UnixMilli()})
	}
	if err != nil {
		return nil, err
	}
	s.cache.Invalidate(ctx, cache.Key("fav:video", video), cache.Key("fav:given", user),
		cache.Key("fav:recv", author), cache.Key("fav:is", user, video))
	return &base.Empty{}, nil
}

// ListVideoIds returns the videos req.UserId likes, newest like first.
func (s *Service) ListVideoIds(ctx context.Context, req *fpb.ListRequest) (*base.IdsResponse, error) {
	ids, err := s.st.videoIDsOf(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	return &base.IdsResponse{Ids: ids}, nil
}

// Stats answers a page's questions in one call and one cache round trip:
// like counts of videos, whether viewer likes each, and per user the likes
// given and received.
func (s *Service) Stats(ctx context.Context, req *fpb.StatsRequest) (*fpb.StatsResponse, error) {
	viewer, videos, users := req.ViewerId, req.VideoIds, req.UserIds
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
