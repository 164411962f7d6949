package favorite

import (
	"context"
	"testing"

	"github.com/cloudwego/kitex/client/callopt"

	"tiktok/internal/errno"
	"tiktok/internal/testdb"
	"tiktok/kitex_gen/base"
	fpb "tiktok/kitex_gen/favorite"
	"tiktok/kitex_gen/publish"
	"tiktok/kitex_gen/publish/publishservice"
)

// videosOf answers MGetVideos from a map and counts the calls.
type videosOf struct {
	publishservice.Client
	authors map[int64]int64
	calls   int
}

func (f *videosOf) MGetVideos(_ context.Context, r *base.IdsRequest, _ ...callopt.Option) (*publish.VideosResponse, error) {
	f.calls++
	out := &publish.VideosResponse{}
	for _, id := range r.Ids {
		if a, ok := f.authors[id]; ok {
			out.Videos = append(out.Videos, &base.VideoInfo{Id: id, AuthorId: a})
		}
	}
	return out, nil
}

// A like of a video somebody already likes takes its author from the likes
// table, without asking publish; a video nobody likes is asked of publish
// once; a video that does not exist is 404 and writes nothing.
func TestActionFindsAuthorsInLikesFirst(t *testing.T) {
	ctx := context.Background()
	gdb := testdb.Open(t, "favorite", Schema)
	if err := gdb.Create(&Like{UserID: 1, VideoID: 10, AuthorID: 7, CreatedAtMs: 1}).Error; err != nil {
		t.Fatal(err)
	}
	pub := &videosOf{authors: map[int64]int64{10: 7, 11: 8}}
	s, err := NewService(ctx, gdb, nil, pub)
	if err != nil {
		t.Fatal(err)
	}
	like := func(user, video int64, action int32) error {
		_, err := s.Action(ctx, &fpb.ActionRequest{UserId: user, VideoId: video, ActionType: action})
		return err
	}
	if err := like(2, 10, 1); err != nil || pub.calls != 0 {
		t.Fatalf("like of a liked video: %v, publish asked %d times", err, pub.calls)
	}
	if err := like(2, 11, 1); err != nil || pub.calls != 1 {
		t.Fatalf("like of a video nobody likes: %v, publish asked %d times", err, pub.calls)
	}
	if err := like(2, 11, 2); err != nil || like(3, 11, 1) != nil || pub.calls != 1 {
		t.Fatalf("author not remembered: publish asked %d times", pub.calls)
	}
	if code, _ := errno.From(like(2, 12, 1)); code != errno.CodeNotFound || pub.calls != 2 {
		t.Fatalf("missing video: code %d, publish asked %d times", code, pub.calls)
	}
	recv, _ := s.st.receivedCounts(ctx, []int64{7, 8})
	n, _ := s.st.videoCounts(ctx, []int64{10, 11, 12})
	if recv[7] != 2 || recv[8] != 1 || n[10] != 2 || n[11] != 1 || n[12] != 0 {
		t.Fatalf("received %v, video counts %v", recv, n)
	}
}
