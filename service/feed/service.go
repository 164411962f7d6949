// Package feed is the feed service: the endless timeline. It owns no table;
// it pages through the publish service's videos by publish time.
package feed

import (
	"context"
	"time"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/publish"
	"tiktok/kitex_gen/publish/publishservice"
)

// PageSize is the API's page length.
const PageSize = 30

type Service struct {
	publish publishservice.Client
	now     func() time.Time
}

func NewService(p publishservice.Client) *Service { return &Service{publish: p, now: time.Now} }

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
// newest first, and starts over from the newest when nothing older is left.
func (s *Service) Feed(ctx context.Context, latest int64) ([]*base.VideoInfo, int64, error) {
	now := s.now()
	before := NormalizeTime(latest, now)
	vs, err := s.page(ctx, before)
	if err != nil {
		return nil, 0, err
	}
	if len(vs) == 0 && before < now.UnixMilli() {
		// The end of the timeline: wrap around so the feed never runs dry.
		if vs, err = s.page(ctx, now.UnixMilli()+1); err != nil {
			return nil, 0, err
		}
	}
	next := now.UnixMilli()
	if len(vs) > 0 {
		next = vs[len(vs)-1].CreatedAtMs
	}
	return vs, next, nil
}

func (s *Service) page(ctx context.Context, before int64) ([]*base.VideoInfo, error) {
	r, err := s.publish.ListBefore(ctx, &publish.ListBeforeRequest{BeforeMs: before, Limit: PageSize})
	if err != nil {
		return nil, err
	}
	return r.Videos, nil
}
