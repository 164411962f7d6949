package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/internal/errno"
	"tiktok/internal/rpc"
)

func TestPublishListAndMedia(t *testing.T) {
	e := start(t)
	id, token := e.register("dave")
	e.publish(token, "first video")
	e.publish(token, "second 视频 😀 <b>")
	r := e.must(e.get("/douyin/publish/list/", kv("user_id", id, "token", token)))
	vs := r.list("video_list")
	if len(vs) != 2 {
		t.Fatalf("want 2 videos, got %v", vs)
	}
	v := vs[0].(map[string]any)
	checkVideo(t, v)
	if v["title"] != "second 视频 😀 <b>" || vs[1].(map[string]any)["title"] != "first video" {
		t.Fatalf("publish list must be newest first, titles as given: %v", vs)
	}
	author := v["author"].(map[string]any)
	if num(author, "id") != id || num(author, "work_count") != 2 {
		t.Fatalf("author: %v", author)
	}
	// play_url streams with Range support; cover_url is a JPEG.
	req, _ := http.NewRequest("GET", v["play_url"].(string), nil)
	req.Header.Set("Range", "bytes=0-1023")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || len(body) != 1024 || !bytes.Contains(body[:64], []byte("ftyp")) {
		t.Fatalf("range: %d, %d bytes", res.StatusCode, len(body))
	}
	res, err = http.Get(v["cover_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.HasPrefix(body, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatalf("cover: %d %x", res.StatusCode, body[:min(4, len(body))])
	}
	// Publish list of an unknown user, of a user with none, and bad ids.
	e.wantCode(e.get("/douyin/publish/list/", kv("user_id", 900000000001)), int64(errno.CodeNotFound))
	other, _ := e.register("nobody_publishes")
	if l := e.must(e.get("/douyin/publish/list/", kv("user_id", other))).list("video_list"); len(l) != 0 {
		t.Fatalf("want empty, got %v", l)
	}
	e.wantCode(e.get("/douyin/publish/list/", kv("user_id", "x")), int64(errno.CodeBadParam))
	e.wantCode(e.get("/douyin/publish/list/", kv()), int64(errno.CodeBadParam))
}

func TestPublishBadInputsLeaveNothing(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Upload.MaxBytes = 1 << 20 })
	limit := int(e.cfg.Upload.MaxBytes)
	id, token := e.register("erin")
	video, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := auth.New([]byte(strings.Repeat("f", 32)), time.Hour).Sign(id)
	expired, _ := e.tokens.SignAt(id, time.Now().Add(-e.cfg.Auth.TokenTTL-time.Minute))
	big := bytes.Repeat(video, limit/len(video)+2)
	cases := []struct {
		name, token, title, file string
		data                     []byte
		code                     int32
	}{
		{"no token", "", "t", "v.mp4", video, errno.CodeUnauthorized},
		{"forged token", forged, "t", "v.mp4", video, errno.CodeUnauthorized},
		{"expired token", expired, "t", "v.mp4", video, errno.CodeUnauthorized},
		{"empty title", token, "", "v.mp4", video, errno.CodeBadParam},
		{"blank title", token, "   ", "v.mp4", video, errno.CodeBadParam},
		{"101-character title", token, strings.Repeat("t", 101), "v.mp4", video, errno.CodeBadParam},
		{"text named .mp4", token, "t", "notes.mp4", []byte("just some text, not a video\n"), errno.CodeUnsupportedMedia},
		{"jpeg named .mp4", token, "t", "p.mp4", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, errno.CodeUnsupportedMedia},
		{"over the limit", token, "t", "big.mp4", big, errno.CodeTooLarge},
		{"no data", token, "t", "", nil, errno.CodeBadParam},
	}
	for _, c := range cases {
		var data io.Reader
		if c.data != nil {
			data = bytes.NewReader(c.data)
		}
		r := e.upload(c.token, c.title, data, c.file)
		if r.code() != int64(c.code) {
			t.Errorf("%s: want %d, got %v", c.name, c.code, r)
		}
		if n := e.mediaFiles(); n != 0 {
			t.Fatalf("%s left %d stored objects", c.name, n)
		}
	}
	if l := e.must(e.get("/douyin/publish/list/", kv("user_id", id))).list("video_list"); len(l) != 0 {
		t.Fatalf("failed publishes left rows: %v", l)
	}
	// Exactly at a title of 100 characters, and multi-byte: accepted.
	e.publish(token, strings.Repeat("题", 100))
	if n := e.mediaFiles(); n != 2 {
		t.Fatalf("a publish stores a video and a cover, found %d objects", n)
	}
}

func TestFeed(t *testing.T) {
	e := start(t)
	id, token := e.register("frank")
	viewerID, viewerToken := e.register("grace")
	_ = viewerID
	// An empty system serves an empty feed, not an error.
	r := e.must(e.get("/douyin/feed/", kv()))
	if len(r.list("video_list")) != 0 || num(r, "next_time") <= 0 {
		t.Fatalf("empty feed: %v", r)
	}
	for _, title := range []string{"v1", "v2", "v3"} {
		e.publish(token, title)
	}
	page := func(q ...any) (titles []string, next int64) {
		r := e.must(e.get("/douyin/feed/", kv(q...)))
		for _, v := range r.list("video_list") {
			checkVideo(t, v.(map[string]any))
			titles = append(titles, v.(map[string]any)["title"].(string))
		}
		return titles, num(r, "next_time")
	}
	all, oldest := page()
	if strings.Join(all, ",") != "v3,v2,v1" {
		t.Fatalf("feed newest first: %v", all)
	}
	// next_time is the publish time (ms) of the oldest video of the page; the
	// next page starts strictly before it, and at the end the feed wraps.
	if now := time.Now().UnixMilli(); oldest > now || oldest < now-60_000 {
		t.Fatalf("next_time %d is not a recent Unix ms time", oldest)
	}
	_, t2 := page("latest_time", oldest+2) // v1 and whatever came within 2 ms
	if t2 > oldest+2 {
		t.Fatalf("next_time %d not before latest_time", t2)
	}
	wrapped, _ := page("latest_time", oldest)
	if strings.Join(wrapped, ",") != "v3,v2,v1" {
		t.Fatalf("nothing older than the oldest: the feed must start over, got %v", wrapped)
	}
	// latest_time in seconds is accepted too (values below 10^12).
	secs, _ := page("latest_time", time.Now().Unix()+10)
	if len(secs) != 3 {
		t.Fatalf("seconds: %v", secs)
	}
	// Tokens: a valid one, none, or a bad one (anonymous view, not an error).
	page("token", viewerToken)
	r = e.must(e.get("/douyin/feed/", kv("token", "forged.token.here")))
	if len(r.list("video_list")) != 3 {
		t.Fatal("feed with a bad token must serve the anonymous view")
	}
	e.wantCode(e.get("/douyin/feed/", kv("latest_time", "yesterday")), int64(errno.CodeBadParam))
	_ = id
}

// TestFeedCostIsFixed: a page costs the same RPCs and SQL queries whatever
// its length (no N+1), exactly the numbers docs/ARCHITECTURE.md gives for a
// signed-in viewer. The cache is off so every read reaches SQL.
func TestFeedCostIsFixed(t *testing.T) {
	embeddedOnly(t)
	const (
		// feed.Feed, publish.ListBefore, then the page's four in parallel:
		// user.MGetUsers, relation.Stats, favorite.Stats, comment.Counts.
		coldCalls = 6
		// Authors the gateway has shown before cost no user.MGetUsers.
		warmCalls = coldCalls - 1
		// publish 2 (the page, the authors' work counts), user 1 (the
		// records), relation 3 (follow counts, follower counts, is_follow),
		// favorite 4 (the videos' likes, is_favorite, the authors' likes
		// given and received), comment 1 (the videos' comment counts).
		coldQueries = 2 + 1 + 3 + 4 + 1
		warmQueries = coldQueries - 1
	)
	e := start(t, func(c *config.Config) { c.Redis.Local = false })
	_, token := e.register("henry")
	_, viewer := e.register("iris")
	_, commenter := e.register("jack")
	// cost requests the viewer's first feed page, checks its length and
	// returns its videos with what the request cost.
	cost := func(videos int) (ids []int64, calls, queries int64) {
		t.Helper()
		c0, q0 := rpc.Calls.Load(), db.Queries.Load()
		r := e.must(e.get("/douyin/feed/", kv("token", viewer)))
		calls, queries = rpc.Calls.Load()-c0, db.Queries.Load()-q0
		for _, v := range r.list("video_list") {
			ids = append(ids, num(v.(map[string]any), "id"))
		}
		if len(ids) != videos {
			t.Fatalf("want a page of %d videos, got %d", videos, len(ids))
		}
		return ids, calls, queries
	}
	want := func(page string, calls, queries, wantCalls, wantQueries int64) {
		t.Helper()
		if calls != wantCalls || queries != wantQueries {
			t.Errorf("%s: %d RPCs and %d SQL queries, want %d and %d", page, calls, queries, wantCalls, wantQueries)
		}
	}
	// A like by the viewer and a comment by someone else (so no page shows
	// the authors before the feed does).
	engage := func(v int64) {
		e.must(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", v, "action_type", 1)))
		e.must(e.post("/douyin/comment/action/", kv("token", commenter, "video_id", v, "action_type", 1, "comment_text", "hi")))
	}

	e.publish(token, "one")
	ids, calls, queries := cost(1)
	want("1 video, its author new to the gateway", calls, queries, coldCalls, coldQueries)
	engage(ids[0])
	_, calls, queries = cost(1)
	want("1 video, its author shown before", calls, queries, warmCalls, warmQueries)

	for i := 0; i < 4; i++ {
		_, tk := e.register("author" + string(rune('a'+i)))
		e.publish(tk, "more")
	}
	ids, calls, queries = cost(5)
	want("5 videos by 5 authors, 4 of them new to the gateway", calls, queries, coldCalls, coldQueries)
	for _, v := range ids {
		engage(v)
	}
	_, calls, queries = cost(5)
	want("5 videos by 5 authors, all shown before", calls, queries, warmCalls, warmQueries)
}

// TestAnonymousFeedShowsWritesAtOnce: the anonymous first page may be reused
// for up to http.anonymous_feed_reuse, but never across a write through the
// gateway: a like, an unlike, a comment and a publish show in the next
// anonymous read.
func TestAnonymousFeedShowsWritesAtOnce(t *testing.T) {
	e := start(t)
	_, author := e.register("anon_author")
	_, fan := e.register("anon_fan")
	e.publish(author, "first")
	top := func() map[string]any {
		return e.must(e.get("/douyin/feed/", kv())).list("video_list")[0].(map[string]any)
	}
	v := top()
	vid := num(v, "id")
	for i := 0; i < 3; i++ {
		e.must(e.post("/douyin/favorite/action/", kv("token", fan, "video_id", vid, "action_type", 1)))
		if n := num(top(), "favorite_count"); n != 1 {
			t.Fatalf("round %d: favorite_count %d right after the like", i, n)
		}
		e.must(e.post("/douyin/favorite/action/", kv("token", fan, "video_id", vid, "action_type", 2)))
		if n := num(top(), "favorite_count"); n != 0 {
			t.Fatalf("round %d: favorite_count %d right after the unlike", i, n)
		}
	}
	e.must(e.post("/douyin/comment/action/", kv("token", fan, "video_id", vid, "action_type", 1, "comment_text", "hi")))
	if n := num(top(), "comment_count"); n != 1 {
		t.Fatalf("comment_count %d right after the comment", n)
	}
	e.publish(author, "second")
	if v := top(); v["title"] != "second" {
		t.Fatalf("the newest video is not on top right after its publish: %v", v["title"])
	}
}
