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
)

type Service struct {
	st    *store
	cache *cache.Cache
	store storage.Storage
	// now is replaceable in tests.
	now func() time.Time
	// known: videos never change once published.
	known *cache.Immutable[Video]
}

func NewService(db *gorm.DB, c *cache.Cache, st storage.Storage) *Service {
	return &Service{st: &store{db: db}, cache: c, store: st, now: time.Now,
		known: cache.NewImmutable[Video](200_000)}
}

func Models() []any { return []any{&Video{}} }

// Create publishes the upload at videoKey. On any failure it removes every
// object it or the gateway stored, so a failed publish leaves nothing behind.
func (s *Service) Create(ctx context.Context, author int64, title, videoKey string) (v *base.VideoInfo, err error) {
	coverKey := ""
	defer func() {
		if err != nil {
			// Cleanup must run even if the caller gave up on ctx.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			for _, k := range []string{videoKey, coverKey} {
				if k != "" {
					if derr := s.store.Delete(cctx, k); derr != nil {
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
	src, err := s.store.Source(ctx, videoKey)
	if err != nil {
		return nil, err
	}
	info, err := media.Probe(ctx, src)
	if errors.Is(err, media.ErrNotVideo) {
		return nil, errno.New(errno.CodeUnsupportedMedia, "the file is not a playable video")
	} else if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp("", "cover-*.jpg")
	if err != nil {
		return nil, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := media.Cover(ctx, src, tmp.Name(), info); errors.Is(err, media.ErrNotVideo) {
		return nil, errno.New(errno.CodeUnsupportedMedia, "the file is not a playable video")
	} else if err != nil {
		return nil, err
	}
	f, err := os.Open(tmp.Name())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ck := "covers/" + strings.TrimSuffix(path.Base(videoKey), path.Ext(videoKey)) + ".jpg"
	if _, err := s.store.Put(ctx, ck, f, 0, "image/jpeg"); err != nil {
		return nil, err
	}
	coverKey = ck
	row := &Video{AuthorID: author, Title: title, VideoKey: videoKey, CoverKey: coverKey}
	if err := s.st.insert(ctx, row, s.now().UnixMilli()); err != nil {
		return nil, err
	}
	s.cache.Invalidate(ctx, cache.Key("video", row.ID), cache.Key("works", author), newestKey)
	return s.info(row), nil
}

func (s *Service) info(v *Video) *base.VideoInfo {
	return &base.VideoInfo{
		Id: v.ID, AuthorId: v.AuthorID, Title: v.Title, CreatedAtMs: v.CreatedAtMs,
		PlayUrl: s.store.URL(v.VideoKey), CoverUrl: s.store.URL(v.CoverKey),
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

func (s *Service) ListBefore(ctx context.Context, beforeMs int64, limit int) ([]*base.VideoInfo, error) {
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
			if newest, err = s.st.before(ctx, math.MaxInt64, newestLen); err != nil {
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
	vs, err := s.st.before(ctx, beforeMs, limit)
	return s.infos(vs), err
}

func (s *Service) ListByAuthor(ctx context.Context, author int64) ([]*base.VideoInfo, error) {
	vs, err := s.st.byAuthor(ctx, author)
	return s.infos(vs), err
}

// MGet returns the videos that exist among ids, in the order of ids.
func (s *Service) MGet(ctx context.Context, ids []int64) ([]*base.VideoInfo, error) {
	byID, err := s.known.Batch(ctx, s.cache, "video", ids, s.st.byIDs)
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
	return out, nil
}

func (s *Service) WorkCounts(ctx context.Context, authors []int64) (map[int64]int64, error) {
	return cache.Batch(ctx, s.cache, "works", authors, s.st.workCounts)
}
