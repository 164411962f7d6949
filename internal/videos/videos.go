// Package videos looks up a video's record for the services that need to
// know it exists and who wrote it (favorite, comment). Videos never change
// and are never deleted, so a video once found is remembered in the process
// and later likes and comments on it cost no call to the publish service.
// Absence is never remembered: a video published a moment later is found.
package videos

import (
	"context"
	"sync"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/publish/publishservice"
)

// maxEntries bounds the memory: past it the map starts afresh.
const maxEntries = 200_000

type Lookup struct {
	publish publishservice.Client
	mu      sync.RWMutex
	known   map[int64]*base.VideoInfo
}

func New(p publishservice.Client) *Lookup {
	return &Lookup{publish: p, known: map[int64]*base.VideoInfo{}}
}

// Get returns the video, or nil when there is no such video.
func (l *Lookup) Get(ctx context.Context, id int64) (*base.VideoInfo, error) {
	l.mu.RLock()
	v := l.known[id]
	l.mu.RUnlock()
	if v != nil {
		return v, nil
	}
	r, err := l.publish.MGetVideos(ctx, &base.IdsRequest{Ids: []int64{id}})
	if err != nil || len(r.Videos) == 0 {
		return nil, err
	}
	v = r.Videos[0]
	l.mu.Lock()
	if len(l.known) >= maxEntries {
		l.known = map[int64]*base.VideoInfo{}
	}
	l.known[id] = v
	l.mu.Unlock()
	return v, nil
}
