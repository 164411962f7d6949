package publish

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"tiktok/internal/logx"
	ppb "tiktok/kitex_gen/publish"
)

// One "video ready" line per video: MarkReady logs the change, not every
// call (a redelivered job asks again).
func TestReadyLoggedOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store) {
		core, logs := observer.New(zap.InfoLevel)
		previous := logx.Set(zap.New(core))
		defer logx.Set(previous)
		s := bare(t, st)
		v := &Video{AuthorID: 5, Title: "x", OriginalKey: "originals/x", State: stateProcessing}
		if err := st.insert(st.db, v, time.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			req := &ppb.MarkReadyRequest{VideoId: v.ID, VideoKey: "videos/x.mp4", CoverKey: "covers/x.jpg"}
			if _, err := s.MarkReady(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}
		if n := logs.FilterMessage("video ready").Len(); n != 1 {
			t.Fatalf("\"video ready\" logged %d times, want once", n)
		}
	})
}
