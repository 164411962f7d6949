package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
	"tiktok/kitex_gen/feed"
)

type feedResp struct {
	Status
	VideoList []*compose.Video `json:"video_list"`
	NextTime  int64            `json:"next_time"`
}

func (r *feedResp) fillLists() { r.VideoList = orEmpty(r.VideoList) }

func (g *Gateway) feed(c *gin.Context) (*feedResp, error) {
	viewer, err := g.viewer(c)
	if err != nil {
		viewer = 0 // the feed serves a bad token the anonymous view
	}
	latest, err := intParam(c, "latest_time", false)
	if err != nil {
		return nil, err
	}
	build := func(ctx context.Context) (*feedResp, error) {
		r, err := g.rpc.Feed.Feed(ctx, &feed.FeedRequest{LatestTime: latest})
		if err != nil {
			return nil, err
		}
		vs, err := g.compose.FeedVideos(ctx, viewer, r.Videos, r.WorkCounts)
		if err != nil {
			return nil, err
		}
		return &feedResp{VideoList: vs, NextTime: r.NextTime}, nil
	}
	if viewer == 0 && latest == 0 && g.cfg.HTTP.AnonFeedReuse > 0 {
		return g.anonFeed.get(ctxOf(c), g.cfg.HTTP.AnonFeedReuse, build)
	}
	return build(ctxOf(c))
}

// sharedPage is the anonymous first page of the feed, built by one request
// at a time and reused until it is older than http.anonymous_feed_reuse:
// under load every anonymous opening of the app would otherwise build the
// same page again (an RPC to feed and the batch look-ups of compose). Every
// write through this gateway drops it (reset), so a client sees its own
// writes at once; a change made elsewhere (another gateway, the media
// pipeline) shows within the reuse time.
type sharedPage struct {
	mu      sync.Mutex
	page    *feedResp
	expires time.Time
	gen     uint64        // moved by reset: a build begun before it is not kept
	flight  chan struct{} // closed when the build in progress ends
}

// reset drops the page, and the one being built.
func (s *sharedPage) reset() {
	s.mu.Lock()
	s.page = nil
	s.gen++
	s.mu.Unlock()
}

// get answers the page, a copy (reply writes its status into it): the
// reused one while fresh, else the one the build in progress gives, else
// one built now. A failed build is not kept; its waiters build their own.
func (s *sharedPage) get(ctx context.Context, reuse time.Duration, build func(context.Context) (*feedResp, error)) (*feedResp, error) {
	fresh := func() bool { return s.page != nil && time.Now().Before(s.expires) }
	s.mu.Lock()
	if f := s.flight; !fresh() && f != nil {
		s.mu.Unlock()
		select {
		case <-f:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
	}
	if fresh() {
		cp := *s.page
		s.mu.Unlock()
		return &cp, nil
	}
	if s.flight != nil { // the build waited for was not kept, and another began
		s.mu.Unlock()
		return build(ctx)
	}
	f, gen := make(chan struct{}), s.gen
	s.flight = f
	s.mu.Unlock()
	p, err := build(ctx)
	s.mu.Lock()
	s.flight = nil
	if err == nil && gen == s.gen {
		s.page, s.expires = p, time.Now().Add(reuse)
	}
	s.mu.Unlock()
	close(f)
	if err != nil {
		return nil, err
	}
	cp := *p
	return &cp, nil
}

// resetOnReply resets page when the reply begins: the handler has done its
// write by then, and its client cannot yet ask for the feed again.
type resetOnReply struct {
	gin.ResponseWriter
	page *sharedPage
	done bool
}

func (w *resetOnReply) reset() {
	if !w.done {
		w.done = true
		w.page.reset()
	}
}

func (w *resetOnReply) WriteHeaderNow() { w.reset(); w.ResponseWriter.WriteHeaderNow() }

func (w *resetOnReply) Write(b []byte) (int, error) { w.reset(); return w.ResponseWriter.Write(b) }

func (w *resetOnReply) WriteString(s string) (int, error) {
	w.reset()
	return w.ResponseWriter.WriteString(s)
}
