// Package comment is the comment service: it owns comments and their counts.
package comment

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
	"tiktok/internal/validate"
	"tiktok/kitex_gen/base"
	cpb "tiktok/kitex_gen/comment"
	"tiktok/kitex_gen/publish/publishservice"
)

// Service implements commentservice's Kitex interface itself.
type Service struct {
	st     *store
	cache  *cache.Cache
	videos *records.Lookup[*base.VideoInfo]
}

var _ cpb.CommentService = (*Service)(nil)

// Options are what the comment service is built on.
type Options struct {
	DB *gorm.DB // required: the comment tables
	// Cache fronts its reads; nil is a valid, always-missing cache
	// (cache.New's answer without Redis).
	Cache   *cache.Cache
	Publish publishservice.Client // required: looks up the commented videos
}

// New fails when a required dependency is missing, or when the counters of
// a database from before them cannot be computed: serving would answer
// wrong counts.
func New(ctx context.Context, o Options) (*Service, error) {
	switch {
	case o.DB == nil:
		return nil, errors.New("comment: no database")
	case o.Publish == nil:
		return nil, errors.New("comment: no publish client")
	}
	s := &Service{st: &store{db: o.DB}, cache: o.Cache, videos: records.Videos(o.Publish)}
	if err := counter.EnsureBuilt(ctx, o.DB, &Comment{}, &VideoComments{}, s.st.rebuild); err != nil {
		return nil, fmt.Errorf("comment counters: %w", err)
	}
	return s, nil
}

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
func (s *Service) Create(ctx context.Context, req *cpb.CreateRequest) (*cpb.CreateResponse, error) {
	user, video, content := req.UserId, req.VideoId, req.Content
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
	return &cpb.CreateResponse{Comment: info(c)}, nil
}

// Delete removes a comment of video; its author or the video's author may.
func (s *Service) Delete(ctx context.Context, req *cpb.DeleteRequest) (*base.Empty, error) {
	user, video, id := req.UserId, req.VideoId, req.CommentId
	if user <= 0 {
		return nil, errno.Unauthorized("login required")
	}
	if id <= 0 {
		return nil, errno.BadParam("comment_id is required")
	}
	v, err := s.video(ctx, video)
	if err != nil {
		return nil, err
	}
	c, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c == nil || c.VideoID != video {
		return nil, errno.NotFound("comment not found on this video")
	}
	if c.UserID != user && v.AuthorId != user {
		return nil, errno.Forbidden("only the comment's author or the video's author may delete it")
	}
	if err := s.st.delete(ctx, c); err != nil {
		return nil, err
	}
	s.cache.Invalidate(ctx, cache.Key("cmt:video", video), cache.Key("cmt:list", video))
	return &base.Empty{}, nil
}

func (s *Service) List(ctx context.Context, req *cpb.ListRequest) (*cpb.ListResponse, error) {
	video := req.VideoId
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
	return &cpb.ListResponse{Comments: out}, nil
}

// Counts returns each video's comment count.
func (s *Service) Counts(ctx context.Context, req *base.IdsRequest) (*base.CountsResponse, error) {
	m, err := cache.Batch(ctx, s.cache, "cmt:video", req.Ids, s.st.counts)
	if err != nil {
		return nil, err
	}
	return &base.CountsResponse{Counts: m}, nil
}

func info(c *Comment) *cpb.CommentInfo {
	return &cpb.CommentInfo{Id: c.ID, UserId: c.UserID, VideoId: c.VideoID, Content: c.Content, CreatedAtMs: c.CreatedAtMs}
}
