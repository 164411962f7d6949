package compose

import (
	"context"
	"time"

	"go.uber.org/zap"

	"tiktok/domain/records"
	"tiktok/internal/errno"
	"tiktok/internal/fanout"
	"tiktok/internal/logx"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/comment"
	"tiktok/kitex_gen/comment/commentservice"
	"tiktok/kitex_gen/favorite"
	"tiktok/kitex_gen/favorite/favoriteservice"
	"tiktok/kitex_gen/message"
	"tiktok/kitex_gen/message/messageservice"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/relation"
	"tiktok/kitex_gen/relation/relationservice"
	"tiktok/kitex_gen/user/userservice"
)

// Clients are the services a Composer calls.
type Clients struct {
	User     userservice.Client
	Relation relationservice.Client
	Favorite favoriteservice.Client
	Publish  publishservice.Client
	Comment  commentservice.Client
	Message  messageservice.Client
}

type Composer struct {
	c     *Clients
	users *records.Lookup[*base.UserInfo]
	loc   *time.Location
}

func New(c *Clients, loc *time.Location) *Composer {
	return &Composer{c: c, users: records.Users(c.User), loc: loc}
}

// UserExists says whether id is a user.
func (p *Composer) UserExists(ctx context.Context, id int64) (bool, error) {
	_, ok, err := p.users.Get(ctx, id)
	return ok, err
}

// UserRecord is id's record, remembered once found; false when there is none.
func (p *Composer) UserRecord(ctx context.Context, id int64) (*base.UserInfo, bool, error) {
	return p.users.Get(ctx, id)
}

// userBatch gathers the parts of a list of users: the record (user), follow
// counts and is_follow (relation), like counts (favorite) and work count
// (publish).
type userBatch struct {
	infos    map[int64]*base.UserInfo
	rel      map[int64]*relation.Counts
	follows  map[int64]bool
	favs     map[int64]*favorite.UserCounts
	works    map[int64]int64
	uniqueID []int64
}

// fetchUsers schedules the batch calls for ids on g; read the batch after
// g.Wait. With withFavorite false the caller asks favorite for the users'
// like counts itself, in the same call as its videos' (see videos). works,
// when not nil, holds every id's work count already (the feed brings them).
func (p *Composer) fetchUsers(ctx context.Context, g *fanout.Group, viewer int64, ids []int64, degrade, withFavorite bool,
	works map[int64]int64) *userBatch {
	b := &userBatch{uniqueID: unique(ids), works: works}
	if len(b.uniqueID) == 0 {
		return b
	}
	req := &base.IdsRequest{Ids: b.uniqueID}
	g.Go(func() error {
		infos, err := p.users.MGet(ctx, b.uniqueID)
		b.infos = infos
		return err
	})
	g.Go(func() error {
		r, err := p.c.Relation.Stats(ctx, &base.ViewerIdsRequest{ViewerId: viewer, Ids: b.uniqueID})
		if err == nil {
			b.rel, b.follows = r.Counts, r.Following
		}
		return optional(ctx, degrade, err)
	})
	if withFavorite {
		g.Go(func() error {
			r, err := p.c.Favorite.Stats(ctx, &favorite.StatsRequest{UserIds: b.uniqueID})
			if err == nil {
				b.favs = r.UserCounts
			}
			return optional(ctx, degrade, err)
		})
	}
	if works == nil {
		g.Go(func() error {
			r, err := p.c.Publish.WorkCounts(ctx, req)
			if err == nil {
				b.works = r.Counts
			}
			return optional(ctx, degrade, err)
		})
	}
	return b
}

// user builds one User; nil when the user does not exist.
func (b *userBatch) user(id int64) *User {
	info := b.infos[id]
	if info == nil {
		return nil
	}
	u := &User{ID: id, Name: info.Name, Avatar: info.Avatar, BackgroundImage: info.BackgroundImage,
		Signature: info.Signature, IsFollow: b.follows[id], WorkCount: b.works[id]}
	if r := b.rel[id]; r != nil {
		u.FollowCount, u.FollowerCount = r.FollowCount, r.FollowerCount
	}
	if f := b.favs[id]; f != nil {
		u.FavoriteCount, u.TotalFavorited = f.FavoriteCount, f.TotalFavorited
	}
	return u
}

// Users returns the users among ids that exist, in the order of ids.
func (p *Composer) Users(ctx context.Context, viewer int64, ids []int64) ([]*User, error) {
	g := fanout.New()
	b := p.fetchUsers(ctx, g, viewer, ids, false, true, nil)
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]*User, 0, len(ids))
	for _, id := range ids {
		if u := b.user(id); u != nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// Videos turns records into Videos seen by viewer, keeping their order.
func (p *Composer) Videos(ctx context.Context, viewer int64, vs []*base.VideoInfo) ([]*Video, error) {
	return p.videos(ctx, viewer, vs, false, nil)
}

// FeedVideos is Videos for the feed, which must keep scrolling when a
// counting service is down: counters and flags from favorite, comment,
// relation (and work counts) that cannot be had read 0/false for that page.
// The videos, their URLs and their authors' names are still required.
// works, when not nil, are the authors' work counts, which the feed service
// brings with the page.
func (p *Composer) FeedVideos(ctx context.Context, viewer int64, vs []*base.VideoInfo, works map[int64]int64) ([]*Video, error) {
	return p.videos(ctx, viewer, vs, true, works)
}

// videos makes five calls in parallel, whatever the page's length: user,
// relation.Stats and publish.WorkCounts for the authors (four when works
// are given), favorite.Stats for the videos and the authors together,
// comment.Counts for the videos.
func (p *Composer) videos(ctx context.Context, viewer int64, vs []*base.VideoInfo, degrade bool, works map[int64]int64) ([]*Video, error) {
	out := make([]*Video, 0, len(vs))
	if len(vs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(vs))
	authors := make([]int64, len(vs))
	for i, v := range vs {
		ids[i], authors[i] = v.Id, v.AuthorId
	}
	ids = unique(ids)
	var likes, comments map[int64]int64
	var liked map[int64]bool
	g := fanout.New()
	b := p.fetchUsers(ctx, g, viewer, authors, degrade, false, works)
	g.Go(func() error {
		r, err := p.c.Favorite.Stats(ctx, &favorite.StatsRequest{ViewerId: viewer, VideoIds: ids, UserIds: b.uniqueID})
		if err == nil {
			likes, liked, b.favs = r.VideoCounts, r.Liked, r.UserCounts
		}
		return optional(ctx, degrade, err)
	})
	g.Go(func() error {
		r, err := p.c.Comment.Counts(ctx, &base.IdsRequest{Ids: ids})
		if err == nil {
			comments = r.Counts
		}
		return optional(ctx, degrade, err)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, v := range vs {
		author := b.user(v.AuthorId)
		if author == nil {
			author = &User{ID: v.AuthorId}
		}
		out = append(out, &Video{ID: v.Id, Author: author, PlayURL: v.PlayUrl, CoverURL: v.CoverUrl, Title: v.Title,
			FavoriteCount: likes[v.Id], CommentCount: comments[v.Id], IsFavorite: liked[v.Id]})
	}
	return out, nil
}

// Comments turns records into Comments with their authors.
func (p *Composer) Comments(ctx context.Context, viewer int64, cs []*comment.CommentInfo) ([]*Comment, error) {
	out := make([]*Comment, 0, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.UserId
	}
	g := fanout.New()
	b := p.fetchUsers(ctx, g, viewer, ids, false, true, nil)
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, c := range cs {
		u := b.user(c.UserId)
		if u == nil {
			u = &User{ID: c.UserId}
		}
		out = append(out, &Comment{ID: c.Id, User: u, Content: c.Content,
			CreateDate: time.UnixMilli(c.CreatedAtMs).In(p.loc).Format("01-02")})
	}
	return out, nil
}

func unique(ids []int64) []int64 {
	seen := make(map[int64]struct{}, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; !ok && id > 0 {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

// Friends is Users plus each friend's latest message with owner. Messages are
// private, so they are shown only to the list's owner.
func (p *Composer) Friends(ctx context.Context, viewer, owner int64, ids []int64) ([]*FriendUser, error) {
	out := make([]*FriendUser, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	g := fanout.New()
	b := p.fetchUsers(ctx, g, viewer, ids, false, true, nil)
	var latest map[int64]*message.Latest
	if viewer > 0 && viewer == owner {
		g.Go(func() error {
			r, err := p.c.Message.Latest(ctx, &base.ViewerIdsRequest{ViewerId: owner, Ids: b.uniqueID})
			if err == nil {
				latest = r.Latest
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		u := b.user(id)
		if u == nil {
			continue
		}
		f := &FriendUser{User: *u}
		if m := latest[id]; m != nil {
			f.Message, f.MsgType = m.Content, m.MsgType
		}
		out = append(out, f)
	}
	return out, nil
}

// optional drops an unavailable service's error when degrading is allowed.
func optional(ctx context.Context, degrade bool, err error) error {
	if err != nil && degrade && errno.IsUnavailable(err) {
		logx.Ctx(ctx).Warn("feed served without a counting service", zap.Error(err))
		return nil
	}
	return err
}
