// Package publish is the publish service: it owns the videos table, turns a
// staged upload into a published video (check, cover, row), and answers
// video look-ups for the other services.
package publish

import (
	"context"
	"errors"
	"math"
	"os"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"
	"gorm.io/gorm"

	"tiktok/internal/cache"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/media"
	"tiktok/internal/storage"
	"tiktok/internal/validate"
	"tiktok/kitex_gen/base"
	ppb "tiktok/kitex_gen/publish"
)

// Service implements publishservice's Kitex interface itself.
type Service struct {
	// rows is the videos table; objects holds the video and cover files.
	rows    *store
	objects storage.Storage
	cache   *cache.Cache
	// now is replaceable in tests.
	now func() time.Time
	// known: videos never change once published.
	known *cache.Immutable[Video]
	// rules: retry detection and the daily quota (LimitUploads).
	rules uploadRules
	// media checks uploads and cuts covers within its limits (nil: the
	// package defaults).
	media *media.Runner
}

var _ ppb.PublishService = (*Service)(nil)

func NewService(db *gorm.DB, c *cache.Cache, objects storage.Storage) *Service {
	return &Service{rows: &store{db: db}, cache: c, objects: objects, now: time.Now,
		known: cache.NewImmutable[Video](200_000)}
}

// BoundMedia makes the service check uploads and cut covers with r: its
// deadline, memory cap, worker pool and size bounds (the media: section).
func (s *Service) BoundMedia(r *media.Runner) { s.media = r }

// CreateVideo publishes the upload at req.VideoKey. On any failure it removes
// every object it or the gateway stored, so a failed publish leaves nothing
// behind.
func (s *Service) CreateVideo(ctx context.Context, req *ppb.CreateVideoRequest) (*ppb.CreateVideoResponse, error) {
	// A retry of a publish that is done, or an author over the quota, is
	// answered before the video is probed.
	if first, err := s.precheck(ctx, req); err != nil {
		return nil, err
	} else if first != nil {
		return &ppb.CreateVideoResponse{Video: first}, nil
	}
	v, err := s.create(ctx, req.AuthorId, req.Title, req.VideoKey, req.ContentSha256)
	if err != nil {
		return nil, err
	}
	return &ppb.CreateVideoResponse{Video: v}, nil
}

func (s *Service) create(ctx context.Context, author int64, title, videoKey, sum string) (v *base.VideoInfo, err error) {
	coverKey, movedKey := "", ""
	defer func() {
		if err != nil {
			// Cleanup must run even if the caller gave up on ctx.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			for _, k := range []string{videoKey, movedKey, coverKey} {
				if k != "" {
					if derr := s.objects.Delete(cctx, k); derr != nil {
						logx.Ctx(ctx).Error("cleanup failed", zap.String("key", k), zap.Error(derr))
					}
				}
			}
		}
	}()
	if !strings.HasPrefix(videoKey, "videos/") || path.Clean(videoKey) != videoKey {
		videoKey = "" // not ours to delete
		return nil, errno.BadParam("bad video key")
	}
	if author <= 0 {
		return nil, errno.Unauthorized("login required")
	}
	if !validate.Title(title) {
		return nil, errno.BadParam("title must be 1 to 100 characters")
	}
	src, err := s.objects.Source(ctx, videoKey)
	if err != nil {
		return nil, err
	}
	m := s.media
	if m == nil {
		m = media.Default()
	}
	info, err := m.Probe(ctx, src)
	if err != nil {
		return nil, mediaError(err)
	}
	tmp, err := os.CreateTemp("", "cover-*.jpg")
	if err != nil {
		return nil, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := m.Cover(ctx, src, tmp.Name(), info); err != nil {
		return nil, mediaError(err)
	}
	// Store the video under its container's extension and content type (a
	// MOV or WebM staged as .mp4 would be served as video/mp4).
	if ext := path.Ext(videoKey); ext != info.Ext {
		moved := strings.TrimSuffix(videoKey, ext) + info.Ext
		if err := s.restore(ctx, src, moved, info.ContentType); err != nil {
			return nil, err
		}
		movedKey = moved
		if err := s.objects.Delete(ctx, videoKey); err != nil {
			return nil, err
		}
		videoKey, movedKey = moved, ""
	}
	f, err := os.Open(tmp.Name())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ck := "covers/" + strings.TrimSuffix(path.Base(videoKey), path.Ext(videoKey)) + ".jpg"
	if _, err := s.objects.Put(ctx, ck, f, 0, "image/jpeg"); err != nil {
		return nil, err
	}
	coverKey = ck
	row := &Video{AuthorID: author, Title: title, VideoKey: videoKey, CoverKey: coverKey, ContentSHA256: sum}
	first, err := s.rows.insertOnce(ctx, row, s.now().UnixMilli(), s.rules)
	if err != nil {
		return nil, err
	}
	if first != nil {
		// A retry that raced its first attempt, which won: ours goes.
		s.removeBut(ctx, first, videoKey, coverKey)
		return s.info(first), nil
	}
	s.cache.Invalidate(ctx, cache.Key("video", row.ID), cache.Key("works", author), newestKey)
	return s.info(row), nil
}

// mediaError maps a media refusal to its code: the file's fault is 10007
// with the reason, a saturated worker pool 10008.
func mediaError(err error) error {
	switch {
	case errors.Is(err, media.ErrNotVideo):
		return errno.New(errno.CodeUnsupportedMedia, "%s", media.Reason(err))
	case errors.Is(err, media.ErrBusy):
		return errno.New(errno.CodeRateLimited, "too many videos are being processed, please retry shortly")
	}
	return err
}

// restore copies the object at src to key with contentType.
func (s *Service) restore(ctx context.Context, src, key, contentType string) error {
	r, err := media.Open(ctx, src)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = s.objects.Put(ctx, key, r, 0, contentType)
	return err
}

func (s *Service) info(v *Video) *base.VideoInfo {
	return &base.VideoInfo{
		Id: v.ID, AuthorId: v.AuthorID, Title: v.Title, CreatedAtMs: v.CreatedAtMs,
		PlayUrl: s.objects.URL(v.VideoKey), CoverUrl: s.objects.URL(v.CoverKey),
	}
}

func (s *Service) infos(vs []Video) []*base.VideoInfo {
	out := make([]*base.VideoInfo, len(vs))
	for i := range vs {
		out[i] = s.info(&vs[i])
	}
	return out
}

// newestKey caches the newest videos: every first feed page is cut from it,
// so the common request costs no SQL. A publish invalidates it.
const (
	newestKey = "publish:newest"
	newestLen = 60
)

// ListBefore returns up to req.Limit videos published before req.BeforeMs,
// newest first, and with WithWorkCounts their authors' work counts too (the
// feed's page in one call).
func (s *Service) ListBefore(ctx context.Context, req *ppb.ListBeforeRequest) (*ppb.VideosResponse, error) {
	vs, err := s.listBefore(ctx, req.BeforeMs, int(req.Limit))
	if err != nil {
		return nil, err
	}
	resp := &ppb.VideosResponse{Videos: vs}
	if req.WithWorkCounts && len(vs) > 0 {
		authors := make([]int64, 0, len(vs))
		seen := make(map[int64]bool, len(vs))
		for _, v := range vs {
			if !seen[v.AuthorId] {
				seen[v.AuthorId] = true
				authors = append(authors, v.AuthorId)
			}
		}
		if resp.WorkCounts, err = s.workCounts(ctx, authors); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func (s *Service) listBefore(ctx context.Context, beforeMs int64, limit int) ([]*base.VideoInfo, error) {
	if limit <= 0 || limit > 100 {
		limit = 30
	}
	if s.cache != nil && limit <= newestLen {
		// Shared with other readers: only read it.
		var newest []Video
		if p, ok := cache.Get[[]Video](ctx, s.cache, newestKey); ok {
			newest = *p
		} else {
			var err error
			if newest, err = s.rows.before(ctx, math.MaxInt64, newestLen); err != nil {
				return nil, err
			}
			s.cache.Fill(ctx, newestKey, newest)
		}
		// Serve from the window when it holds the whole answer: enough
		// videos before beforeMs, or every video there is.
		var page []Video
		for _, v := range newest {
			if v.CreatedAtMs < beforeMs {
				page = append(page, v)
				if len(page) == limit {
					break
				}
			}
		}
		if len(page) == limit || len(newest) < newestLen {
			return s.infos(page), nil
		}
	}
	vs, err := s.rows.before(ctx, beforeMs, limit)
	return s.infos(vs), err
}

func (s *Service) ListByAuthor(ctx context.Context, req *ppb.ListByAuthorRequest) (*ppb.VideosResponse, error) {
	vs, err := s.rows.byAuthor(ctx, req.AuthorId)
	if err != nil {
		return nil, err
	}
	return &ppb.VideosResponse{Videos: s.infos(vs)}, nil
}

// MGetVideos returns the videos that exist among req.Ids, in their order.
func (s *Service) MGetVideos(ctx context.Context, req *base.IdsRequest) (*ppb.VideosResponse, error) {
	ids := req.Ids
	byID, err := s.known.Batch(ctx, s.cache, "video", ids, s.rows.byIDs)
	if err != nil {
		return nil, err
	}
	out := make([]*base.VideoInfo, 0, len(byID))
	for _, id := range ids {
		if v, ok := byID[id]; ok {
			out = append(out, s.info(&v))
			delete(byID, id) // a repeated id yields the video once
		}
	}
	return &ppb.VideosResponse{Videos: out}, nil
}

// WorkCounts returns how many videos each of req.Ids published.
func (s *Service) WorkCounts(ctx context.Context, req *base.IdsRequest) (*base.CountsResponse, error) {
	m, err := s.workCounts(ctx, req.Ids)
	if err != nil {
		return nil, err
	}
	return &base.CountsResponse{Counts: m}, nil
}

func (s *Service) workCounts(ctx context.Context, authors []int64) (map[int64]int64, error) {
	return cache.Batch(ctx, s.cache, "works", authors, s.rows.workCounts)
}
