package gateway

import (
	"context"
	"fmt"
	"net/http"
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
		return g.anonFeed.get(c.Request.Context(), ctxOf(c), g.cfg.HTTP.AnonFeedReuse, build)
	}
	return build(ctxOf(c))
}

// sharedPage is the anonymous first page of the feed, built by one request
// at a time and reused until it is older than http.anonymous_feed_reuse:
// under load every anonymous opening of the app would otherwise build the
// same page again (an RPC to feed and the batch look-ups of compose). A
// successful like, comment, follow or publish through this gateway drops it
// (reset), so its client sees the change at once; a change made elsewhere
// (another gateway, the media pipeline) shows within the reuse time.
type sharedPage struct {
	mu      sync.Mutex
	page    *feedResp
	expires time.Time
	gen     uint64  // moved by reset: a build begun before it is not kept
	flight  *flight // the build in progress, nil: none
}

// flight is one build of the page; its waiters take its result.
type flight struct {
	done chan struct{} // closed once page and err are set
	page *feedResp
	err  error
}

// reset drops the page. The build in progress is not kept either, and
// requests arriving from now on start a new one: they may come from the
// client whose write this is.
func (s *sharedPage) reset() {
	s.mu.Lock()
	s.page, s.flight = nil, nil
	s.gen++
	s.mu.Unlock()
}

// get answers the page, a copy (reply writes its status into it): the
// reused one while fresh, else the result of the build in progress, else
// one built now with buildCtx. wait ends the wait of a client that left.
func (s *sharedPage) get(wait, buildCtx context.Context, reuse time.Duration, build func(context.Context) (*feedResp, error)) (*feedResp, error) {
	s.mu.Lock()
	if s.page != nil && time.Now().Before(s.expires) {
		cp := *s.page
		s.mu.Unlock()
		return &cp, nil
	}
	f := s.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.flight = f
		gen := s.gen
		s.mu.Unlock()
		s.run(f, gen, reuse, func() (*feedResp, error) { return build(buildCtx) })
	} else {
		s.mu.Unlock()
		select {
		case <-f.done:
		case <-wait.Done():
			return nil, wait.Err()
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	cp := *f.page
	return &cp, nil
}

// run makes f's page and keeps it unless a reset came meanwhile. Whatever
// happens, a panic included, f ends and stops being the build in progress.
func (s *sharedPage) run(f *flight, gen uint64, reuse time.Duration, build func() (*feedResp, error)) {
	defer func() {
		p := recover()
		if p != nil {
			f.err = fmt.Errorf("feed page: %v", p)
		}
		s.mu.Lock()
		if s.flight == f {
			s.flight = nil
		}
		if f.err == nil && gen == s.gen {
			s.page, s.expires = f.page, time.Now().Add(reuse)
		}
		s.mu.Unlock()
		close(f.done)
		if p != nil {
			panic(p) // the builder's own request answers it (gin's recovery)
		}
	}()
	f.page, f.err = build()
}

// resetOnReply resets page when a successful reply begins: the handler has
// done its write by then, and its client cannot yet ask for the feed again.
type resetOnReply struct {
	gin.ResponseWriter
	c    *gin.Context
	page *sharedPage
	done bool
}

func (w *resetOnReply) reset() {
	if w.done {
		return
	}
	w.done = true
	if code, ok := w.c.Get(apiCodeKey); ok && code == int32(0) {
		w.page.reset()
	}
}

func (w *resetOnReply) WriteHeaderNow() { w.reset(); w.ResponseWriter.WriteHeaderNow() }

// Unwrap lets http.ResponseController reach the connection: the publish
// moves its deadlines through it (an upload and its wait for the video take
// longer than http.write_timeout), and without it the reply was cut at 30 s.
func (w *resetOnReply) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *resetOnReply) Write(b []byte) (int, error) { w.reset(); return w.ResponseWriter.Write(b) }

func (w *resetOnReply) WriteString(s string) (int, error) {
	w.reset()
	return w.ResponseWriter.WriteString(s)
}
