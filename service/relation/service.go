// Package relation is the relation service: it owns follows and the counts,
// lists and flags derived from them.
package relation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"tiktok/domain/counter"
	"tiktok/internal/cache"
	"tiktok/internal/errno"
	"tiktok/kitex_gen/base"
	rpb "tiktok/kitex_gen/relation"
	"tiktok/kitex_gen/user/userservice"
)

// Service implements relationservice's Kitex interface itself.
type Service struct {
	st    *store
	cache *cache.Cache
	user  userservice.Client
}

var _ rpb.RelationService = (*Service)(nil)

// Options are what the relation service is built on.
type Options struct {
	DB *gorm.DB // required: the relation tables
	// Cache fronts its reads; nil is a valid, always-missing cache
	// (cache.New's answer without Redis).
	Cache *cache.Cache
	User  userservice.Client // required: checks that a followed user exists
}

// New fails when a required dependency is missing, or when the counters of
// a database from before them cannot be computed: serving would answer
// wrong counts.
func New(ctx context.Context, o Options) (*Service, error) {
	switch {
	case o.DB == nil:
		return nil, errors.New("relation: no database")
	case o.User == nil:
		return nil, errors.New("relation: no user client")
	}
	s := &Service{st: &store{db: o.DB}, cache: o.Cache, user: o.User}
	if err := counter.EnsureBuilt(ctx, o.DB, &Follow{}, &FollowCounts{}, s.st.rebuild); err != nil {
		return nil, fmt.Errorf("relation counters: %w", err)
	}
	return s, nil
}

// Action follows (1) or unfollows (2); both idempotent, never yourself, and
// the target must exist.
func (s *Service) Action(ctx context.Context, req *rpb.ActionRequest) (*base.Empty, error) {
	from, to, action := req.UserId, req.ToUserId, req.ActionType
	if from <= 0 {
		return nil, errno.Unauthorized("login required")
	}
	if action != 1 && action != 2 {
		return nil, errno.BadParam("action_type must be 1 (follow) or 2 (unfollow)")
	}
	if to <= 0 {
		return nil, errno.BadParam("to_user_id is required")
	}
	if to == from {
		return nil, errno.BadParam("you cannot follow yourself")
	}
	r, err := s.user.MGetUsers(ctx, &base.IdsRequest{Ids: []int64{to}})
	if err != nil {
		return nil, err
	}
	if r.Users[to] == nil {
		return nil, errno.NotFound("user not found")
	}
	if action == 2 {
		err = s.st.unfollow(ctx, from, to)
	} else {
		err = s.st.follow(ctx, &Follow{FollowerID: from, FolloweeID: to, CreatedAtMs: time.Now().UnixMilli()})
	}
	if err != nil {
		return nil, err
	}
	s.cache.Invalidate(ctx, cache.Key("rel:follows", from), cache.Key("rel:followers", to), cache.Key("rel:is", from, to))
	return &base.Empty{}, nil
}

func ids(v []int64, err error) (*base.IdsResponse, error) {
	if err != nil {
		return nil, err
	}
	return &base.IdsResponse{Ids: v}, nil
}

func (s *Service) FollowList(ctx context.Context, req *rpb.ListRequest) (*base.IdsResponse, error) {
	return ids(s.st.followees(ctx, req.UserId))
}

func (s *Service) FollowerList(ctx context.Context, req *rpb.ListRequest) (*base.IdsResponse, error) {
	return ids(s.st.followers(ctx, req.UserId))
}

func (s *Service) FriendList(ctx context.Context, req *rpb.ListRequest) (*base.IdsResponse, error) {
	return ids(s.st.friends(ctx, req.UserId))
}

// Stats answers, for ids, follow counts and whether viewer follows each, in
// one call and one cache round trip.
func (s *Service) Stats(ctx context.Context, req *base.ViewerIdsRequest) (*rpb.StatsResponse, error) {
	viewer, ids := req.ViewerId, req.Ids
	follows := &cache.Group{Prefix: "rel:follows", IDs: ids, Load: s.st.counts("follows")}
	followers := &cache.Group{Prefix: "rel:followers", IDs: ids, Load: s.st.counts("followers")}
	groups := []*cache.Group{follows, followers}
	var following *cache.Group
	if viewer > 0 && len(ids) > 0 {
		following = &cache.Group{Prefix: cache.Key("rel:is", viewer), IDs: ids, Load: s.st.followingFlags(viewer)}
		groups = append(groups, following)
	}
	if err := cache.Numbers(ctx, s.cache, groups...); err != nil {
		return nil, err
	}
	out := &rpb.StatsResponse{Counts: make(map[int64]*rpb.Counts, len(ids)), Following: map[int64]bool{}}
	for _, id := range ids {
		out.Counts[id] = &rpb.Counts{FollowCount: follows.Out[id], FollowerCount: followers.Out[id]}
	}
	if following != nil {
		for id, v := range following.Out {
			out.Following[id] = v == 1
		}
	}
	return out, nil
}
