// Package videos looks up a video's record for the services that need to
// know it exists and who wrote it (favorite, comment). Videos never change
// and are never deleted, so a video once found is remembered in the process
// and later likes and comments on it cost no call to the publish service.
// Absence is never remembered: a video published a moment later is found.
package videos

import (
	"context"

	"tiktok/internal/cache"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/publish/publishservice"
)

// maxEntries bounds the memory: past it the remembered set starts afresh.
const maxEntries = 200_000

type Lookup struct {
	publish publishservice.Client
	known   *cache.Immutable[*base.VideoInfo]
}

func New(p publishservice.Client) *Lookup {
	return &Lookup{publish: p, known: cache.NewImmutable[*base.VideoInfo](maxEntries)}
}

// Get returns the video, or nil when there is no such video.
func (l *Lookup) Get(ctx context.Context, id int64) (*base.VideoInfo, error) {
	if v, ok := l.known.Get(id); ok {
		return v, nil
	}
	r, err := l.publish.MGetVideos(ctx, &base.IdsRequest{Ids: []int64{id}})
	if err != nil || len(r.Videos) == 0 {
		return nil, err
	}
	v := r.Videos[0]
	l.known.Remember(map[int64]*base.VideoInfo{id: v})
	return v, nil
}
