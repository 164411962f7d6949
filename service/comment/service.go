// Package comment is the comment service: it owns comments and their counts.
package comment

import (
	"context"
	"time"

	"gorm.io/gorm"

	"tiktok/internal/cache"
	"tiktok/internal/counter"
	"tiktok/internal/errno"
	"tiktok/internal/records"
	"tiktok/internal/validate"
	"tiktok/kitex_gen/base"
	cpb "tiktok/kitex_gen/comment"
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
	_ = counter.EnsureBuilt(context.Background(), db, &Comment{}, &VideoComments{}, s.st.rebuild)
	return s
}

func Models() []any { return []any{&Comment{}, &VideoComments{}} }

// video returns the video or a not-found error.
func (s *Service) video(ctx context.Context, id int64) (*base.VideoInfo, error) {
	if id <= 0 {
		return nil, errno.BadParam("video_id is required")
	}
	v, found, err := s.videos.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errno.NotFound("video not found")
	}
	return v, nil
}

// Create stores content exactly as given: no trimming, no HTML escaping.
func (s *Service) Create(ctx context.Context, user, video int64, content string) (*cpb.CommentInfo, error) {
	if user <= 0 {
		return nil, errno.Unauthorized("login required")
	}
	if !validate.NonBlank(content, 1, 500) {
		return nil, errno.BadParam("comment_text must be 1 to 500 characters of valid text")
	}
	if _, err := s.video(ctx, video); err != nil {
		return nil, err
	}
	c := &Comment{VideoID: video, UserID: user, Content: content, CreatedAtMs: time.Now().UnixMilli()}
	if err := s.st.create(ctx, c); err != nil {
		return nil, err
	}
	s.cache.Invalidate(ctx, cache.Key("cmt:video", video), cache.Key("cmt:list", video))
	return info(c), nil
}

// Delete removes a comment of video; its author or the video's author may.
func (s *Service) Delete(ctx context.Context, user, video, id int64) error {
	if user <= 0 {
		return errno.Unauthorized("login required")
	}
	if id <= 0 {
		return errno.BadParam("comment_id is required")
	}
	v, err := s.video(ctx, video)
	if err != nil {
		return err
	}
	c, err := s.st.get(ctx, id)
	if err != nil {
		return err
	}
	if c == nil || c.VideoID != video {
		return errno.NotFound("comment not found on this video")
	}
	if c.UserID != user && v.AuthorId != user {
		return errno.Forbidden("only the comment's author or the video's author may delete it")
	}
	if err := s.st.delete(ctx, c); err != nil {
		return err
	}
	s.cache.Invalidate(ctx, cache.Key("cmt:video", video), cache.Key("cmt:list", video))
	return nil
}

func (s *Service) List(ctx context.Context, video int64) ([]*cpb.CommentInfo, error) {
	if _, err := s.video(ctx, video); err != nil {
		return nil, err
	}
	// A video's comment list is cached whole, and invalidated by every post
	// or delete on it, like the counts.
	// Shared with other readers: only read it.
	var cs []Comment
	key := cache.Key("cmt:list", video)
	if p, ok := cache.Get[[]Comment](ctx, s.cache, key); ok {
		cs = *p
	} else {
		var err error
		if cs, err = s.st.byVideo(ctx, video); err != nil {
			return nil, err
		}
		s.cache.Fill(ctx, key, cs)
	}
	out := make([]*cpb.CommentInfo, len(cs))
	for i := range cs {
		out[i] = info(&cs[i])
	}
	return out, nil
}

func (s *Service) Counts(ctx context.Context, videos []int64) (map[int64]int64, error) {
	return cache.Batch(ctx, s.cache, "cmt:video", videos, s.st.counts)
}

func info(c *Comment) *cpb.CommentInfo {
	return &cpb.CommentInfo{Id: c.ID, UserId: c.UserID, VideoId: c.VideoID, Content: c.Content, CreatedAtMs: c.CreatedAtMs}
}
