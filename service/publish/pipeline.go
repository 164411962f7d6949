package publish

import (
	"context"
	"path"
	"strings"

	"go.uber.org/zap"

	"tiktok/internal/cache"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	ppb "tiktok/kitex_gen/publish"
)

// The media role's side of the videos table (docs/ARCHITECTURE.md, The video
// pipeline). A job may be delivered more than once (a worker that died, a
// duplicate): the first MarkReady or MarkFailed moves the video on, every
// later one answers the state it found, and the worker cleans up by that
// answer, so one upload ends as one video (or one failure) and no orphan
// objects.

// VideoState answers a video's state and objects, whatever its state.
func (s *Service) VideoState(ctx context.Context, req *ppb.VideoStateRequest) (*ppb.VideoStateResponse, error) {
	v, err := s.rows.byID(ctx, req.VideoId)
	if err != nil {
		return nil, err
	}
	return stateOf(v), nil
}

// MarkReady makes a processing video ready with its MP4 and cover, and
// invalidates what shows videos: it appears in the feed and lists now.
func (s *Service) MarkReady(ctx context.Context, req *ppb.MarkReadyRequest) (*ppb.VideoStateResponse, error) {
	if !strings.HasPrefix(req.VideoKey, "videos/") || !strings.HasPrefix(req.CoverKey, "covers/") ||
		path.Clean(req.VideoKey) != req.VideoKey || path.Clean(req.CoverKey) != req.CoverKey {
		return nil, errno.BadParam("bad video or cover key")
	}
	v, changed, err := s.rows.markReady(ctx, req.VideoId, req.VideoKey, req.CoverKey, s.now().UnixMilli())
	if err != nil {
		return nil, err
	}
	if changed {
		s.cache.Invalidate(ctx, cache.Key("video", v.ID), cache.Key("works", v.AuthorID), newestKey)
		s.notify(v.ID)
		logx.Ctx(ctx).Info("video ready", zap.Int64("video", v.ID))
	}
	return stateOf(v), nil
}

// MarkFailed makes a processing video failed with the reason its uploader
// will read.
func (s *Service) MarkFailed(ctx context.Context, req *ppb.MarkFailedRequest) (*ppb.VideoStateResponse, error) {
	reason := req.Reason
	if reason == "" {
		reason = "the video could not be processed"
	}
	v, changed, err := s.rows.markFailed(ctx, req.VideoId, reason)
	if err != nil {
		return nil, err
	}
	if changed {
		s.notify(v.ID)
		logx.Ctx(ctx).Info("video failed", zap.Int64("video", v.ID), zap.String("reason", reason))
	}
	return stateOf(v), nil
}

// notify wakes the publish waiting for video id, on whichever instance.
func (s *Service) notify(id int64) {
	s.jobs.Notify(id)
}

// Uploads answers the author's videos that are not ready: processing, or
// failed with the reason.
func (s *Service) Uploads(ctx context.Context, req *ppb.UploadsRequest) (*ppb.UploadsResponse, error) {
	vs, err := s.rows.uploads(ctx, req.AuthorId)
	if err != nil {
		return nil, err
	}
	out := make([]*ppb.Upload, len(vs))
	for i, v := range vs {
		out[i] = &ppb.Upload{Id: v.ID, Title: v.Title, State: ppb.VideoState(v.State), Reason: v.Failure,
			CreatedAtMs: v.CreatedAtMs}
	}
	return &ppb.UploadsResponse{Uploads: out}, nil
}

func stateOf(v *Video) *ppb.VideoStateResponse {
	if v == nil {
		return &ppb.VideoStateResponse{}
	}
	return &ppb.VideoStateResponse{Found: true, State: ppb.VideoState(v.State), AuthorId: v.AuthorID,
		OriginalKey: v.OriginalKey, VideoKey: v.VideoKey, CoverKey: v.CoverKey}
}
