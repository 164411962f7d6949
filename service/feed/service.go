// Package feed is the feed service: the endless timeline. It owns no table;
// it pages through the publish service's videos by publish time.
package feed

import (
	"context"
	"errors"
	"time"

	fpb "tiktok/kitex_gen/feed"
	"tiktok/kitex_gen/publish"
	"tiktok/kitex_gen/publish/publishservice"
)

// PageSize is the API's page length.
const PageSize = 30

// Service implements feedservice's Kitex interface itself.
type Service struct {
	publish publishservice.Client
	now     func() time.Time
}

var _ fpb.FeedService = (*Service)(nil)

// Options are what the feed service is built on.
type Options struct {
	Publish publishservice.Client // required: the videos it pages through
}

// New fails when the publish client is missing.
func New(o Options) (*Service, error) {
	if o.Publish == nil {
		return nil, errors.New("feed: no publish client")
	}
	return &Service{publish: o.Publish, now: time.Now}, nil
}

// NormalizeTime turns latest_time as sent into Unix milliseconds: absent or 0
// is now, and values below 10^12 are seconds (the camp document's unit; the
// app sends milliseconds).
func NormalizeTime(latest int64, now time.Time) int64 {
	switch {
	case latest <= 0:
		return now.UnixMilli()
	case latest < 1e12:
		return latest * 1000
	default:
		return latest
	}
}

// Feed returns up to PageSize videos published strictly before latest_time,
// newest first, and starts over from the newest when nothing older is left;
// with them, how many videos each of their authors published (asked of
// publish in the same call) and the next latest_time.
func (s *Service) Feed(ctx context.Context, req *fpb.FeedRequest) (*fpb.FeedResponse, error) {
	now := s.now()
	before := NormalizeTime(req.LatestTime, now)
	r, err := s.page(ctx, before)
	if err != nil {
		return nil, err
	}
	if len(r.Videos) == 0 && before < now.UnixMilli() {
		// The end of the timeline: wrap around so the feed never runs dry.
		if r, err = s.page(ctx, now.UnixMilli()+1); err != nil {
			return nil, err
		}
	}
	p := &fpb.FeedResponse{Videos: r.Videos, NextTime: now.UnixMilli(), WorkCounts: r.WorkCounts}
	if len(p.Videos) > 0 {
		p.NextTime = p.Videos[len(p.Videos)-1].CreatedAtMs
	}
	return p, nil
}

func (s *Service) page(ctx context.Context, before int64) (*publish.VideosResponse, error) {
	return s.publish.ListBefore(ctx, &publish.ListBeforeRequest{BeforeMs: before, Limit: PageSize, WithWorkCounts: true})
}
