// Package publish is the publish service: it owns the videos table, turns an
// upload into a job for the media role (check, row in processing, job) and
// records the media role's outcome (MarkReady, MarkFailed), and answers
// video look-ups for the other services, which see ready videos only.
package publish

import (
	"context"
	"errors"
	"math"
	"time"

	"go.uber.org/zap"
	"gorm.io/gorm"

	"tiktok/domain/media"
	"tiktok/internal/cache"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/metrics"
	"tiktok/internal/queue"
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
	// rules: retry detection and the daily quota.
	rules uploadRules
	// media checks uploads within its limits.
	media *media.Runner
	// jobs is the media role's queue; waitReady bounds how long a publish
	// waits for its video.
	jobs      *queue.Queue
	waitReady time.Duration
}

var _ ppb.PublishService = (*Service)(nil)

// Options are what the publish service is built on.
type Options struct {
	DB *gorm.DB // required: the videos table
	// Cache fronts the video look-ups; nil is a valid, always-missing cache
	// (cache.New's answer without Redis).
	Cache *cache.Cache
	// Storage holds the originals, videos and covers (required).
	Storage storage.Storage
	// Media checks uploads within its deadline, memory cap, worker pool and
	// size bounds (the media: section; required).
	Media *media.Runner
	// Queue is the media role's job queue (required); while it is down
	// publishing answers 10010.
	Queue *queue.Queue
	// DedupWindow: a publish repeating one of the same author, file and
	// title within it answers that video (upload.dedup_window; 0: off).
	DedupWindow time.Duration
	// DailyQuota: an author may publish at most this many videos in any 24
	// hours (upload.daily_quota; 0: no quota). Both rules are checked
	// against the videos table, which every instance of this service shares.
	DailyQuota int
	// WaitReady bounds how long a publish waits for its video
	// (upload.wait_ready; 0: answer at once).
	WaitReady time.Duration
}

// New fails when a required dependency is missing.
func New(o Options) (*Service, error) {
	switch {
	case o.DB == nil:
		return nil, errors.New("publish: no database")
	case o.Storage == nil:
		return nil, errors.New("publish: no object storage")
	case o.Media == nil:
		return nil, errors.New("publish: no media runner")
	case o.Queue == nil:
		return nil, errors.New("publish: no job queue")
	}
	return &Service{rows: &store{db: o.DB}, cache: o.Cache, objects: o.Storage, now: time.Now,
		known: cache.NewImmutable[Video](200_000), media: o.Media, jobs: o.Queue, waitReady: o.WaitReady,
		rules: uploadRules{dedupWindow: o.DedupWindow, dailyQuota: o.DailyQuota}}, nil
}

// CreateVideo publishes the upload whose original is at req.VideoKey: it
// checks the file (container, declared streams, bounds: nothing decoded),
// records the video processing and queues its job for the media role, then
// waits for the video to be ready (answered), failed (10007 with the
// reason) or upload.wait_ready to pass (answered, still processing: the job
// is durable). On a refusal it removes the original, so a refused publish
// leaves nothing behind; once the job is queued the media role owns it.
func (s *Service) CreateVideo(ctx context.Context, req *ppb.CreateVideoRequest) (*ppb.CreateVideoResponse, error) {
	// A retry of a publish that is done, or an author over the quota, is
	// answered before the video is probed.
	first, err := s.precheck(ctx, req)
	if err != nil {
		return nil, err
	}
	if first == nil {
		if first, err = s.create(ctx, req.AuthorId, req.Title, req.VideoKey, req.ContentSha256); err != nil {
			return nil, err
		}
	}
	v, err := s.await(ctx, first)
	if err != nil {
		return nil, err
	}
	return &ppb.CreateVideoResponse{Video: v}, nil
}

// create checks the upload, records it processing and queues its job. It
// answers the row (or the first attempt's, for a retry racing it).
func (s *Service) create(ctx context.Context, author int64, title, original, sum string) (_ *Video, err error) {
	defer func() {
		if err != nil && original != "" {
			s.removeBut(ctx, nil, original)
		}
	}()
	if !storage.IsOriginalKey(original) {
		original = "" // not ours to delete
		return nil, errno.BadParam("bad video key")
	}
	if author <= 0 {
		return nil, errno.Unauthorized("login required")
	}
	if !validate.Title(title) {
		return nil, errno.BadParam("title must be 1 to 100 characters")
	}
	if !s.jobs.Up() {
		return nil, errQueue
	}
	src, err := s.objects.Source(ctx, original)
	if err != nil {
		return nil, err
	}
	// The header-only probe refuses what can never play at once (10007,
	// nothing kept); the media role probes again before decoding anything.
	if _, err := s.media.Probe(ctx, src); err != nil {
		return nil, mediaError(err)
	}
	row := &Video{AuthorID: author, Title: title, OriginalKey: original, State: stateProcessing, ContentSHA256: sum}
	first, err := s.rows.insertOnce(ctx, row, s.now().UnixMilli(), s.rules)
	if err != nil {
		return nil, err
	}
	if first != nil {
		// A retry that raced its first attempt, which won: ours goes.
		s.removeBut(ctx, first, original)
		original = ""
		return first, nil
	}
	if err := s.jobs.Publish(ctx, queue.Job{VideoID: row.ID, AuthorID: author, Original: original}); err != nil {
		// Nothing will process it: undo the row (the original goes in the
		// deferred cleanup). Should the job have been stored after all (a
		// lost acknowledgement), its worker finds no row and removes what
		// the job names.
		logx.Ctx(ctx).Warn("publish refused: job not queued", zap.Int64("video", row.ID), zap.Error(err))
		if derr := s.rows.unpublish(context.WithoutCancel(ctx), row.ID); derr != nil {
			logx.Ctx(ctx).Error("processing row not removed", zap.Int64("video", row.ID), zap.Error(derr))
		}
		return nil, errQueue
	}
	metrics.MediaJobsPublished.Inc()
	return row, nil
}

// errQueue: the job queue (NATS) is down; nothing of the upload is kept.
var errQueue = errno.New(errno.CodeServiceUnavailable, "publishing is unavailable at the moment, please retry")

// await answers v once it is ready, 10007 once it failed, or v still
// processing after upload.wait_ready. It wakes on the media role's notice
// (Queue.Watch) and reads the row at least every second anyway: the notice
// is at most once, the row is the truth.
func (s *Service) await(ctx context.Context, v *Video) (*base.VideoInfo, error) {
	if v.State == stateProcessing && s.waitReady > 0 {
		notices, stop, err := s.jobs.Watch(v.ID)
		if err != nil {
			notices, stop = nil, func() {}
		}
		defer stop()
		deadline := time.NewTimer(s.waitReady)
		defer deadline.Stop()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
	wait:
		for {
			cur, err := s.rows.byID(ctx, v.ID)
			if err != nil {
				return nil, err
			}
			if cur == nil {
				return nil, errno.New(errno.CodeUnsupportedMedia, "the video could not be processed")
			}
			if v = cur; v.State != stateProcessing {
				break
			}
			select {
			case <-notices:
			case <-tick.C:
			case <-deadline.C:
				break wait
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	if v.State == stateFailed {
		return nil, errno.New(errno.CodeUnsupportedMedia, "%s", v.Failure)
	}
	return s.info(v), nil
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

func (s *Service) info(v *Video) *base.VideoInfo {
	vi := &base.VideoInfo{Id: v.ID, AuthorId: v.AuthorID, Title: v.Title, CreatedAtMs: v.CreatedAtMs}
	if v.State == stateReady {
		vi.PlayUrl, vi.CoverUrl = s.objects.URL(v.VideoKey), s.objects.URL(v.CoverKey)
	}
	return vi
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
