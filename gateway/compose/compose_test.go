package compose

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client/callopt"
	"github.com/cloudwego/kitex/pkg/kerrors"

	"tiktok/internal/errno"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/comment"
	"tiktok/kitex_gen/comment/commentservice"
	"tiktok/kitex_gen/favorite"
	"tiktok/kitex_gen/favorite/favoriteservice"
	"tiktok/kitex_gen/message"
	"tiktok/kitex_gen/message/messageservice"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/relation"
	"tiktok/kitex_gen/relation/relationservice"
	"tiktok/kitex_gen/user"
	"tiktok/kitex_gen/user/userservice"
)

// world is what the fake services know. Each answers only for the ids it is
// asked about, so a wrong request shows as a wrong result, and every call is
// logged with its request. fail makes a method fail.
type world struct {
	users     map[int64]*base.UserInfo
	follows   map[int64][2]int64 // user: follow_count, follower_count
	following map[int64]bool     // the viewer follows the user
	given     map[int64][2]int64 // user: favorite_count, total_favorited
	likes     map[int64]int64    // video: likes
	liked     map[int64]bool     // the viewer likes the video
	comments  map[int64]int64    // video: comments
	works     map[int64]int64    // user: videos
	latest    map[int64]*message.Latest
	fail      map[string]error

	mu    sync.Mutex
	calls []call
}

type call struct {
	method string
	req    any
}

func (w *world) called(method string, req any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, call{method, req})
	return w.fail[method]
}

// count is how many times method was called.
func (w *world) count(method string) int {
	n := 0
	for _, c := range w.calls {
		if c.method == method {
			n++
		}
	}
	return n
}

// only returns the single request of method, failing when there is not one.
func (w *world) only(t *testing.T, method string) any {
	t.Helper()
	var got []any
	for _, c := range w.calls {
		if c.method == method {
			got = append(got, c.req)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s called %d times, want once (calls: %v)", method, len(got), w.methods())
	}
	return got[0]
}

func (w *world) methods() []string {
	var out []string
	for _, c := range w.calls {
		out = append(out, c.method)
	}
	sort.Strings(out)
	return out
}

// The fakes embed the generated Client interfaces: a method the composer is
// not expected to call panics (fanout turns that into an error).
type fakeUser struct {
	userservice.Client
	w *world
}

func (f fakeUser) MGetUsers(_ context.Context, r *base.IdsRequest, _ ...callopt.Option) (*user.UsersResponse, error) {
	if err := f.w.called("user.MGetUsers", r); err != nil {
		return nil, err
	}
	out := map[int64]*base.UserInfo{}
	for _, id := range r.Ids {
		if u := f.w.users[id]; u != nil {
			out[id] = u
		}
	}
	return &user.UsersResponse{Users: out}, nil
}

type fakeRelation struct {
	relationservice.Client
	w *world
}

func (f fakeRelation) Stats(_ context.Context, r *base.ViewerIdsRequest, _ ...callopt.Option) (*relation.StatsResponse, error) {
	if err := f.w.called("relation.Stats", r); err != nil {
		return nil, err
	}
	out := &relation.StatsResponse{Counts: map[int64]*relation.Counts{}, Following: map[int64]bool{}}
	for _, id := range r.Ids {
		if c, ok := f.w.follows[id]; ok {
			out.Counts[id] = &relation.Counts{FollowCount: c[0], FollowerCount: c[1]}
		}
		if f.w.following[id] {
			out.Following[id] = true
		}
	}
	return out, nil
}

type fakeFavorite struct {
	favoriteservice.Client
	w *world
}

func (f fakeFavorite) Stats(_ context.Context, r *favorite.StatsRequest, _ ...callopt.Option) (*favorite.StatsResponse, error) {
	if err := f.w.called("favorite.Stats", r); err != nil {
		return nil, err
	}
	out := &favorite.StatsResponse{VideoCounts: map[int64]int64{}, Liked: map[int64]bool{}, UserCounts: map[int64]*favorite.UserCounts{}}
	for _, id := range r.VideoIds {
		out.VideoCounts[id] = f.w.likes[id]
		if f.w.liked[id] {
			out.Liked[id] = true
		}
	}
	for _, id := range r.UserIds {
		if c, ok := f.w.given[id]; ok {
			out.UserCounts[id] = &favorite.UserCounts{FavoriteCount: c[0], TotalFavorited: c[1]}
		}
	}
	return out, nil
}

type fakePublish struct {
	publishservice.Client
	w *world
}

func (f fakePublish) WorkCounts(_ context.Context, r *base.IdsRequest, _ ...callopt.Option) (*base.CountsResponse, error) {
	if err := f.w.called("publish.WorkCounts", r); err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	for _, id := range r.Ids {
		out[id] = f.w.works[id]
	}
	return &base.CountsResponse{Counts: out}, nil
}

type fakeComment struct {
	commentservice.Client
	w *world
}

func (f fakeComment) Counts(_ context.Context, r *base.IdsRequest, _ ...callopt.Option) (*base.CountsResponse, error) {
	if err := f.w.called("comment.Counts", r); err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	for _, id := range r.Ids {
		out[id] = f.w.comments[id]
	}
	return &base.CountsResponse{Counts: out}, nil
}

type fakeMessage struct {
	messageservice.Client
	w *world
}

func (f fakeMessage) Latest(_ context.Context, r *base.ViewerIdsRequest, _ ...callopt.Option) (*message.LatestResponse, error) {
	if err := f.w.called("message.Latest", r); err != nil {
		return nil, err
	}
	out := map[int64]*message.Latest{}
	for _, id := range r.Ids {
		if m := f.w.latest[id]; m != nil {
			out[id] = m
		}
	}
	return &message.LatestResponse{Latest: out}, nil
}

func (w *world) composer(loc *time.Location) *Composer {
	return New(&Clients{User: fakeUser{w: w}, Relation: fakeRelation{w: w}, Favorite: fakeFavorite{w: w},
		Publish: fakePublish{w: w}, Comment: fakeComment{w: w}, Message: fakeMessage{w: w}}, loc)
}

// twoUsers: ann (1) and bob (2), with every counter distinct so that a
// counter read from the wrong place shows.
func twoUsers() *world {
	return &world{
		users: map[int64]*base.UserInfo{
			1: {Id: 1, Name: "ann", Avatar: "a1", BackgroundImage: "b1", Signature: "s1"},
			2: {Id: 2, Name: "bob", Avatar: "a2", BackgroundImage: "b2", Signature: "s2"},
		},
		follows:   map[int64][2]int64{1: {11, 12}, 2: {21, 22}},
		following: map[int64]bool{2: true},
		given:     map[int64][2]int64{1: {13, 14}, 2: {23, 24}},
		works:     map[int64]int64{1: 15, 2: 25},
		likes:     map[int64]int64{100: 101, 200: 201},
		liked:     map[int64]bool{200: true},
		comments:  map[int64]int64{100: 102, 200: 202},
	}
}

var (
	ann = User{ID: 1, Name: "ann", Avatar: "a1", BackgroundImage: "b1", Signature: "s1",
		FollowCount: 11, FollowerCount: 12, FavoriteCount: 13, TotalFavorited: 14, WorkCount: 15}
	bob = User{ID: 2, Name: "bob", Avatar: "a2", BackgroundImage: "b2", Signature: "s2",
		FollowCount: 21, FollowerCount: 22, FavoriteCount: 23, TotalFavorited: 24, WorkCount: 25, IsFollow: true}
)

func deref[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

func TestUsersCountersFlagsAndOrder(t *testing.T) {
	w := twoUsers()
	got, err := w.composer(time.UTC).Users(context.Background(), 7, []int64{2, 9, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	// The order of the ids asked, repeats kept, the unknown user 9 left out.
	if want := []User{bob, ann, bob}; !reflect.DeepEqual(deref(got), want) {
		t.Fatalf("users:\n got %+v\nwant %+v", deref(got), want)
	}
	// One batch call per service, each with every id once, and is_follow
	// asked for the viewer.
	if r := w.only(t, "relation.Stats").(*base.ViewerIdsRequest); r.ViewerId != 7 || !reflect.DeepEqual(r.Ids, []int64{2, 9, 1}) {
		t.Fatalf("relation.Stats request %+v", r)
	}
	if r := w.only(t, "user.MGetUsers").(*base.IdsRequest); len(r.Ids) != 3 {
		t.Fatalf("user.MGetUsers request %+v", r)
	}
	w.only(t, "publish.WorkCounts")
	if r := w.only(t, "favorite.Stats").(*favorite.StatsRequest); len(r.VideoIds) != 0 || len(r.UserIds) != 3 {
		t.Fatalf("favorite.Stats request %+v", r)
	}
}

func TestUsersEmptyAndInvalidIDs(t *testing.T) {
	w := twoUsers()
	got, err := w.composer(time.UTC).Users(context.Background(), 0, []int64{0, -3})
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want an empty, non-nil list", got, err)
	}
	if len(w.calls) != 0 {
		t.Fatalf("no valid id, yet calls %v", w.methods())
	}
}

func TestUsersFailWhenAnyServiceFails(t *testing.T) {
	for _, m := range []string{"user.MGetUsers", "relation.Stats", "favorite.Stats", "publish.WorkCounts"} {
		w := twoUsers()
		w.fail = map[string]error{m: kerrors.ErrGetConnection}
		if got, err := w.composer(time.UTC).Users(context.Background(), 0, []int64{1}); err == nil {
			t.Fatalf("%s down: got %v, want an error (only the feed degrades)", m, got)
		}
	}
}

func TestUserExistsRemembersRecords(t *testing.T) {
	w := twoUsers()
	p := w.composer(time.UTC)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if ok, err := p.UserExists(ctx, 1); !ok || err != nil {
			t.Fatalf("user 1: %v %v", ok, err)
		}
	}
	if ok, err := p.UserExists(ctx, 9); ok || err != nil {
		t.Fatalf("user 9: %v %v", ok, err)
	}
	// Profiles never change, so a known one is not asked again; absence is
	// asked every time.
	if n := w.count("user.MGetUsers"); n != 2 {
		t.Fatalf("user.MGetUsers called %d times, want 2", n)
	}
}

func TestVideosCountersFlagsAuthorsAndOrder(t *testing.T) {
	w := twoUsers()
	vs := []*base.VideoInfo{
		{Id: 200, AuthorId: 2, PlayUrl: "p200", CoverUrl: "c200", Title: "t200"},
		{Id: 100, AuthorId: 1, PlayUrl: "p100", CoverUrl: "c100", Title: "t100"},
		{Id: 300, AuthorId: 9, PlayUrl: "p300", CoverUrl: "c300", Title: "t300"},
		{Id: 101, AuthorId: 1, PlayUrl: "p101", CoverUrl: "c101", Title: "t101"},
	}
	got, err := w.composer(time.UTC).Videos(context.Background(), 7, vs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Video{
		{ID: 200, Author: &bob, PlayURL: "p200", CoverURL: "c200", Title: "t200", FavoriteCount: 201, CommentCount: 202, IsFavorite: true},
		{ID: 100, Author: &ann, PlayURL: "p100", CoverURL: "c100", Title: "t100", FavoriteCount: 101, CommentCount: 102},
		// An author without a record still appears, with their id and nothing else.
		{ID: 300, Author: &User{ID: 9}, PlayURL: "p300", CoverURL: "c300", Title: "t300"},
		{ID: 101, Author: &ann, PlayURL: "p101", CoverURL: "c101", Title: "t101"},
	}
	if !reflect.DeepEqual(deref(got), want) {
		t.Fatalf("videos:\n got %+v\nwant %+v", deref(got), want)
	}
	// Five calls whatever the length; likes of the videos and of the authors
	// come from one favorite.Stats, asked for the viewer.
	if n := len(w.calls); n != 5 {
		t.Fatalf("%d calls, want 5: %v", n, w.methods())
	}
	r := w.only(t, "favorite.Stats").(*favorite.StatsRequest)
	if r.ViewerId != 7 || !reflect.DeepEqual(r.VideoIds, []int64{200, 100, 300, 101}) || !reflect.DeepEqual(r.UserIds, []int64{2, 1, 9}) {
		t.Fatalf("favorite.Stats request %+v", r)
	}
}

func TestVideosEmpty(t *testing.T) {
	w := twoUsers()
	got, err := w.composer(time.UTC).Videos(context.Background(), 7, nil)
	if err != nil || got == nil || len(got) != 0 || len(w.calls) != 0 {
		t.Fatalf("got %v, %v, calls %v; want an empty, non-nil list and no call", got, err, w.methods())
	}
}

// The feed keeps scrolling when a counting service is unavailable: its
// counters read 0 and its flags false. Videos, for every other list, fails.
func TestFeedVideosDegradeWithoutCountingServices(t *testing.T) {
	vs := []*base.VideoInfo{{Id: 200, AuthorId: 2, Title: "t200"}}
	down := map[string]error{"relation.Stats": kerrors.ErrGetConnection, "favorite.Stats": kerrors.ErrRPCTimeout,
		"comment.Counts": kerrors.ErrGetConnection, "publish.WorkCounts": kerrors.ErrGetConnection}
	w := twoUsers()
	w.fail = down
	got, err := w.composer(time.UTC).FeedVideos(context.Background(), 7, vs, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Video{ID: 200, Title: "t200", Author: &User{ID: 2, Name: "bob", Avatar: "a2", BackgroundImage: "b2", Signature: "s2"}}
	if len(got) != 1 || !reflect.DeepEqual(*got[0], want) {
		t.Fatalf("degraded feed:\n got %+v\nwant %+v", deref(got), want)
	}
	w = twoUsers()
	w.fail = down
	if _, err := w.composer(time.UTC).Videos(context.Background(), 7, vs); err == nil {
		t.Fatal("Videos degraded; only the feed may")
	}
}

func TestFeedVideosStillNeedUsersAndRealErrors(t *testing.T) {
	vs := []*base.VideoInfo{{Id: 200, AuthorId: 2}}
	for m, err := range map[string]error{
		"user.MGetUsers": kerrors.ErrGetConnection, // the authors' names are required
		"comment.Counts": errno.Internal(),         // only unavailability degrades
	} {
		w := twoUsers()
		w.fail = map[string]error{m: err}
		if got, err := w.composer(time.UTC).FeedVideos(context.Background(), 7, vs, nil); err == nil {
			t.Fatalf("%s failing: got %v, want an error", m, got)
		}
	}
}

func TestFeedVideosUseGivenWorkCounts(t *testing.T) {
	w := twoUsers()
	got, err := w.composer(time.UTC).FeedVideos(context.Background(), 7, []*base.VideoInfo{{Id: 100, AuthorId: 1}},
		map[int64]int64{1: 99})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Author.WorkCount != 99 || w.count("publish.WorkCounts") != 0 {
		t.Fatalf("work count %d, publish.WorkCounts calls %d; want 99 from the feed and no call",
			got[0].Author.WorkCount, w.count("publish.WorkCounts"))
	}
}

func TestCommentsDatesAndAuthors(t *testing.T) {
	w := twoUsers()
	shanghai := time.FixedZone("UTC+8", 8*3600)
	late := time.Date(2024, 5, 31, 20, 0, 0, 0, time.UTC) // already June 1st at UTC+8
	cs := []*comment.CommentInfo{
		{Id: 5, UserId: 2, Content: "hi", CreatedAtMs: late.UnixMilli()},
		{Id: 4, UserId: 9, Content: "<b>&", CreatedAtMs: late.Add(-24 * time.Hour).UnixMilli()},
	}
	got, err := w.composer(shanghai).Comments(context.Background(), 7, cs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Comment{
		{ID: 5, User: &bob, Content: "hi", CreateDate: "06-01"},
		{ID: 4, User: &User{ID: 9}, Content: "<b>&", CreateDate: "05-31"},
	}
	if !reflect.DeepEqual(deref(got), want) {
		t.Fatalf("comments:\n got %+v\nwant %+v", deref(got), want)
	}
	if r := w.only(t, "relation.Stats").(*base.ViewerIdsRequest); r.ViewerId != 7 {
		t.Fatalf("is_follow asked for %d, want the viewer 7", r.ViewerId)
	}
}

func TestFriendsMessagesOnlyForTheOwner(t *testing.T) {
	w := twoUsers()
	w.latest = map[int64]*message.Latest{2: {Content: "see you", MsgType: 1}}
	ctx := context.Background()
	got, err := w.composer(time.UTC).Friends(ctx, 1, 1, []int64{9, 2})
	if err != nil {
		t.Fatal(err)
	}
	// The unknown user 9 is left out; the owner sees the latest message.
	if want := []FriendUser{{User: bob, Message: "see you", MsgType: 1}}; !reflect.DeepEqual(deref(got), want) {
		t.Fatalf("owner's friends:\n got %+v\nwant %+v", deref(got), want)
	}
	if r := w.only(t, "message.Latest").(*base.ViewerIdsRequest); r.ViewerId != 1 {
		t.Fatalf("message.Latest for %d, want the owner 1", r.ViewerId)
	}
	// Someone else (or nobody) looking at 1's friends gets no messages, and
	// the message service is not asked.
	for _, viewer := range []int64{3, 0} {
		w.calls = nil
		got, err := w.composer(time.UTC).Friends(ctx, viewer, 1, []int64{2})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Message != "" || got[0].MsgType != 0 || w.count("message.Latest") != 0 {
			t.Fatalf("viewer %d: %+v, message.Latest calls %d", viewer, deref(got), w.count("message.Latest"))
		}
	}
	// Messages are not optional: the owner's list fails without them.
	w.fail = map[string]error{"message.Latest": errors.New("boom")}
	if _, err := w.composer(time.UTC).Friends(ctx, 1, 1, []int64{2}); err == nil {
		t.Fatal("message.Latest failing: want an error")
	}
}
