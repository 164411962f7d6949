package records

import (
	"context"
	"testing"

	"github.com/cloudwego/kitex/client/callopt"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/publish"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/user"
	"tiktok/kitex_gen/user/userservice"
)

// fakeUsers answers MGetUsers from a map and counts the calls.
type fakeUsers struct {
	userservice.Client
	users map[int64]*base.UserInfo
	calls int
	asked [][]int64
}

func (f *fakeUsers) MGetUsers(_ context.Context, r *base.IdsRequest, _ ...callopt.Option) (*user.UsersResponse, error) {
	f.calls++
	f.asked = append(f.asked, r.Ids)
	out := map[int64]*base.UserInfo{}
	for _, id := range r.Ids {
		if u := f.users[id]; u != nil {
			out[id] = u
		}
	}
	return &user.UsersResponse{Users: out}, nil
}

func TestRemembersUsersButNotAbsence(t *testing.T) {
	ctx := context.Background()
	f := &fakeUsers{users: map[int64]*base.UserInfo{1: {Id: 1, Name: "a"}, 2: {Id: 2, Name: "b"}}}
	l := Users(f)
	got, err := l.MGet(ctx, []int64{1, 2, 3})
	if err != nil || len(got) != 2 || got[1].Name != "a" || got[3] != nil || f.calls != 1 {
		t.Fatalf("first: %v %v calls=%d", got, err, f.calls)
	}
	if got, _ := l.MGet(ctx, []int64{2, 1}); len(got) != 2 || f.calls != 1 {
		t.Fatalf("remembered users asked again: calls=%d", f.calls)
	}
	f.users[3] = &base.UserInfo{Id: 3, Name: "c"} // registers a moment later
	if got, _ := l.MGet(ctx, []int64{1, 3}); got[3].GetName() != "c" || f.calls != 2 || len(f.asked[1]) != 1 {
		t.Fatalf("new user: %v calls=%d asked=%v", got, f.calls, f.asked)
	}
}

// fakeVideos answers MGetVideos from a list and counts the calls.
type fakeVideos struct {
	publishservice.Client
	videos []*base.VideoInfo
	calls  int
}

func (f *fakeVideos) MGetVideos(_ context.Context, r *base.IdsRequest, _ ...callopt.Option) (*publish.VideosResponse, error) {
	f.calls++
	var out []*base.VideoInfo
	for _, v := range f.videos {
		for _, id := range r.Ids {
			if v.Id == id {
				out = append(out, v)
			}
		}
	}
	return &publish.VideosResponse{Videos: out}, nil
}

func TestVideoGetRemembersFoundVideos(t *testing.T) {
	ctx := context.Background()
	f := &fakeVideos{videos: []*base.VideoInfo{{Id: 5, AuthorId: 9}}}
	l := Videos(f)
	for i := 0; i < 2; i++ {
		v, ok, err := l.Get(ctx, 5)
		if err != nil || !ok || v.AuthorId != 9 || f.calls != 1 {
			t.Fatalf("get %d: %v %v %v calls=%d", i, v, ok, err, f.calls)
		}
	}
	if _, ok, _ := l.Get(ctx, 6); ok || f.calls != 2 {
		t.Fatalf("missing video: ok=%v calls=%d", ok, f.calls)
	}
	f.videos = append(f.videos, &base.VideoInfo{Id: 6, AuthorId: 1})
	if _, ok, _ := l.Get(ctx, 6); !ok || f.calls != 3 {
		t.Fatalf("absence was remembered: ok=%v calls=%d", ok, f.calls)
	}
}
