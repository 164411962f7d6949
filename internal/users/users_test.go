package users

import (
	"context"
	"testing"

	"github.com/cloudwego/kitex/client/callopt"

	"tiktok/kitex_gen/base"
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
	l := New(f)
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
