package publish

import (
	"context"
	"time"

	"go.uber.org/zap"

	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/storage"
	ppb "tiktok/kitex_gen/publish"
)

// CheckUpload answers 10008 when the author has used the daily quota, and
// 10010 while the job queue is down, so the gateway refuses an upload before
// storing any of it. CreateVideo checks again, exactly.
func (s *Service) CheckUpload(ctx context.Context, req *ppb.CheckUploadRequest) (*ppb.CheckUploadResponse, error) {
	// NATS down: the upload could not become a job, so none of it is
	// stored (10010); everything else goes on working.
	if !s.jobs.Up() {
		return nil, errQueue
	}
	over, err := s.rows.overQuota(s.rows.db.WithContext(ctx), req.AuthorId, s.now().UnixMilli(), s.rules)
	if err != nil {
		return nil, err
	}
	if over {
		return nil, errQuota(s.rules)
	}
	return &ppb.CheckUploadResponse{}, nil
}

// precheck answers the publishes that need no probing: a retry of one that
// is done (its first video) and one over the daily quota (10008). Either
// way the new upload is removed. (nil, nil): go on; the insert checks both
// again under the author's lock (insertOnce), for the publishes in flight.
func (s *Service) precheck(ctx context.Context, req *ppb.CreateVideoRequest) (*Video, error) {
	if !storage.IsOriginalKey(req.VideoKey) || req.AuthorId <= 0 {
		return nil, nil // create refuses it
	}
	if req.ContentSha256 != "" && !isSHA256(req.ContentSha256) {
		s.removeBut(ctx, nil, req.VideoKey)
		return nil, errno.BadParam("bad content hash")
	}
	db := s.rows.db.WithContext(ctx)
	v := &Video{AuthorID: req.AuthorId, Title: req.Title, ContentSHA256: req.ContentSha256}
	now := s.now().UnixMilli()
	first, err := s.rows.retried(db, v, now, s.rules)
	if err == nil && first == nil {
		var over bool
		if over, err = s.rows.overQuota(db, req.AuthorId, now, s.rules); err == nil && over {
			err = errQuota(s.rules)
		}
	}
	if err != nil || first != nil {
		s.removeBut(ctx, first, req.VideoKey)
	}
	if first != nil {
		logx.Ctx(ctx).Info("publish retried: answered the first video", zap.Int64("video", first.ID))
		return first, nil
	}
	return nil, err
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// removeBut deletes keys, except those of keep (a retry sent with the very
// same original's key must not delete the original its first attempt's job
// is working on). Cleanup runs even
// if the caller gave up on ctx; a failure is only logged.
func (s *Service) removeBut(ctx context.Context, keep *Video, keys ...string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, k := range keys {
		if k == "" || (keep != nil && (k == keep.OriginalKey || k == keep.VideoKey || k == keep.CoverKey)) {
			continue
		}
		if err := s.objects.Delete(cctx, k); err != nil {
			logx.Ctx(ctx).Error("cleanup failed", zap.String("key", k), zap.Error(err))
		}
	}
}
